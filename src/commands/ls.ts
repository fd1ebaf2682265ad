import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type { Ctx } from '../context.js';
import { ChunkedWriter } from '../output.js';
import { UsageError } from '../store/errors.js';
import { HostIndex } from '../store/host.js';
import { inspectScanned, type SandboxInfo } from '../store/inspect.js';
import { STATES } from '../store/items.js';
import { LockIndex } from '../store/locks.js';
import { rootListing, scanSandbox, type Hint } from '../store/scan.js';
import { sandboxJson } from '../render/json.js';
import { rowFields } from '../render/rows.js';
import { columns } from '../render/table.js';

interface Opts {
  quiet?: boolean;
  state?: string;
  trunc: boolean;
}

/** From this many sandboxes on, a second core lists half of them (worker start-up costs ~30 ms). */
const PARALLEL_MIN = 2000;

function workerPath(): string | URL {
  return typeof __filename === 'string' ? join(dirname(__filename), '..', 'list-worker.cjs') : new URL('../list-worker.js', import.meta.url);
}

/**
 * Inspect `entries` in a worker thread; resolves with each one rendered
 * (null: filtered out or gone), in order. The worker is created before this
 * returns: the caller's own half is synchronous, and a worker started from a
 * microtask would only start after it.
 */
function inWorker(job: { roots: Ctx['roots']; entries: { id: string; hint: Hint }[]; mode: 'json' | 'row'; host: boolean; trunc: boolean; state?: string }): Promise<(string | string[] | null)[]> {
  // Loaded here, synchronously: an empty or small listing never pays for it.
  const { Worker } = (process as unknown as { getBuiltinModule(id: string): typeof import('node:worker_threads') }).getBuiltinModule('node:worker_threads');
  return new Promise((resolve, reject) => {
    const w = new Worker(workerPath() as string, { workerData: job });
    w.on('message', (m: { result?: (string | string[] | null)[] }) => m.result && resolve(m.result));
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`listing worker exited ${code}`)));
  });
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
  const parallel = entries.length >= PARALLEL_MIN && availableParallelism() > 1 && process.env.VCSTORE_WORKERS !== '0' && !(o.quiet && !ctx.json);
  const cut = parallel ? Math.ceil(entries.length / 2) : entries.length;
  const rest = parallel
    ? inWorker({ roots: ctx.roots, entries: entries.slice(cut), mode: ctx.json ? 'json' : 'row', host: host !== undefined, trunc: o.trunc, ...(o.state ? { state: o.state } : {}) })
    : Promise.resolve([]);
  rest.catch(() => {}); // awaited below; a rejection is not unhandled meanwhile

  const locks = entries.length ? new LockIndex() : undefined;
  const signal = table ? ctx.interruptible() : undefined;
  const bar = table ? ctx.progress(entries.length, 'sandboxes') : null;
  const mine: SandboxInfo[] = [];
  const w = new ChunkedWriter(ctx.write);
  let n = 0;
  const emitJson = (text: string) => w.push(`${n++ ? ',' : ''}${text}`);
  if (ctx.json) w.push('[');
  let yielded = Date.now();
  for (let i = 0; i < cut; i++) {
    const e = entries[i]!;
    const s = inspectScanned(ctx.roots, scanSandbox(ctx.roots, e.id, e.hint), { locks, host });
    if (keep(s)) {
      if (ctx.json) emitJson(JSON.stringify(sandboxJson(s)));
      else if (o.quiet) w.push(`${s.id}\n`);
      else mine.push(s);
    }
    if (table) {
      bar?.tick(parallel ? 2 : 1); // the worker keeps pace on the other core
      if (Date.now() - yielded >= 50) {
        await new Promise<void>((r) => setImmediate(r));
        yielded = Date.now();
        if (signal?.aborted) throw signal.reason;
      }
    }
  }
  // A worker that could not start or failed: warn, and list its half here.
  let theirs = await rest.catch((e: Error) => {
    ctx.warn(`the listing worker failed (${e.message.split('\n')[0]}); listing on one thread`);
    return null;
  });
  if (theirs === null) {
    theirs = [];
    for (const e of entries.slice(cut)) {
      const s = inspectScanned(ctx.roots, scanSandbox(ctx.roots, e.id, e.hint), { locks, host });
      if (keep(s)) theirs.push(ctx.json ? JSON.stringify(sandboxJson(s)) : rowFields(s, o.trunc));
    }
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
