// Freeing an ACRN VM UUID slot: atomically, under the UUID store's own
// lock, and never while a sandbox that uses it is alive or cannot be told dead.
import { join } from 'node:path';
import { NotFoundError, RefusedError, UsageError } from '../fs/errors.js';
import { goJson } from '../fs/gojson.js';
import { lstatOrUndef, readJson } from '../fs/read.js';
import type { Roots } from '../fs/roots.js';
import { atomicWrite } from '../fs/write.js';
import { withLock } from '../host/guard.js';
import { ProcTable, procText } from '../host/procs.js';
import { availability, readUuidStore, uuidStorePath } from '../inspect/uuid.js';
import { refuseIfNamed } from './witness.js';

export interface FreeResult {
  path: string;
  slot: number;
  uuid: string;
  changed: boolean;
  note?: string;
}

/** Mark a slot free, atomically, under the UUID store's own flock. */
export async function freeUuidSlot(
  roots: Roots,
  slot: number,
  o: { force?: boolean; wait: number; signal?: AbortSignal; dryRun?: boolean; onWait?: (holders: string) => void },
): Promise<FreeResult> {
  const path = uuidStorePath(roots);
  const dir = path.slice(0, path.lastIndexOf('/'));
  if (!lstatOrUndef(path)) throw new NotFoundError(`no ACRN UUID store at ${path}`);
  // The same policy as a sandbox lock: the runtime's own lock file, or nothing
  // changes (exit 5) unless --force goes ahead without it.
  const lockFile = join(dir, 'lock');
  const st = lstatOrUndef(lockFile);
  let lock: string | null = lockFile;
  if (!st?.isFile()) {
    const why = !st ? 'is missing' : st.isSymbolicLink() ? 'is a symbolic link' : 'is not a regular file';
    if (!o.force) throw new RefusedError(`refusing to change ${path}: its lock ${lockFile} ${why}, so the runtime could not be kept out; use --force`);
    lock = null;
  }
  return withLock(lock, { mode: 'exclusive', wait: o.wait, signal: o.signal, label: 'the ACRN UUID store', onWait: o.onWait }, () => {
    // Read now that the lock is held: every sandbox, its liveness, and the processes.
    const store = readUuidStore(roots);
    const s = store.slots[slot];
    if (!s) throw new UsageError(`invalid slot ${slot}: 0-7`);
    if (!s.busy) return { path, slot, uuid: s.uuid, changed: false, note: 'already free' };
    if (!o.force) {
      const holders = [...s.sandboxes.map((x) => ({ ...x, known: true })), ...store.unknown.map((x) => ({ ...x, known: false }))];
      const live = holders.find((x) => x.alive !== false); // alive, or cannot tell
      if (live)
        throw new RefusedError(
          `refusing to free UUID slot ${slot}: sandbox ${live.id} ${live.known ? 'uses it' : 'may use it (its UUID cannot be read)'} and is ${live.alive ? 'alive' : 'not provably dead'}; use --force`,
        );
      const procs = new ProcTable();
      for (const x of holders) refuseIfNamed(procs, x.id, `UUID slot ${slot} (sandbox ${x.id})`, 'free', 'warn');
      const runtime = procs.blind ? [] : procs.holding(s.uuid).filter((p) => p.role !== 'other');
      if (procs.blind) throw new RefusedError(`refusing to free UUID slot ${slot}: cannot tell which processes use it (${procs.blind}); use --force`);
      if (runtime[0]) throw new RefusedError(`refusing to free UUID slot ${slot}: runtime process ${procText(runtime[0])} carries its UUID; use --force`);
    }
    const doc = readJson(path) as Record<string, unknown>;
    const key = Object.keys(doc).find((k) => k.toLowerCase() === 'uuidavailability') ?? 'UUIDAvailability';
    const avail = [...availability(doc, path)];
    avail[slot] = 0;
    if (!o.dryRun) atomicWrite(path, goJson({ ...doc, [key]: avail }));
    const r: FreeResult = { path, slot, uuid: s.uuid, changed: true };
    if (s.sandboxes.length) r.note = `used by dead sandbox ${s.sandboxes.map((x) => x.id).join(', ')}`;
    return r;
  });
}
