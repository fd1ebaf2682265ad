import type { Ctx } from '../context.js';
import type { check as declared, OptsOf } from '../program.js';
import { DEFAULT_STUCK_AFTER } from '../defaults.js';
import { Exit, UsageError } from '../store/fs/errors.js';
import { onPath, readTextIfAny } from '../store/fs/read.js';
import { parseDuration } from '../store/fs/units.js';
import { atomicWrite, removeFileIfAny } from '../store/fs/write.js';
import { check, removedWhole, settleFixable, type CheckReport, type Finding } from '../store/inspect/check.js';
import { actionKey, fix, type FixAction } from '../store/ops/fix.js';
import { prometheusText, previousLastSuccess } from '../render/prometheus.js';
import { problemText } from '../render/problems.js';
import { podJson } from '../render/json.js';
import { nextStep } from '../render/next.js';
import { DEFAULT_CONTAINERD_SOCKET } from '../store/host/containerd.js';
import { criKnown } from '../store/host/cri.js';
import { askCri, namedEndpoint } from '../options.js';
import { CANNOT_TELL, CODES } from '../store/read/problems.js';
import { termSafe } from '../render/safe.js';
import { table, type Col } from '../render/table.js';
import { cell, outputOption, podText } from '../render/rows.js';
import { requireSomeRoot } from '../store/fs/roots.js';
import { selection } from '../store/inspect/select.js';
import { ChunkedWriter } from '../output.js';
import type { Progress } from '../render/progress.js';

type Opts = OptsOf<typeof declared>;

export async function run(ctx: Ctx, o: Opts): Promise<number> {
  return checkRun(ctx, o, false);
}

