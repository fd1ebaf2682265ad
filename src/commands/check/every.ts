// check --every: the DaemonSet's loop of rounds, each a fix where asked
// and the metrics, until SIGTERM.
import type { Ctx } from '../../context.js';
import type { check as declared, OptsOf } from '../../program.js';
import { Exit, parseDuration, removeFileIfAny, UsageError } from '../../store/index.js';
import { metrics } from './metrics.js';
import { checkOnce } from './once.js';

type Opts = OptsOf<typeof declared>;

/**
 * --every: the DaemonSet's loop, in vcstore itself so that it can be PID 1
 * (exec form) and end at once on SIGTERM with exit 0, where a shell loop
 * ignores SIGTERM and makes every rollout wait out its grace period. Each
 * round: --fix first where asked (its lines go to the log), then the
 * metrics; a round that fails (its fix or its check) is said on stderr and
 * in the textfile (vcstore_check_completed 0), and the next one comes.
 */
export async function loop(ctx: Ctx, o: Opts, stuckAfter: number): Promise<number> {
  const every = parseDuration(o.every ?? '');
  if (every === null || every < 1) throw new UsageError(`--every ${JSON.stringify(o.every)}: a duration of at least 1s (60s, 5m, 1h)`);
  if (o.textfile === undefined) throw new UsageError('--every goes with --textfile');
  const signal = ctx.interruptible();
  const textfile = o.textfile;
  // Stopped: the textfile goes with the loop, or node_exporter would serve its last numbers for ever
  // (a pod deleted, a node no longer Kata's); a rollout's gap is shorter than any alert's `for`.
  const stop = () => {
    try {
      removeFileIfAny(textfile);
    } catch (e) {
      ctx.fail(e);
    }
    return Exit.OK;
  };
  const { setTimeout: sleep } = await import('node:timers/promises');
  for (;;) {
    // A fix that failed is a round that failed: its metrics say so (completed 0, the last success kept), as without --fix.
    let failed: { e: unknown } | undefined;
    if (o.fix)
      try {
        await checkOnce(ctx, { ...o, every: undefined, textfile: undefined, output: undefined, format: undefined, yes: true }, true);
      } catch (e) {
        if (signal.aborted) return stop();
        ctx.fail(e);
        failed = { e };
      }
    try {
      await metrics(ctx, { ...o, fix: undefined }, stuckAfter, false, failed);
    } catch (e) {
      if (signal.aborted) return stop();
      if (e !== failed?.e) ctx.fail(e);
    }
    if (signal.aborted) return stop();
    await sleep(every * 1000, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return stop();
  }
}
