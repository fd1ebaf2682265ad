import type { Ctx } from '../context.js';
import { ChunkedWriter } from '../output.js';
import { UsageError } from '../store/fs/errors.js';
import { HostIndex } from '../store/host/picture.js';
import { forEachSandboxAsync, type SandboxInfo } from '../store/inspect/inspect.js';
import { STATES } from '../store/layouts/items.js';
import { LockIndex } from '../store/host/locks.js';
import { rootListing } from '../store/read/scan.js';
import { parallelListing, runListWorker } from '../store/inspect/listing.js';
import { sandboxJson } from '../render/json.js';
import { rowFields } from '../render/rows.js';
import { columns } from '../render/table.js';

interface Opts {
  quiet?: boolean;
  state?: string;
  trunc: boolean;
}

// Sandboxes are inspected and written one at a time (JSON and -q stream), so
// a listing of 10,000 sandboxes runs in constant memory; from PARALLEL_MIN on,
// a worker thread lists the second half while this thread lists the first,
// and the output keeps the listing's order.
export async function run(ctx: Ctx, o: Opts): Promise<number> {
  if (o.state && o.state !== 'none' && !(STATES as readonly string[]).includes(o.state))
    throw new UsageError(`invalid --state ${JSON.stringify(o.state)}: one of ${STATES.join(', ')}, none`);
  const keep = (s: SandboxInfo) => !o.state || (o.state === 'none' ? s.state === null : s.state === o.state);
  const table = !o.quiet && !ctx.json;
  const entries = rootListing(ctx.roots);
  // -q needs no host picture; JSON and the table carry it (one mountinfo read, one /proc scan).
  const host = (o.quiet && !ctx.json) || entries.length === 0 ? undefined : new HostIndex(ctx.roots);
  const parallel = !(o.quiet && !ctx.json) && parallelListing(entries.length);
  const cut = parallel ? Math.ceil(entries.length / 2) : entries.length;
  const render = (s: SandboxInfo) => (ctx.json ? JSON.stringify(sandboxJson(s)) : rowFields(s, o.trunc));
  const rest = parallel
    ? runListWorker<string | string[]>({ roots: ctx.roots, entries: entries.slice(cut), mode: ctx.json ? 'json' : 'row', ...(host ? { host: host.snapshot() } : {}), trunc: o.trunc, ...(o.state ? { state: o.state } : {}) })
    : Promise.resolve([]);
  rest.catch(() => {}); // awaited below; a rejection is not unhandled meanwhile

  const locks = entries.length ? new LockIndex() : undefined;
  const bar = table ? ctx.progress(entries.length, 'sandboxes') : null;
  const mine: SandboxInfo[] = [];
  const w = new ChunkedWriter(ctx.write);
  let n = 0;
  const emitJson = (text: string) => w.push(`${n++ ? ',' : ''}${text}`);
  if (ctx.json) w.push('[');
  const listing = { locks, host, signal: table ? ctx.interruptible() : undefined };
  await forEachSandboxAsync(
    ctx.roots,
    (s) => {
      if (!keep(s)) return;
      if (ctx.json) emitJson(render(s) as string);
      else if (o.quiet) w.push(`${s.id}\n`);
      else mine.push(s);
    },
    // The worker keeps pace on the other core: the line counts both halves.
    { ...listing, entries: entries.slice(0, cut), onProgress: (done) => bar?.update(parallel ? 2 * done : done) },
  );
  // A worker that could not start or failed: warn, and list its half here.
  let theirs = await rest.catch((e: Error) => {
    ctx.warn(`the listing worker failed (${e.message.split('\n')[0]}); listing on one thread`);
    return null;
  });
  if (theirs === null) {
    const got: (string | string[])[] = [];
    await forEachSandboxAsync(ctx.roots, (s) => void (keep(s) && got.push(render(s))), { ...listing, entries: entries.slice(cut) });
    theirs = got;
  }
  if (ctx.json) {
    for (const t of theirs) if (typeof t === 'string') emitJson(t);
    w.push(']\n');
  }
  w.flush();
  if (!table) return 0;
  ctx.quiet();
  const p = ctx.paint;
  const rows = [...mine.map((s) => rowFields(s, o.trunc)), ...theirs.filter((t): t is string[] => Array.isArray(t))].map((f) => [
    f[0]!,
    p.state(f[1] === '' ? null : f[1]!),
    f[2]!,
    f[3]!,
    f[4] === 'yes' ? p.ok('yes') : f[4] === 'no' ? p.bad('no') : f[4] === '?' ? p.warn('?') : f[4]!,
    f[5]!,
    f[6]!,
    f[7] === '-' ? '-' : p.warn(f[7]!),
  ]);
  if (rows.length === 0) {
    ctx.err(`no sandboxes under ${ctx.roots.config} or ${ctx.roots.run}\n`);
    return 0;
  }
  ctx.out(columns(['ID', 'STATE', 'HYPERVISOR', 'PID', 'ALIVE', 'CONTAINERS', 'LOCK', 'PROBLEMS'], rows, p));
  return 0;
}