/** `round`: one round of the --every loop, whose log says what was done and one summary line, nothing else. */
async function checkRun(ctx: Ctx, o: Opts, round: boolean): Promise<number> {
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
  requireSomeRoot(ctx.roots);
  deprecated();
  const signal = ctx.interruptible();
  let bar: Progress | null | undefined;
  const { cri, explicit, where } = await askCri(o.cri, ctx.roots.prefix, ctx.criEnv, signal);
  const report = await check(ctx.roots, {
    cri,
    criRequired: explicit,
    select,
    stuckAfter,
    settings: ctx.settings,
    signal,
    onWorkerFailure: workerWarning(ctx),
    // The total is known once the roots are listed: the line starts with the first sandbox.
    onProgress: (done, total) => {
      if (bar === undefined) bar = ctx.progress(total, 'sandboxes');
      bar?.update(done);
    },
  });
  ctx.quiet();
  if (only) {
    report.findings = report.findings.filter((f) => only.has(f.code));
    settleFixable(report.findings);
  }
  const counts = summarize(report.findings);
  let actions: FixAction[] | undefined;
  let interrupted;
  let remaining = report.findings.filter((f) => f.severity !== 'info');
  let dryRun = Boolean(o.dryRun);
  let agreed: Map<string, FixAction> | undefined;
  if (o.fix && !dryRun && !o.yes && report.findings.some((f) => f.fixable)) {
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
  if (o.fix) {
    let fixing: Progress | null | undefined;
    ({ actions, interrupted } = await fix(ctx.roots, report, {
      dryRun,
      signal,
      ...(agreed ? { plan: agreed } : {}),
      onProgress: (done, total) => {
        fixing ??= ctx.progress(total, 'fixes');
        fixing?.update(done);
      },
    }));
    ctx.quiet();
    // What remains is what a fresh check finds: the sandboxes it reported on looked at again, and the store-wide checks.
    if (!dryRun && !interrupted) {
      const ids = new Set(report.findings.map((f) => f.id));
      const again = await check(ctx.roots, {
        stuckAfter,
        settings: ctx.settings,
        signal,
        cri,
        criRequired: explicit,
        select,
        only: { ids, acrnUsers: report.acrnUsers },
      });
      remaining = again.findings.filter((f) => f.severity !== 'info' && (!only || only.has(f.code)));
      if (only) settleFixable(remaining);
    }
  }
  const done = (actions ?? []).filter(
    (a) => (a.action === 'removed' || a.action === 'freed' || a.action === 'unmounted') && (a.paths.length > 0 || (a.unmounts?.length ?? 0) > 0),
  );
  const code = interrupted ? interrupted.exitCode : remaining.some(failsOn(o.failOn)) ? Exit.PROBLEMS : Exit.OK;
  // What a person must still do after the fix vcstore would do: not what goes with a sandbox the fix removes whole.
  const going = removedWhole(report.findings);
  // Nor what kubelet is already tearing down (a pod the CRI reports NOTREADY).
  const notready = new Set(report.findings.filter((f) => f.code === 'cri-notready').map((f) => f.id));
  const person = remaining.filter((f) => !f.fixable && !notready.has(f.id) && !(going.has(f.id) && (!actions || dryRun))).length;
  const prefix = ctx.roots.prefix;
  // What a next step needs to say: crictl or ctr, the socket asked (where not the default), the pods containerd must tear down first.
  const tools = {
    crictl: report.findings.some((f) => f.code.startsWith('cri-')) && onPath('crictl', ctx.searchPath),
    // An endpoint found as crictl finds it is the one crictl and vcstore find again: only --cri's is named.
    socket: namedEndpoint(where),
    ...(criKnown(cri) ? { api: cri.api } : {}),
    stuck: new Set(report.findings.filter((f) => f.code === 'cri-stuck').map((f) => f.id)),
    notready,
    address: cri && cri.socket !== DEFAULT_CONTAINERD_SOCKET && where?.error === undefined ? cri.socket : null,
    bundle: new Map(report.findings.filter((f) => f.code === 'bundle-mounted').map((f) => [f.id, f])),
    unreachable: explicit && cri !== null && !criKnown(cri),
    going,
  };

  if (ctx.json) {
    // Written a finding at a time: the same bytes as one JSON.stringify of the
    // whole document, without holding it twice (10,000 sandboxes: ~15 MB).
    const w = new ChunkedWriter((t) => ctx.write(t));
    w.push('{"findings":[');
    // A finding as scripts read it: the pod in its JSON shape, the message and the next step.
    const findingJson = (f: Finding) => ({ ...f, pod: f.pod && podJson(f.pod), message: problemText(f), next: nextStep(f, prefix, tools) });
    report.findings.forEach((f, i) => w.push(`${i ? ',' : ''}${JSON.stringify(findingJson(f))}`));
    const criSummary = cri
      ? criKnown(cri)
        ? { socket: cri.socket, runtime: cri.runtime, version: cri.version, api: cri.api, sandboxes: cri.sandboxes.size, ms: cri.ms }
        : { socket: cri.socket, error: cri.error }
      : null;
    w.push(
      `],"summary":${JSON.stringify({ sandboxes: report.sandboxes, ...counts, remaining: remaining.length, person, ...(criSummary ? { cri: criSummary } : {}) })}`,
    );
    if (actions) w.push(`,"actions":${JSON.stringify(actions)}`);
    if (actions && !dryRun && !interrupted) w.push(`,"remaining":${JSON.stringify(remaining.map(findingJson))}`);
    if (interrupted) w.push(`,"error":${JSON.stringify({ code: interrupted.exitCode, message: interrupted.message })}`);
    w.push('}\n');
    w.flush();
    if (interrupted) ctx.err(`vcstore: ${interrupted.message}: stopped after ${done.length} fixes\n`);
    return code;
  }
  const p = ctx.paint;
  if (report.findings.length && !round) {
    const sev = (s: Finding['severity']) => (s === 'error' ? p.bad(s) : s === 'warning' ? p.warn(s) : p.dim(s));
    const withPod = report.findings.some((f) => f.pod !== null);
    const head = ['SEVERITY', 'CODE', 'ID', ...(withPod ? ['POD'] : []), 'DETAIL'];
    const idOf = (f: Finding) => (f.container ? `${f.id.slice(0, 12)}/${f.container.slice(0, 12)}` : f.id.slice(0, 12));
    const row = (f: Finding, pod: number) => [sev(f.severity), f.code, idOf(f), ...(withPod ? [f.pod ? cell(podText(f.pod), pod) : '-'] : []), problemText(f)];
    // On a terminal the table fits its width (kubectl's and crictl's way), and the next steps, which are only
    // of use whole, follow it one per line: each runnable as printed, the findings it answers after a #.
    const width = o.trunc === false ? undefined : ctx.width;
    if (width !== undefined) {
      const cols: Col[] = [{ short: 'SEV' }, { min: 8 }, {}, ...(withPod ? [{ min: 8 }] : []), { min: 20 }];
      ctx.out(
        await table(
          head,
          report.findings.map((f) => row(f, Infinity)),
          p,
          { width, cols },
        ),
      );
      const steps = new Map<string, string[]>();
      for (const f of report.findings) {
        const step = termSafe(nextStep(f, prefix, tools));
        steps.set(step, [...(steps.get(step) ?? []), `${idOf(f)} ${f.code}`]);
      }
      ctx.out('');
      ctx.out(p.dim('next:'));
      for (const [step, what] of steps) ctx.out(`  ${step}  ${p.dim(`# ${what.join(', ')}`)}`);
    } else {
      // The next step on a line of its own under each finding, in the DETAIL column.
      const rows = report.findings.flatMap((f) => [row(f, 40), ['', '', '', ...(withPod ? [''] : []), p.dim(`next: ${termSafe(nextStep(f, prefix, tools))}`)]]);
      ctx.out(await table(head, rows, p));
    }
  }
  const tried = new Map((actions ?? []).filter((a) => a.action === 'left').map((a) => [actionKey(a), a.reason]));
  if (actions?.length) {
    if (!round) ctx.out('');
    for (const a of actions) {
      // What was tried and left is said once, with what remains below (or here, on a dry run).
      if (a.action === 'left' && ((!dryRun && !interrupted) || round)) continue;
      ctx.out(actionLine(ctx, a));
    }
  }
  if (actions && !dryRun && !interrupted && !round)
    for (const f of remaining) {
      // Why it is left: what the fix met when it tried, else why it was not tried.
      const why =
        tried.get(actionKey(f)) ??
        f.hold ??
        (f.fixable
          ? agreed
            ? 'not in the plan that was agreed'
            : 'found by the check after the fix'
          : `vcstore does not fix ${f.code}; next: ${nextStep(f, prefix, tools)}`);
      ctx.out(`${p.warn('left')} ${f.code} ${f.id}${f.container ? `/${f.container}` : ''}: ${problemText(f)} (not fixed: ${termSafe(why)})`);
    }
  const planned = (actions ?? []).filter((a) => a.action.startsWith('would')).length;
  const fixNote = !actions ? '' : dryRun ? `; dry run: ${planned} would be fixed, nothing changed` : `; ${done.length} fixed, ${remaining.length} remaining`;
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  const line = `${n(report.sandboxes, 'sandbox', 'sandboxes')} checked: ${n(counts.errors, 'error')}, ${n(counts.warnings, 'warning')}, ${counts.info} info${fixNote}${person ? `; ${person} need${person === 1 ? 's' : ''} a person` : ''}`;
  ctx.out(code === Exit.OK ? p.ok(line) : p.warn(line));
  if (interrupted) ctx.err(`vcstore: ${interrupted.message}: stopped after ${done.length} fixes; every sandbox is whole or gone\n`);
  return code;
}

/** One fix action as a line: what was (or would be) done, to which sandbox, and what. */
function actionLine(ctx: Ctx, a: FixAction): string {
  const p = ctx.paint;
  const verb = a.action === 'left' ? p.warn('left') : a.action.startsWith('would') ? a.action.replace('-', ' ') : p.ok(a.action);
  const um = a.unmounts?.length
    ? `${a.action.endsWith('unmount') || a.action === 'unmounted' ? '' : a.action.startsWith('would') ? 'unmount ' : 'unmounted '}${a.unmounts.length} mount${a.unmounts.length > 1 ? 's' : ''}${a.unmounts.length > 3 ? ` (${termSafe(a.unmounts.slice(0, 3).join(' '))} …)` : `: ${termSafe(a.unmounts.join(' '))}`}`
    : '';
  const what = [um, a.paths.length && a.action !== 'left' ? termSafe(a.paths.join(' ')) : ''].filter(Boolean).join('; ');
  return `${verb} ${a.code} ${a.id}${a.container ? `/${a.container}` : ''}${what ? `: ${what}` : ''}${a.action === 'left' ? `: ${termSafe(a.reason)}` : ''}`;
}

/** "3 removals, 2 unmounts, 1 UUID slot freed": the plan in one line. */
function planSummary(steps: FixAction[]): string {
  const n = (k: number, one: string, many: string) => (k ? `${k} ${k === 1 ? one : many}` : '');
  const removals = steps.filter((a) => a.action === 'would-remove').length;
  const unmounts = steps.reduce((k, a) => k + (a.unmounts?.length ?? 0), 0);
  const freed = steps.filter((a) => a.action === 'would-free').length;
  return [n(removals, 'removal', 'removals'), n(unmounts, 'unmount', 'unmounts'), n(freed, 'UUID slot freed', 'UUID slots freed')].filter(Boolean).join(', ');
}

/** --only CODE[,CODE]: every code must be one of check's. */
function onlyCodes(v: string | undefined): Set<string> | null {
  if (v === undefined) return null;
  const codes = v.split(',').map((c) => c.trim());
  for (const c of codes)
    if (!Object.hasOwn(CODES, c)) throw new UsageError(`--only: unknown code ${JSON.stringify(c)}; the codes are ${Object.keys(CODES).join(', ')}`);
  return new Set(codes);
}

function summarize(f: Finding[]) {
  return {
    errors: f.filter((x) => x.severity === 'error').length,
    warnings: f.filter((x) => x.severity === 'warning').length,
    info: f.filter((x) => x.severity === 'info').length,
  };
}

/**
 * --every: the DaemonSet's loop, in vcstore itself so that it can be PID 1
 * (exec form) and end at once on SIGTERM with exit 0, where a shell loop
 * ignores SIGTERM and makes every rollout wait out its grace period. Each
 * round: --fix first where asked (its lines go to the log), then the
 * metrics; a round that fails (its fix or its check) is said on stderr and
 * in the textfile (vcstore_check_completed 0), and the next one comes.
 */
async function loop(ctx: Ctx, o: Opts, stuckAfter: number): Promise<number> {
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
        await checkRun(ctx, { ...o, every: undefined, textfile: undefined, output: undefined, format: undefined, yes: true }, true);
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

/**
 * check as metrics: on stdout (--format prometheus) and/or atomically into a
 * .prom file (--textfile). A check that fails still writes its metrics, with
 * vcstore_check_completed 0 and the last success carried over from the
 * previous file, so a broken check shows on the graphs; then it fails as usual.
 */
async function metrics(ctx: Ctx, o: Opts, stuckAfter: number, stdout: boolean, failed?: { e: unknown }): Promise<number> {
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

/**
 * Does a finding fail the run, under --fail-on (default warning: errors and
 * warnings; error: errors and what could not be told; never: none)? A gate
 * that could not look (another pid namespace, containerd unreachable) is
 * never green.
 */
const failsOn =
  (failOn = 'warning') =>
  (f: Finding): boolean =>
    failOn === 'error' ? f.severity === 'error' || CANNOT_TELL.has(f.code) : failOn === 'warning' && f.severity !== 'info';

/** One warning however many workers fail: their halves are checked on this thread. */
function workerWarning(ctx: Ctx): (e: Error) => void {
  let said = false;
  return (e) => {
    if (!said) ctx.warn(`a check worker failed (${e.message.split('\n')[0]}); checking on this thread instead`);
    said = true;
  };
}
