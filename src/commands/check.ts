// check: the options judged, then one of three jobs: one check (fixed with
// --fix: check/once.ts, check/fix.ts, check/print.ts), metrics
// (check/metrics.ts), or the DaemonSet's loop of both (check/every.ts).
import type { Ctx } from '../context.js';
import type { check as declared, OptsOf } from '../program.js';
import { DEFAULT_STUCK_AFTER } from '../defaults.js';
import { requireSomeRoot, selection, UsageError } from '../store/index.js';
import { outputOption } from '../render/rows.js';
import { loop } from './check/every.js';
import { metrics } from './check/metrics.js';
import { checkOnce } from './check/once.js';
import { onlyCodes } from './check/gate.js';

type Opts = OptsOf<typeof declared>;

export async function run(ctx: Ctx, o: Opts): Promise<number> {
  if (o.dryRun && !o.fix) throw new UsageError('--dry-run goes with --fix');
  const stuckAfter = o.stuckAfter ?? DEFAULT_STUCK_AFTER;
  if (o.format !== undefined && o.output !== undefined && o.format !== o.output) throw new UsageError(`-o ${o.output} and --format ${o.format} disagree`);
  const format = outputOption(ctx, o.output ?? o.format, ['table', 'json', 'prometheus']);
  const select = selection(o);
  const only = onlyCodes(o.only);
  if (o.yes && !o.fix) throw new UsageError('--yes goes with --fix');
  // Said once the arguments are known good: a usage error stays one line.
  const deprecated = () => o.format !== undefined && ctx.warn('--format is deprecated: use -o (the same values)');
  if (o.every !== undefined) {
    deprecated();
    return loop(ctx, o, stuckAfter);
  }
  if (o.textfile !== undefined || format === 'prometheus') {
    if (only) throw new UsageError('metrics cover every code: no --only with -o prometheus or --textfile');
    if (select.any) throw new UsageError('metrics cover the whole store: no selection options with -o prometheus or --textfile');
    deprecated();
    return metrics(ctx, o, stuckAfter, format === 'prometheus');
  }
  // Before the warning, as the error it may be; checkOnce asks again each round of --every.
  requireSomeRoot(ctx.roots);
  deprecated();
  return checkOnce(ctx, o, false);
}
