import type { Ctx } from '../context.js';
import type { lock, OptsOf } from '../program.js';
import { DEFAULT_WAIT, waitOf } from '../defaults.js';
import { describeHolders, Exit, LockIndex, openTarget, requireLockTarget, runHolding } from '../store/index.js';
import { resolvedText } from '../render/rows.js';
import { termSafe } from '../render/safe.js';
import { holderJson } from '../render/json.js';

type Opts = OptsOf<typeof lock>;

export async function run(ctx: Ctx, arg: string, cmd: string[], o: Opts): Promise<number> {
  const { h, r } = openTarget(ctx.roots, arg, { change: cmd.length > 0 });
  const target = requireLockTarget(h);
  const note = resolvedText(r);
  if (note && cmd.length && !ctx.json) ctx.err(note);
  return cmd.length ? runLocked(ctx, h.id, target, cmd, o) : probe(ctx, h.id, target);
}

/** Report the lock without taking it: 0 free, 4 held, 1 cannot tell. */
function probe(ctx: Ctx, sid: string, path: string): number {
  const r = new LockIndex().report(path);
  if (ctx.json) {
    ctx.out(JSON.stringify({ id: sid, path, held: r.held, visible: r.visible, holders: r.holders.map(holderJson) }));
  } else if (r.held) {
    ctx.out(`sandbox ${sid}: locked, ${termSafe(describeHolders(r.holders, r.visible))}`);
  } else if (!r.visible) {
    ctx.out(`sandbox ${sid}: unknown: /proc/locks is missing or vcstore runs in another pid namespace, where other processes' locks are not shown`);
  } else {
    const waiting = r.holders.filter((h) => h.waiting);
    ctx.out(`sandbox ${sid}: free${waiting.length ? ` (${termSafe(describeHolders(waiting, true))})` : ''}`);
  }
  return r.held ? Exit.BUSY : r.visible ? Exit.OK : Exit.FAILURE;
}

/**
 * Hold the lock while CMD runs. CMD inherits the locked description as fd 3,
 * so the runtime stays blocked until CMD exits even if vcstore is killed.
 */
async function runLocked(ctx: Ctx, sid: string, path: string, cmd: string[], o: Opts): Promise<number> {
  return runHolding(path, cmd, {
    mode: o.shared ? 'shared' : 'exclusive',
    wait: waitOf(o, DEFAULT_WAIT.change),
    signal: ctx.interruptible(),
    label: `sandbox ${sid}`,
    onWait: ctx.waitNotice(`sandbox ${sid}`, '--nonblock fails at once instead'),
    onSignal: (forward) => ctx.onSignal(forward),
  });
}
