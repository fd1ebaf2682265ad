// check --fix: the plan, the one question on a terminal, the fix itself,
// and the check after it that says what remains.
import type { Ctx } from '../../context.js';
import type { check as declared, OptsOf } from '../../program.js';
import {
  actionKey,
  check,
  type CheckOptions,
  type CheckReport,
  type Finding,
  fix,
  type FixAction,
  type InterruptedError,
  settleFixable,
} from '../../store/index.js';
import type { Progress } from '../../render/progress.js';
import { actionLine, planSummary } from './actions.js';

type Opts = OptsOf<typeof declared>;

/** What check --fix did (or, on a dry run, would do), and what a check after it still finds. */
export interface Fixed {
  actions?: FixAction[];
  interrupted?: InterruptedError;
  /** Errors and warnings left: after a fix, what the check after it finds; otherwise the report's. */
  remaining: Finding[];
  dryRun: boolean;
  /** The plan a person said yes to, step by step. */
  agreed?: Map<string, FixAction>;
}

/** Fix what `report` found as `o` asks (nothing without --fix); `again`: the check to run after it, as the first one was. */
export async function fixFindings(
  ctx: Ctx,
  o: Opts,
  report: CheckReport,
  only: Set<string> | null,
  again: Omit<CheckOptions, 'only'>,
  signal: AbortSignal,
): Promise<Fixed> {
  let remaining = report.findings.filter((f) => f.severity !== 'info');
  let dryRun = Boolean(o.dryRun);
  if (!o.fix) return { remaining, dryRun };
  let agreed: Map<string, FixAction> | undefined;
  if (!dryRun && !o.yes && report.findings.some((f) => f.fixable)) {
    // On a terminal, the plan first and one question before the first change; scripts are never asked.
    const plan = await fix(ctx.roots, report, { dryRun: true, signal });
    const steps = plan.actions.filter((a) => a.action.startsWith('would'));
    if (steps.length && ctx.json === false) {
      const lines = steps.map((a) => `  ${actionLine(ctx, a)}`);
      const go = await ctx.confirm(`check --fix will:\n${lines.join('\n')}\n${planSummary(steps)}. Go ahead?`, signal);
      if (go === false) {
        ctx.err('vcstore: nothing changed\n');
        dryRun = true;
      }
      // Yes is to this plan, line by line: what was not in it (a lock released meanwhile, a mount made
      // since under a planned path) waits for the next run.
      if (go === true) agreed = new Map(steps.map((a) => [actionKey(a), a]));
    }
  }
  let fixing: Progress | null | undefined;
  const { actions, interrupted } = await fix(ctx.roots, report, {
    dryRun,
    signal,
    ...(agreed ? { plan: agreed } : {}),
    onProgress: (done, total) => {
      fixing ??= ctx.progress(total, 'fixes');
      fixing?.update(done);
    },
  });
  ctx.quiet();
  // What remains is what a fresh check finds: the sandboxes it reported on looked at again, and the store-wide checks.
  if (!dryRun && !interrupted) {
    const ids = new Set(report.findings.map((f) => f.id));
    const after = await check(ctx.roots, { ...again, only: { ids, acrnUsers: report.acrnUsers } });
    remaining = after.findings.filter((f) => f.severity !== 'info' && (!only || only.has(f.code)));
    if (only) settleFixable(remaining);
  }
  return { actions, ...(interrupted ? { interrupted } : {}), remaining, dryRun, ...(agreed ? { agreed } : {}) };
}
