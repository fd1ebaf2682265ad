import type { Ctx } from '../context.js';
import type { rm, OptsOf } from '../program.js';
import { DEFAULT_WAIT, waitOf } from '../defaults.js';
import {
  askCri,
  criKnown,
  Exit,
  type InterruptedError,
  isPodTarget,
  NotFoundError,
  type Planned,
  RefusedError,
  removeContainer,
  type RemoveOptions,
  type RemoveResult,
  removeSandboxes,
  requireSandbox,
  resolveContainer,
  type Resolved,
  resolveSandbox,
  trashIndex,
  UsageError,
  validateId,
  VcError,
  worstExit,
} from '../store/index.js';
import { crictlEndpointFlag } from '../render/next.js';
import { namedEndpoint } from '../render/next.js';
import { resolvedText } from '../render/rows.js';
import { termSafe } from '../render/safe.js';

type Opts = OptsOf<typeof rm>;

interface Outcome {
  id: string;
  container?: string;
  status: 'removed' | 'would-remove' | 'absent' | 'error';
  paths: string[];
  exitCode: number;
  error?: string;
  warnings?: string[];
  unmounts?: string[];
}

export async function run(ctx: Ctx, given: string[], o: Opts): Promise<number> {
  if (o.container !== undefined) {
    validateId(o.container, 'container ID');
    if (new Set(given).size !== 1) throw new UsageError('--container takes exactly one sandbox ID');
  }
  // Resolve every argument before touching anything: a malformed or ambiguous
  // one (a prefix of two sandboxes, a pod with two) removes nothing at all.
  const absent: { given: string; error: NotFoundError }[] = [];
  // Overriding the witnesses, or calling a missing sandbox fine, is for a name given whole (targets.ts).
  const exact = o.force ? '--force' : o.ignoreNotFound ? '--ignore-not-found' : undefined;
  const resolved: Resolved[] = [];
  for (const arg of given)
    try {
      resolved.push(...resolveSandbox(ctx.roots, arg, { change: true, ...(exact ? { exact } : {}) }));
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      // An ID that names nothing goes through removal as it is (reported there, in order); a pod cannot,
      // nor a name that is not there whole under --force or --ignore-not-found (its message says why).
      if (isPodTarget(arg) || exact) absent.push({ given: arg, error: e });
      else resolved.push({ id: arg, via: 'exact', given: arg });
    }
  // Once each: two arguments naming one sandbox (an ID and its prefix, a repeated ID) remove it once.
  let sids = [...new Set(resolved.map((r) => r.id))];
  if (!ctx.json)
    for (const r of resolved) {
      const note = resolvedText(r);
      if (note) ctx.err(note);
    }
  const wait = waitOf(o, DEFAULT_WAIT.change);
  const signal = ctx.interruptible();
  if (o.unmount && o.container) throw new UsageError('--unmount goes with whole sandboxes, not --container');
  // One read of the roots for unfinished removals; /proc and mountinfo are
  // read by the core after each lock is held.
  const opts: RemoveOptions = {
    force: o.force,
    dryRun: o.dryRun,
    wait,
    signal,
    unmount: o.unmount,
    trash: trashIndex(ctx.roots),
    onWait: (sid, holders) => ctx.waitNotice(`sandbox ${sid}`, '--nonblock fails at once instead')?.(holders),
  };
  // The container manager still has the pod: its teardown (crictl stopp, rmp) goes through the shim and the store, so it goes first.
  // A container's store of a pod the manager still has is its too: -c asks as a whole removal does.
  const { cri, explicit, where } = o.force ? { cri: null, explicit: false, where: null } : await askCri(o.cri, ctx.roots.prefix, ctx.criEnv, signal);
  if (cri && !criKnown(cri)) {
    if (explicit) throw new RefusedError(`refusing to remove: the container manager could not be asked (${cri.error}); --no-cri goes without it`);
    ctx.warn(`the container manager could not be asked (${cri.error}); going ahead without it`);
  }
  const held = criKnown(cri) ? sids.filter((sid) => cri.sandboxes.has(sid)) : [];
  sids = sids.filter((sid) => !held.includes(sid));
  // More than one sandbox, on a terminal: the plan first, and one question before the first change.
  if (sids.length > 1 && o.container === undefined && !o.dryRun && !o.yes && !ctx.json) {
    const plan: string[] = [];
    const shown = new Map<string, Planned>();
    await removeSandboxes(ctx.roots, sids, { ...opts, dryRun: true, wait: 0 }, (sid, r) => {
      if (!(r instanceof VcError)) shown.set(sid, { paths: r.paths, unmounts: r.unmounts });
      plan.push(
        r instanceof VcError
          ? `  ${label(sid)}: ${ctx.errorText(r)}`
          : `  ${label(sid)}: would ${r.unmounts.length ? `unmount ${r.unmounts.length} mount${r.unmounts.length > 1 ? 's' : ''} and ` : ''}remove ${termSafe(r.paths.join(' '))}`,
      );
    });
    if (signal.aborted) throw signal.reason;
    const go = await ctx.confirm(`rm will:\n${plan.join('\n')}\nRemove ${sids.length} sandboxes?`, signal);
    if (go === false) {
      ctx.err('vcstore: nothing changed\n');
      return Exit.REFUSED;
    }
    // Yes is to what was shown: a removal that would now do more (a mount made since) is refused.
    opts.plan = (sid) => shown.get(sid) ?? { paths: [], unmounts: [] };
  }
  const outcomes: Outcome[] = [];
  const bar = sids.length > 1 ? ctx.progress(sids.length, 'sandboxes') : null;
  const done = (sid: string, r: RemoveResult | VcError, cid = o.container) => {
    const base = cid !== undefined ? { id: sid, container: cid } : { id: sid };
    bar?.tick();
    if (r instanceof VcError) {
      // --ignore-not-found: what is not there is not an error (cleanup scripts run it unconditionally).
      const absent = r instanceof NotFoundError;
      const fine = absent && o.ignoreNotFound === true;
      outcomes.push({ ...base, status: absent ? 'absent' : 'error', paths: [], exitCode: fine ? 0 : r.exitCode, error: ctx.errorText(r) });
      if (!ctx.json) {
        if (fine) ctx.out(`${label(sid, cid)}: not found, ignored`);
        else ctx.fail(r);
      }
      return;
    }
    for (const w of r.warnings) ctx.warn(w);
    outcomes.push({
      ...base,
      status: r.dryRun ? 'would-remove' : 'removed',
      paths: r.paths,
      exitCode: 0,
      ...(r.warnings.length ? { warnings: r.warnings } : {}),
      ...(r.unmounts.length ? { unmounts: r.unmounts } : {}),
    });
    if (!ctx.json) {
      if (r.unmounts.length) ctx.out(`${label(sid, r.container)}: ${r.dryRun ? 'would unmount' : 'unmounted'} ${termSafe(r.unmounts.join(' '))}`);
      ctx.out(`${label(sid, r.container)}: ${r.dryRun ? 'would remove' : 'removed'} ${termSafe(r.paths.join(' '))}`);
    }
  };
  for (const sid of held) {
    const s = criKnown(cri) ? cri.sandboxes.get(sid) : undefined;
    const pod = s?.pod ? ` ${termSafe(`${s.pod.namespace}/${s.pod.name}`)}` : '';
    const manager = criKnown(cri) ? termSafe(cri.runtime) : 'containerd';
    // The endpoint --cri named, for crictl too (it finds the others as vcstore did).
    const ep = crictlEndpointFlag(namedEndpoint(where));
    const whom = o.container !== undefined ? `container ${o.container} of sandbox ${sid}` : `sandbox ${sid}`;
    done(
      sid,
      new RefusedError(
        s?.ready === false
          ? `refusing to remove ${whom}: kubelet is tearing its pod${pod} down (NOTREADY in ${manager}); wait, or crictl${ep} rmp ${sid} (or --force)`
          : `refusing to remove ${whom}: ${manager} still has its pod${pod}; crictl${ep} stopp ${sid} && crictl${ep} rmp ${sid} tear it down through the shim (or --force)`,
      ),
    );
  }
  // Nothing in the store matches: ignored under --ignore-not-found, not found (3) otherwise.
  for (const a of absent) done(a.given, a.error);
  let interrupted: InterruptedError | undefined;
  if (o.container !== undefined) {
    const want = o.container;
    for (const sid of sids)
      try {
        const cid = resolveContainer(requireSandbox(ctx.roots, sid), want);
        if (cid !== want && !ctx.json) ctx.err(`vcstore: ${JSON.stringify(want)} is container ${cid}\n`);
        done(sid, await removeContainer(ctx.roots, sid, cid, opts), cid);
      } catch (e) {
        if (signal.aborted) interrupted = signal.reason as InterruptedError;
        else if (e instanceof VcError) done(sid, e);
        else throw e;
      }
  } else interrupted = await removeSandboxes(ctx.roots, sids, opts, done);
  ctx.quiet();
  if (interrupted) {
    const done = outcomes.filter((x) => x.status === 'removed').length;
    if (ctx.json)
      ctx.out(
        JSON.stringify({ outcomes, error: { code: interrupted.exitCode, message: `${interrupted.message} after ${outcomes.length} of ${sids.length}` } }),
      );
    ctx.err(`vcstore: ${interrupted.message}: ${done} removed, ${sids.length + absent.length - outcomes.length} not started; every sandbox is whole or gone\n`);
    return interrupted.exitCode;
  }
  if (ctx.json) ctx.out(JSON.stringify(outcomes));
  return worstExit(outcomes.map((x) => x.exitCode));
}

function label(sid: string, cid?: string): string {
  return cid ? `container ${cid} of sandbox ${sid}` : `sandbox ${sid}`;
}
