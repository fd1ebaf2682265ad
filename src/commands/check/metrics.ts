// check as metrics: Prometheus's text on stdout (-o prometheus) and/or the
// node_exporter textfile (--textfile), written atomically.
import type { Ctx } from '../../context.js';
import type { check as declared, OptsOf } from '../../program.js';
import { askCri, atomicWrite, check, type CheckReport, Exit, readTextIfAny, requireSomeRoot, UsageError } from '../../store/index.js';
import { prometheusText, previousLastSuccess } from '../../render/prometheus.js';
import { failsOn, workerWarning } from './gate.js';

type Opts = OptsOf<typeof declared>;

/**
 * check as metrics: on stdout (--format prometheus) and/or atomically into a
 * .prom file (--textfile). A check that fails still writes its metrics, with
 * vcstore_check_completed 0 and the last success carried over from the
 * previous file, so a broken check shows on the graphs; then it fails as usual.
 */
export async function metrics(ctx: Ctx, o: Opts, stuckAfter: number, stdout: boolean, failed?: { e: unknown }): Promise<number> {
  if (o.fix) throw new UsageError('metrics report, they do not fix: run check --fix on its own');
  if (o.textfile !== undefined && !o.textfile.endsWith('.prom'))
    throw new UsageError(`--textfile ${JSON.stringify(o.textfile)}: node_exporter's textfile collector reads only *.prom files`);
  const t0 = process.hrtime.bigint();
  let report: CheckReport | null = null;
  let failure: unknown;
  const signal = ctx.interruptible();
  try {
    if (failed) throw failed.e;
    requireSomeRoot(ctx.roots);
    const { cri } = await askCri(o.cri, ctx.roots.prefix, ctx.criEnv, signal);
    report = await check(ctx.roots, { stuckAfter, settings: ctx.settings, signal, cri, onWorkerFailure: workerWarning(ctx) });
  } catch (e) {
    failure = e;
  }
  // An interrupted check says nothing about the store: no file is written for it.
  if (signal.aborted) throw failure ?? signal.reason;
  const durationSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let lastSuccess: number | null = report ? Math.floor(Date.now() / 1000) : null;
  if (!report && o.textfile !== undefined) {
    const previous = readTextIfAny(o.textfile);
    if (previous !== null) lastSuccess = previousLastSuccess(previous);
  }
  const text = prometheusText(report, { completed: report !== null, durationSeconds, lastSuccess });
  if (o.textfile !== undefined) atomicWrite(o.textfile, text, { mode: 0o644 });
  if (stdout) ctx.write(text);
  if (!report) throw failure;
  return report.findings.some(failsOn(o.failOn)) ? Exit.PROBLEMS : Exit.OK;
}
