// The listing `ls` prints: every sandbox of the store inspected once, from
// PARALLEL_MIN sandboxes on with a worker thread (listing.ts) taking the
// second half while this thread lists the first. One place for the split,
// the worker's start and its failure, as check.ts is for check's.
import type { Roots } from '../fs/roots.js';
import { HostIndex } from '../host/picture.js';
import { LockIndex } from '../host/locks.js';
import { rootListing } from '../read/scan.js';
import { forEachSandboxAsync, type SandboxInfo } from './inspect.js';
import { parallelListing, runListWorker, type ListingSettings } from './listing.js';

export interface ListOptions {
  settings: ListingSettings;
  /** The store's root listing, when the caller has it already. */
  entries?: ReturnType<typeof rootListing>;
  /** IDs only (`ls -q`): no host picture and no worker, whose start-up would cost more than it saves. */
  idsOnly?: boolean;
  /** Aborting stops the listing between two sandboxes (and terminates the worker). */
  signal?: AbortSignal;
  /** How many are done of how many; with a worker, this thread's count stands for both halves. */
  onProgress?: (done: number, total: number) => void;
  /** The worker could not start or failed: its half is then listed on this thread. */
  onWorkerFailure?: (e: Error) => void;
}

/**
 * Every sandbox of the store to `take`, each inspected once: this thread's
 * half in the listing's order, then the worker's half in its order. Returns
 * how many sandboxes the store has.
 */
export async function listSandboxes(roots: Roots, take: (s: SandboxInfo) => void, o: ListOptions): Promise<number> {
  const entries = o.entries ?? rootListing(roots);
  // -q needs no host picture; JSON and the table carry it (one mountinfo read, one /proc scan).
  const host = o.idsOnly || entries.length === 0 ? undefined : new HostIndex(roots);
  const parallel = !o.idsOnly && parallelListing(entries.length, o.settings);
  const cut = parallel ? Math.ceil(entries.length / 2) : entries.length;
  const rest = parallel
    ? runListWorker<SandboxInfo>(
        { roots, entries: entries.slice(cut), mode: 'list', ...(host ? { host: host.snapshot() } : {}), addon: o.settings.addon },
        { youngMb: o.settings.youngMb },
      )
    : Promise.resolve<Iterable<SandboxInfo | null>>([]);
  rest.catch(() => {}); // awaited below; a rejection is not unhandled meanwhile
  const locks = entries.length ? new LockIndex() : undefined;
  const listing = { locks, host, signal: o.signal, noSlots: true };
  // The worker keeps pace on the other core: the count stands for both halves.
  await forEachSandboxAsync(roots, take, {
    ...listing,
    entries: entries.slice(0, cut),
    onProgress: (done) => o.onProgress?.(parallel ? 2 * done : done, entries.length),
  });
  let theirs: Iterable<SandboxInfo | null> | null = await rest.catch((e: Error) => {
    o.onWorkerFailure?.(e);
    return null;
  });
  if (theirs === null) {
    const got: SandboxInfo[] = [];
    await forEachSandboxAsync(roots, (s) => void got.push(s), { ...listing, entries: entries.slice(cut) });
    theirs = got;
  }
  for (const s of theirs) if (s) take(s);
  return entries.length;
}
