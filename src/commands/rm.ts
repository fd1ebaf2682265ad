import type { Ctx } from '../context.js';
import type { rm, OptsOf } from '../program.js';
import { DEFAULT_WAIT, waitOf } from '../options.js';
import { type InterruptedError, NotFoundError, UsageError, VcError, worstExit } from '../store/fs/errors.js';
import { validateId } from '../store/fs/ids.js';
import { removeContainer, removeSandboxes, type RemoveResult } from '../store/ops/remove.js';
import { trashIndex } from '../store/read/scan.js';
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
  // Validate every ID before touching anything: a typo in the list removes nothing.
  for (const s of given) validateId(s);
  // Once each: a repeated ID (rm $(vcstore ls -q) $extra) would otherwise find its own lock held.
  const sids = [...new Set(given)];
  if (o.container !== undefined) {
    validateId(o.container, 'container ID');
    if (sids.length !== 1) throw new UsageError('--container takes exactly one sandbox ID');
  }
  const wait = waitOf(o, DEFAULT_WAIT.change);
  const signal = ctx.interruptible();
  if (o.unmount && o.container) throw new UsageError('--unmount goes with whole sandboxes, not --container');
  // One read of the roots for unfinished removals; /proc and mountinfo are
  // read by the core after each lock is held.
  const opts = { force: o.force, dryRun: o.dryRun, wait, signal, unmount: o.unmount, trash: trashIndex(ctx.roots) };
  const outcomes: Outcome[] = [];
  const bar = sids.length > 1 ? ctx.progress(sids.length, 'sandboxes') : null;
  const done = (sid: string, r: RemoveResult | VcError) => {
    const base = o.container ? { id: sid, container: o.container } : { id: sid };
    bar?.tick();
    if (r instanceof VcError) {
      // A forced delete of something already gone succeeds (cleanup scripts rely on it).
      const absent = r instanceof NotFoundError;
      outcomes.push({ ...base, status: absent ? 'absent' : 'error', paths: [], exitCode: absent && o.force ? 0 : r.exitCode, error: ctx.errorText(r) });
      if (!ctx.json) {
        if (absent && o.force) ctx.out(`${label(sid, o.container)}: already gone`);
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
  let interrupted: InterruptedError | undefined;
  if (o.container !== undefined) {
    const cid = o.container;
    for (const sid of sids)
      try {
        done(sid, await removeContainer(ctx.roots, sid, cid, opts));
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
    ctx.err(`vcstore: ${interrupted.message}: ${done} removed, ${sids.length - outcomes.length} not started; every sandbox is whole or gone\n`);
    return interrupted.exitCode;
  }
  if (ctx.json) ctx.out(JSON.stringify(outcomes));
  return worstExit(outcomes.map((x) => x.exitCode));
}

function label(sid: string, cid?: string): string {
  return cid ? `container ${cid} of sandbox ${sid}` : `sandbox ${sid}`;
}
