import type { Ctx } from '../context.js';
import type { ls, OptsOf } from '../program.js';
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

// Sandboxes are inspected and written one at a time (JSON and -q stream), so
// a listing of 10,000 sandboxes runs in constant memory; from PARALLEL_MIN on,
// a worker thread lists the second half while this thread lists the first,
// and the output keeps the listing's order.
type Opts = OptsOf<typeof ls>;

export async function run(ctx: Ctx, o: Opts): Promise<number> {
  if (o.state && o.state !== 'none' && !(STATES as readonly string[]).includes(o.state))
    throw new UsageError(`invalid --state ${JSON.stringify(o.state)}: one of ${STATES.join(', ')}, none`);
  const keep = (s: SandboxInfo) => !o.state || (o.state === 'none' ? s.state === null : s.state === o.state);
  const table = !o.quiet && !ctx.json;
  const entries = rootListing(ctx.roots);
  // -q needs no host picture; JSON and the table carry it (one mountinfo read, one /proc scan).
  const host = (o.quiet && !ctx.json) || entries.length === 0 ? undefined : new HostIndex(ctx.roots);
  const parallel = !(o.quiet && !ctx.json) && parallelListing(entries.length, ctx.settings);
  const cut = parallel ? Math.ceil(entries.length / 2) : entries.length;
  const rest = parallel
    ? runListWorker<SandboxInfo>({
        roots: ctx.roots,
        entries: entries.slice(cut),
        mode: 'list',
        ...(host ? { host: host.snapshot() } : {}),
        addon: ctx.settings.addon,
      })
    : Promise.resolve([]);
  rest.catch(() => {}); // awaited below; a rejection is not unhandled meanwhile

  const locks = entries.length ? new LockIndex() : undefined;
  const bar = table ? ctx.progress(entries.length, 'sandboxes') : null;
  const rows: SandboxInfo[] = [];
  const w = new ChunkedWriter((t) => ctx.write(t));
  let n = 0;
  const emitJson = (text: string) => w.push(`${n++ ? ',' : ''}${text}`);
  if (ctx.json) w.push('[');
  const listing = { locks, host, signal: table ? ctx.interruptible() : undefined };
  await forEachSandboxAsync(
    ctx.roots,
    (s) => {
      if (!keep(s)) return;
      if (ctx.json) emitJson(JSON.stringify(sandboxJson(s)));
      else if (o.quiet) w.push(`${s.id}\n`);
      else rows.push(s);
    },
    // The worker keeps pace on the other core: the line counts both halves.
    { ...listing, entries: entries.slice(0, cut), onProgress: (done) => bar?.update(parallel ? 2 * done : done) },
  );
  // A worker that could not start or failed: warn, and list its half here.
  let theirs: (SandboxInfo | null)[] | null = await rest.catch((e: Error) => {
    ctx.warn(`the listing worker failed (${e.message.split('\n')[0]}); listing on one thread`);
    return null;
  });
  if (theirs === null) {
    const got: SandboxInfo[] = [];
    await forEachSandboxAsync(ctx.roots, (s) => void got.push(s), { ...listing, entries: entries.slice(cut) });
    theirs = got;
  }
  for (const s of theirs) {
    if (!s || !keep(s)) continue;
    if (ctx.json) emitJson(JSON.stringify(sandboxJson(s)));
    else if (o.quiet) w.push(`${s.id}\n`);
    else rows.push(s);
  }
  if (ctx.json) w.push(']\n');
  w.flush();
  if (!table) return 0;
  ctx.quiet();
  const p = ctx.paint;
  const cells = rows
    .map((s) => rowFields(s, o.trunc))
    .map((f) => [
      f.id,
      p.state(f.state),
      f.hypervisor,
      f.pid,
      f.alive === 'yes' ? p.ok('yes') : f.alive === 'no' ? p.bad('no') : f.alive === '?' ? p.warn('?') : f.alive,
      f.containers,
      f.lock,
      f.problems === '-' ? '-' : p.warn(f.problems),
    ]);
  if (cells.length === 0) {
    ctx.err(`no sandboxes under ${ctx.roots.config} or ${ctx.roots.run}\n`);
    return 0;
  }
  ctx.out(columns(['ID', 'STATE', 'HYPERVISOR', 'PID', 'ALIVE', 'CONTAINERS', 'LOCK', 'PROBLEMS'], cells, p));
  return 0;
}
