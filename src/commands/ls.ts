import type { Ctx } from '../context.js';
import { ChunkedWriter } from '../output.js';
import { UsageError } from '../store/errors.js';
import { HostIndex } from '../store/host.js';
import { forEachSandbox, forEachSandboxAsync, type SandboxInfo } from '../store/inspect.js';
import type { Progress } from '../render/progress.js';
import { STATES } from '../store/items.js';
import { sandboxJson } from '../render/json.js';
import { problemTag } from '../render/problems.js';
import { termSafe } from '../render/safe.js';
import { table } from '../render/table.js';

interface Opts {
  quiet?: boolean;
  state?: string;
  trunc: boolean;
}

function lockCell(s: SandboxInfo): string {
  if (s.lock.path === null) return s.paths.runtime ? 'none' : '-';
  if (!s.lock.visible && !s.lock.held) return '?';
  const holders = s.lock.holders.filter((h) => !h.waiting);
  if (!s.lock.held) return s.lock.holders.length ? `free (${s.lock.holders.length} waiting)` : 'free';
  const h = holders[0];
  const more = holders.length > 1 ? ` +${holders.length - 1}` : '';
  return h ? `${h.pid}/${termSafe(h.command || '?')}${more}` : 'held';
}

// Sandboxes are inspected and written one at a time (JSON and -q stream), so
// a listing of 10,000 sandboxes runs in constant memory.
export async function run(ctx: Ctx, o: Opts): Promise<number> {
  if (o.state && o.state !== 'none' && !(STATES as readonly string[]).includes(o.state))
    throw new UsageError(`invalid --state ${JSON.stringify(o.state)}: one of ${STATES.join(', ')}, none`);
  const keep = (s: SandboxInfo) => !o.state || (o.state === 'none' ? s.state === null : s.state === o.state);

  if (o.quiet || ctx.json) {
    const w = new ChunkedWriter(ctx.write);
    let n = 0;
    if (ctx.json) w.push('[');
    forEachSandbox(
      ctx.roots,
      (s) => {
        if (!keep(s)) return;
        w.push(o.quiet && !ctx.json ? `${s.id}\n` : `${n ? ',' : ''}${JSON.stringify(sandboxJson(s))}`);
        n++;
      },
      // -q needs no host picture; JSON carries it (one mountinfo read, one /proc scan for the listing).
      o.quiet && !ctx.json ? {} : { host: new HostIndex(ctx.roots) },
    );
    if (ctx.json) w.push(']\n');
    w.flush();
    return 0;
  }

  const p = ctx.paint;
  const rows: string[][] = [];
  let bar: Progress | null | undefined;
  await forEachSandboxAsync(ctx.roots, (s) => {
    if (!keep(s)) return;
    const hv = s.hypervisor;
    rows.push([
      o.trunc ? s.id.slice(0, 12) : s.id,
      p.state(s.state === null ? null : termSafe(s.state)),
      termSafe(hv.type ?? '-'),
      hv.pid === null ? '-' : String(hv.pid),
      hv.alive === null ? (hv.unknown ? p.warn('?') : '-') : hv.alive ? p.ok('yes') : p.bad('no'),
      String(s.containers.length),
      lockCell(s),
      s.problems.length ? p.warn(s.problems.map((x) => problemTag(x, o.trunc)).join(',')) : '-',
    ]);
  }, {
    host: new HostIndex(ctx.roots),
    signal: ctx.interruptible(),
    onProgress: (_done, total) => {
      if (bar === undefined) bar = ctx.progress(total, 'sandboxes');
      bar?.tick();
    },
  });
  ctx.quiet();
  if (rows.length === 0) {
    ctx.err(`no sandboxes under ${ctx.roots.config} or ${ctx.roots.run}\n`);
    return 0;
  }
  ctx.out(await table(['ID', 'STATE', 'HYPERVISOR', 'PID', 'ALIVE', 'CONTAINERS', 'LOCK', 'PROBLEMS'], rows, p));
  return 0;
}
