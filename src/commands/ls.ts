import type { Ctx } from '../context.js';
import { ChunkedWriter } from '../output.js';
import { UsageError } from '../store/errors.js';
import { forEachSandbox, STATES, type SandboxInfo } from '../store/sandbox.js';
import { sandboxJson } from '../render/json.js';
import { table } from '../render/table.js';

interface Opts {
  quiet?: boolean;
  state?: string;
  trunc: boolean;
}

function lockCell(s: SandboxInfo): string {
  if (s.lock.path === null) return s.layout === 'runtime-rs' ? 'none' : '-';
  if (!s.lock.visible && !s.lock.held) return '?';
  const holders = s.lock.holders.filter((h) => !h.waiting);
  if (!s.lock.held) return s.lock.holders.length ? `free (${s.lock.holders.length} waiting)` : 'free';
  const h = holders[0];
  const more = holders.length > 1 ? ` +${holders.length - 1}` : '';
  return h ? `${h.pid}/${h.command || '?'}${more}` : 'held';
}

/** container:<64 hex>:code reads badly in a table: cut IDs like the ID column. */
function shortIds(problem: string): string {
  return problem.replace(/^container:([^:]{12})[^:]*:/, 'container:$1:');
}

// Sandboxes are inspected and written one at a time (JSON and -q stream), so
// a listing of 10,000 sandboxes runs in constant memory.
export default async function ls(ctx: Ctx, o: Opts): Promise<number> {
  if (o.state && o.state !== 'none' && !(STATES as readonly string[]).includes(o.state))
    throw new UsageError(`invalid --state ${JSON.stringify(o.state)}: one of ${STATES.join(', ')}, none`);
  const keep = (s: SandboxInfo) => !o.state || (o.state === 'none' ? s.state === null : s.state === o.state);

  if (o.quiet || ctx.json) {
    const w = new ChunkedWriter(ctx.write);
    let n = 0;
    if (ctx.json) w.push('[');
    forEachSandbox(ctx.roots, (s) => {
      if (!keep(s)) return;
      w.push(o.quiet && !ctx.json ? `${s.id}\n` : `${n ? ',' : ''}${JSON.stringify(sandboxJson(s))}`);
      n++;
    });
    if (ctx.json) w.push(']\n');
    w.flush();
    return 0;
  }

  const p = ctx.paint;
  const rows: string[][] = [];
  forEachSandbox(ctx.roots, (s) => {
    if (!keep(s)) return;
    rows.push([
      o.trunc ? s.id.slice(0, 12) : s.id,
      p.state(s.state),
      s.hypervisor.type ?? '-',
      s.hypervisor.pid === null ? '-' : String(s.hypervisor.pid),
      s.hypervisor.alive === null ? '-' : s.hypervisor.alive ? p.ok('yes') : p.bad('no'),
      String(s.containers.length),
      lockCell(s),
      s.problems.length ? p.warn(s.problems.map((x) => (o.trunc ? shortIds(x) : x)).join(',')) : '-',
    ]);
  });
  if (rows.length === 0) {
    ctx.err(`no sandboxes under ${ctx.roots.config} or ${ctx.roots.run}\n`);
    return 0;
  }
  ctx.out(await table(['ID', 'STATE', 'HYPERVISOR', 'PID', 'ALIVE', 'CONTAINERS', 'LOCK', 'PROBLEMS'], rows, p));
  return 0;
}
