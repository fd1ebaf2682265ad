import type { Ctx } from '../context.js';
import type { ls, OptsOf } from '../program.js';
import { ChunkedWriter } from '../render/chunked.js';
import { requireSomeRoot, rootListing, type SandboxInfo, selection, UsageError } from '../store/base.js';
import { sandboxJson } from '../render/json.js';
import { outputOption, rowFields } from '../render/rows.js';
import { columns, type Col } from '../render/table.js';

// Sandboxes come from the core's listing (store/inspect/list.ts: a worker
// thread takes half of a large store), each kept only as what will be
// printed (a JSON text, an ID, a row), with the key it sorts by. Sorted by --sort (default: newest first, as crictl does);
// --sort id streams in the listing's order.
type Opts = OptsOf<typeof ls>;

const SORTS = ['age', 'id', 'state', 'pod'] as const;
type Sort = (typeof SORTS)[number];

/** What one sandbox sorts by. */
function sortKey(s: SandboxInfo, sort: Sort): string {
  switch (sort) {
    case 'id':
      return s.id;
    case 'state':
      return `${s.state ?? '~'}\u0000${s.id}`;
    case 'pod':
      return s.pod ? `${s.pod.namespace ?? ''}/${s.pod.name ?? ''}\u0000${s.id}` : `~\u0000${s.id}`;
    case 'age': {
      // Newest first; unknown ages last: milliseconds before the year 2^43 ms, fixed width.
      const t = s.created === null ? NaN : Date.parse(s.created);
      return Number.isFinite(t) ? `${String(8.8e12 - t).padStart(14, '0')}\u0000${s.id}` : `~\u0000${s.id}`;
    }
  }
}

export async function run(ctx: Ctx, o: Opts): Promise<number> {
  const format = outputOption(ctx, o.output, ['table', 'wide', 'json']);
  const sort = (o.sort ?? 'age') as Sort;
  if (!SORTS.includes(sort)) throw new UsageError(`invalid --sort ${JSON.stringify(o.sort)}: one of ${SORTS.join(', ')}`);
  const sel = selection(o);
  const keep = (s: SandboxInfo) =>
    !sel.any ||
    sel.test({ pod: s.pod, state: s.state, layout: s.layout, hypervisor: s.hypervisor.type, created: s.created, codes: s.problems.map((p) => p.code) });
  requireSomeRoot(ctx.roots);
  const quiet = o.quiet && !ctx.json;
  const table = !quiet && !ctx.json;
  const w = new ChunkedWriter((t) => ctx.write(t));
  const streaming = sort === 'id' && !table;
  const kept: { key: string; text: string; s?: SandboxInfo }[] = [];
  let n = 0;
  const emit = (text: string) => w.push(ctx.json ? `${n++ ? ',' : ''}${text}` : text);
  const take = (s: SandboxInfo) => {
    if (!keep(s)) return;
    if (table) kept.push({ key: sortKey(s, sort), text: '', s });
    else {
      const text = ctx.json ? JSON.stringify(sandboxJson(s)) : `${s.id}\n`;
      if (streaming) emit(text);
      else kept.push({ key: sortKey(s, sort), text });
    }
  };
  if (ctx.json) w.push('[');
  // An empty store needs nothing more of the core (dist/core-base.cjs): the rest is loaded for a sandbox.
  const entries = rootListing(ctx.roots);
  const signal = table ? ctx.interruptible() : undefined;
  if (entries.length) {
    const { listSandboxes } = await import('../store/index.js');
    // The line's clock starts before the first sandbox is read.
    const bar = table ? ctx.progress(entries.length, 'sandboxes') : null;
    await listSandboxes(ctx.roots, take, {
      entries,
      settings: ctx.settings,
      idsOnly: quiet,
      signal,
      onProgress: bar ? (done) => bar.update(done) : undefined,
      // A worker that could not start or failed: warn; its half is listed here.
      onWorkerFailure: (e) => ctx.warn(`the listing worker failed (${e.message.split('\n')[0]}); listing on one thread`),
    });
  }
  if (!streaming) kept.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (!table) {
    for (const k of kept) emit(k.text);
    if (ctx.json) w.push(']\n');
    w.flush();
    return 0;
  }
  ctx.quiet();
  if (kept.length === 0) {
    ctx.err(`no sandboxes${sel.any ? ' selected' : ''} under ${ctx.roots.config}, ${ctx.roots.run} or ${ctx.roots.kata}\n`);
    return 0;
  }
  ctx.out(
    render(
      ctx,
      kept.map((k) => k.s).filter((s): s is SandboxInfo => s !== undefined),
      format === 'wide' || !o.trunc,
      format === 'wide',
    ),
  );
  return 0;
}

/**
 * How the table is cut to a terminal's width: IDs never below 12 characters,
 * pids, ages and liveness never; the rest loses its end, widest first.
 */
const COLS: Record<string, Col> = {
  ID: { id: true },
  POD: { min: 4 },
  STATE: { min: 4 },
  HYPERVISOR: { min: 4, short: 'VMM' },
  CONTAINERS: { short: 'CTRS' },
  LOCK: { min: 4 },
  PROBLEMS: { min: 4 },
};

function render(ctx: Ctx, rows: SandboxInfo[], full: boolean, wide: boolean): string {
  const p = ctx.paint;
  const now = Date.now();
  const withPod = rows.some((s) => s.pod !== null);
  // On a terminal (and not --no-trunc, -o wide) the table fits its width: no row wraps.
  const width = full ? undefined : ctx.width;
  const head = [
    'ID',
    ...(withPod ? ['POD'] : []),
    'STATE',
    'HYPERVISOR',
    'PID',
    'ALIVE',
    'CONTAINERS',
    'AGE',
    ...(wide ? ['CREATED', 'LAYOUT'] : []),
    'LOCK',
    'PROBLEMS',
  ];
  const cells = rows
    .map((s) => ({ f: rowFields(s, !full, now, width === undefined ? undefined : Infinity), error: s.problems.some((x) => x.severity === 'error') }))
    .map(({ f, error }) => [
      f.id,
      ...(withPod ? [f.pod] : []),
      p.state(f.state),
      f.hypervisor,
      f.pid,
      f.alive === 'yes' ? p.ok('yes') : f.alive === 'no' ? p.bad('no') : f.alive === '?' ? p.warn('?') : f.alive,
      f.containers,
      f.age,
      ...(wide ? [f.created, f.layout] : []),
      f.lock,
      // Red where any problem is an error, yellow for warnings only.
      f.problems === '-' ? '-' : error ? p.bad(f.problems) : p.warn(f.problems),
    ]);
  return columns(head, cells, p, { width, cols: head.map((h) => COLS[h] ?? {}) });
}
