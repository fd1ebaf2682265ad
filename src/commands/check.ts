import type { Ctx } from '../context.js';
import { Exit, UsageError } from '../store/errors.js';
import { check, fix, type Finding, type FixAction } from '../store/check.js';
import { table } from '../render/table.js';
import { finishInterruptedRemovals } from '../store/mutate.js';

interface Opts {
  fix?: boolean;
  dryRun?: boolean;
  stuckAfter: string;
}

export default async function checkCmd(ctx: Ctx, o: Opts): Promise<number> {
  if (o.dryRun && !o.fix) throw new UsageError('--dry-run goes with --fix');
  const stuckAfter = Number(o.stuckAfter);
  if (!Number.isFinite(stuckAfter) || stuckAfter < 0) throw new UsageError(`invalid --stuck-after ${JSON.stringify(o.stuckAfter)}`);
  const report = check(ctx.roots, { stuckAfter });
  const counts = summarize(report.findings);
  let actions: FixAction[] | undefined;
  if (o.fix && !o.dryRun) finishInterruptedRemovals(ctx.roots);
  if (o.fix) actions = await fix(ctx.roots, report, { dryRun: Boolean(o.dryRun), signal: ctx.interruptible() });

  // Problems remain unless --fix (for real) removed every error and warning.
  const problems = report.findings.filter((f) => f.severity !== 'info');
  const done = (actions ?? []).filter((a) => a.action === 'removed' || a.action === 'freed');
  const fixed = new Set(done.map((a) => `${a.code}:${a.id}`));
  // Removing a whole sandbox settles every finding about it.
  const goneIds = new Set(done.filter((a) => a.code === 'hypervisor-dead' || a.code === 'empty-shell').map((a) => a.id));
  const remaining = problems.filter((f) => !fixed.has(`${f.code}:${f.id}`) && !goneIds.has(f.id));
  const code = remaining.length ? Exit.PROBLEMS : Exit.OK;

  if (ctx.json) {
    const doc: Record<string, unknown> = {
      findings: report.findings,
      summary: { sandboxes: report.sandboxes, ...counts, remaining: remaining.length },
    };
    if (actions) doc.actions = actions;
    ctx.out(JSON.stringify(doc));
    return code;
  }
  const p = ctx.paint;
  if (report.findings.length) {
    const sev = (s: Finding['severity']) => (s === 'error' ? p.bad(s) : s === 'warning' ? p.warn(s) : p.dim(s));
    const rows = report.findings.map((f) => [sev(f.severity), f.code, f.container ? `${f.id.slice(0, 12)}/${f.container.slice(0, 12)}` : f.id.slice(0, 12), f.message]);
    ctx.out(await table(['SEVERITY', 'CODE', 'ID', 'DETAIL'], rows, p));
  }
  if (actions?.length) {
    ctx.out('');
    for (const a of actions) {
      const verb = a.action === 'left' ? p.warn('left') : a.action.startsWith('would') ? a.action.replace('-', ' ') : p.ok(a.action);
      ctx.out(`${verb} ${a.code} ${a.id}${a.container ? `/${a.container}` : ''}${a.paths.length && a.action !== 'left' ? `: ${a.paths.join(' ')}` : ''}${a.action === 'left' ? `: ${a.reason}` : ''}`);
    }
  }
  const planned = (actions ?? []).filter((a) => a.action.startsWith('would')).length;
  const fixNote = !actions ? '' : o.dryRun ? `; dry run: ${planned} would be fixed, nothing changed` : `; ${fixed.size} fixed, ${remaining.length} remaining`;
  const line = `${report.sandboxes} sandboxes checked: ${counts.errors} errors, ${counts.warnings} warnings, ${counts.info} info${fixNote}`;
  ctx.out(code === Exit.OK ? p.ok(line) : p.warn(line));
  return code;
}

function summarize(f: Finding[]) {
  return {
    errors: f.filter((x) => x.severity === 'error').length,
    warnings: f.filter((x) => x.severity === 'warning').length,
    info: f.filter((x) => x.severity === 'info').length,
  };
}
