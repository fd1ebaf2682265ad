import type { Ctx } from '../context.js';
import { DEFAULT_WAIT, waitOf, type WaitOpts } from '../options.js';
import { Exit, isVcError, NotFoundError, VcError } from '../store/errors.js';
import { validateId } from '../store/ids.js';
import { finishInterruptedRemovals, removeContainer, removeSandbox, type RemoveResult } from '../store/mutate.js';

interface Opts extends WaitOpts {
  force?: boolean;
  dryRun?: boolean;
  container?: string;
}

interface Outcome {
  id: string;
  container?: string;
  status: 'removed' | 'would-remove' | 'absent' | 'error';
  paths: string[];
  exitCode: number;
  error?: string;
}

export default async function rm(ctx: Ctx, sids: string[], o: Opts): Promise<number> {
  // Validate every ID before touching anything: a typo in the list removes nothing.
  for (const s of sids) validateId(s);
  if (o.container !== undefined) {
    validateId(o.container, 'container ID');
    if (sids.length !== 1) throw new VcError('--container takes exactly one sandbox ID', Exit.USAGE);
  }
  const wait = waitOf(o, DEFAULT_WAIT.change);
  if (!o.dryRun) finishInterruptedRemovals(ctx.roots);
  const signal = ctx.interruptible();
  const outcomes: Outcome[] = [];
  for (const sid of sids) {
    let r: RemoveResult;
    try {
      r = o.container
        ? await removeContainer(ctx.roots, sid, o.container, { force: o.force, dryRun: o.dryRun, wait, signal })
        : await removeSandbox(ctx.roots, sid, { force: o.force, dryRun: o.dryRun, wait, signal });
    } catch (e) {
      if (signal.aborted) throw e;
      if (!isVcError(e)) throw e;
      // A forced delete of something already gone succeeds (cleanup scripts rely on it).
      const absent = e instanceof NotFoundError;
      const out: Outcome = { id: sid, status: absent ? 'absent' : 'error', paths: [], exitCode: absent && o.force ? 0 : e.exitCode, error: e.message };
      if (o.container) out.container = o.container;
      outcomes.push(out);
      if (!ctx.json) {
        if (absent && o.force) ctx.out(`${label(sid, o.container)}: already gone`);
        else ctx.err(`vcstore: ${e.message}\n`);
      }
      continue;
    }
    const out: Outcome = { id: sid, status: r.dryRun ? 'would-remove' : 'removed', paths: r.paths, exitCode: 0 };
    if (r.container) out.container = r.container;
    outcomes.push(out);
    if (!ctx.json) {
      const verb = r.dryRun ? 'would remove' : 'removed';
      ctx.out(`${label(sid, r.container)}: ${verb} ${r.paths.join(' ')}`);
    }
  }
  if (ctx.json) ctx.out(JSON.stringify(outcomes));
  return Math.max(0, ...outcomes.map((x) => x.exitCode));
}

function label(sid: string, cid?: string): string {
  return cid ? `container ${cid} of sandbox ${sid}` : `sandbox ${sid}`;
}
