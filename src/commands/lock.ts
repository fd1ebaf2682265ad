import { spawn } from 'node:child_process';
import { constants as osc } from 'node:os';
import type { Ctx } from '../context.js';
import { DEFAULT_WAIT, waitOf, type WaitOpts } from '../options.js';
import { Exit, NotFoundError, StoreError } from '../store/errors.js';
import { acquire, describeHolders, lockHolders } from '../store/locks.js';
import { lstatOrUndef } from '../store/fsutil.js';
import { requireSandbox } from '../store/handle.js';
import { termSafe } from '../render/safe.js';
import { holderJson } from '../render/json.js';

interface Opts extends WaitOpts {
  shared?: boolean;
}

export async function run(ctx: Ctx, sid: string, cmd: string[], o: Opts): Promise<number> {
  const h = requireSandbox(ctx.roots, sid);
  const target = h.lock;
  if (target === null) {
    if (h.scan.hint.runtime === undefined && h.scan.hint.kata !== undefined)
      // Pretending to lock would tell the operator the runtime is kept out; it is not.
      throw new StoreError(`sandbox ${sid} uses the Kata 3.x runtime-rs layout, whose runtime takes no lock: vcstore cannot keep it out`);
    if (h.scan.hint.runtime === undefined) throw new NotFoundError(`sandbox ${sid} has no run-time root (${h.paths.runtime}), so no lock: not started since boot?`);
    throw new NotFoundError(`sandbox ${sid} has no lock file ${h.paths.lock}`);
  }
  const st = lstatOrUndef(target);
  if (!st) throw new NotFoundError(`sandbox ${sid} has no lock file ${target}`);
  if (st.isSymbolicLink()) throw new StoreError(`refusing lock ${target}: it is a symbolic link`, target);
  if (!st.isFile() && !st.isDirectory()) throw new StoreError(`refusing lock ${target}: not a regular file`, target);
  return cmd.length ? runLocked(ctx, sid, target, cmd, o) : probe(ctx, sid, target);
}

/** Report the lock without taking it: 0 free, 4 held, 1 cannot tell. */
function probe(ctx: Ctx, sid: string, path: string): number {
  const r = lockHolders([path]).get(path)!;
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
  const signal = ctx.interruptible();
  const held = await acquire(path, {
    mode: o.shared ? 'shared' : 'exclusive',
    wait: waitOf(o, DEFAULT_WAIT.change),
    signal,
    label: `sandbox ${sid}`,
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['inherit', 'inherit', 'inherit', held.fd] });
      ctx.onSignal((sig) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(sig);
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') reject(new StoreError(`${cmd[0]}: command not found`));
        else if (e.code === 'EACCES') reject(new StoreError(`${cmd[0]}: permission denied`));
        else reject(e);
      });
      child.on('close', (code, sig) => {
        if (code !== null) resolve(code);
        else resolve(128 + (sig ? (osc.signals[sig] ?? 0) : 0));
      });
    });
  } catch (e) {
    // Shells use 127/126 for these; keep that convention.
    if (e instanceof StoreError && /command not found$/.test(e.message)) {
      ctx.fail(e);
      return 127;
    }
    if (e instanceof StoreError && /permission denied$/.test(e.message)) {
      ctx.fail(e);
      return 126;
    }
    throw e;
  } finally {
    held.release();
  }
}
