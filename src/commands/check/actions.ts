// A fix action as one line, and a plan as one line: for the question before
// a fix, the dry run and what was done.
import type { Ctx } from '../../context.js';
import type { FixAction } from '../../store/index.js';
import { termSafe } from '../../render/safe.js';

/** One fix action as a line: what was (or would be) done, to which sandbox, and what. */
export function actionLine(ctx: Ctx, a: FixAction): string {
  const p = ctx.paint;
  const verb = a.action === 'left' ? p.warn('left') : a.action.startsWith('would') ? a.action.replace('-', ' ') : p.ok(a.action);
  const um = a.unmounts?.length
    ? `${a.action.endsWith('unmount') || a.action === 'unmounted' ? '' : a.action.startsWith('would') ? 'unmount ' : 'unmounted '}${a.unmounts.length} mount${a.unmounts.length > 1 ? 's' : ''}${a.unmounts.length > 3 ? ` (${termSafe(a.unmounts.slice(0, 3).join(' '))} …)` : `: ${termSafe(a.unmounts.join(' '))}`}`
    : '';
  const what = [um, a.paths.length && a.action !== 'left' ? termSafe(a.paths.join(' ')) : ''].filter(Boolean).join('; ');
  return `${verb} ${a.code} ${a.id}${a.container ? `/${a.container}` : ''}${what ? `: ${what}` : ''}${a.action === 'left' ? `: ${termSafe(a.reason)}` : ''}`;
}

/** "3 removals, 2 unmounts, 1 UUID slot freed": the plan in one line. */
export function planSummary(steps: FixAction[]): string {
  const n = (k: number, one: string, many: string) => (k ? `${k} ${k === 1 ? one : many}` : '');
  const removals = steps.filter((a) => a.action === 'would-remove').length;
  const unmounts = steps.reduce((k, a) => k + (a.unmounts?.length ?? 0), 0);
  const freed = steps.filter((a) => a.action === 'would-free').length;
  return [n(removals, 'removal', 'removals'), n(unmounts, 'unmount', 'unmounts'), n(freed, 'UUID slot freed', 'UUID slots freed')].filter(Boolean).join(', ');
}
