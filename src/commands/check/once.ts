// One check: the store looked at (with the container manager asked), fixed
// where --fix asks, and printed. `check` runs it once; --every once a round.
import type { Ctx } from '../../context.js';
import type { check as declared, OptsOf } from '../../program.js';
import { DEFAULT_STUCK_AFTER } from '../../defaults.js';
import {
  askCri,
  check,
  criKnown,
  DEFAULT_CONTAINERD_SOCKET,
  Exit,
  onPath,
  removedWhole,
  requireSomeRoot,
  selection,
  settleFixable,
} from '../../store/index.js';
import { namedEndpoint } from '../../render/next.js';
import type { Progress } from '../../render/progress.js';
import { failsOn, onlyCodes, summarize, workerWarning } from './gate.js';
import { fixFindings } from './fix.js';
import { printJson, printText } from './print.js';

type Opts = OptsOf<typeof declared>;

/** `round`: one round of the --every loop, whose log says what was done and one summary line, nothing else. */
export async function checkOnce(ctx: Ctx, o: Opts, round: boolean): Promise<number> {
  requireSomeRoot(ctx.roots);
  const stuckAfter = o.stuckAfter ?? DEFAULT_STUCK_AFTER;
  const select = selection(o);
  const only = onlyCodes(o.only);
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
  const fixed = await fixFindings(ctx, o, report, only, { stuckAfter, settings: ctx.settings, signal, cri, criRequired: explicit, select }, signal);
  const { actions, interrupted, remaining, dryRun } = fixed;
  const done = (actions ?? []).filter(
    (a) => (a.action === 'removed' || a.action === 'freed' || a.action === 'unmounted') && (a.paths.length > 0 || (a.unmounts?.length ?? 0) > 0),
  );
  const code = interrupted ? interrupted.exitCode : remaining.some(failsOn(o.failOn)) ? Exit.PROBLEMS : Exit.OK;
  // What a person must still do after the fix vcstore would do: not what goes with a sandbox the fix removes whole.
  const going = removedWhole(report.findings);
  // Nor what kubelet is already tearing down (a pod the CRI reports NOTREADY).
  const notready = new Set(report.findings.filter((f) => f.code === 'cri-notready').map((f) => f.id));
  const person = remaining.filter((f) => !f.fixable && !notready.has(f.id) && !(going.has(f.id) && (!actions || dryRun))).length;
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
  const outcome = { ...fixed, report, counts, cri, done, person, code, tools };
  if (ctx.json) printJson(ctx, outcome);
  else await printText(ctx, o, outcome, round);
  return code;
}
