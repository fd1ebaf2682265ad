// Running an operation under the sandbox lock, the way the runtime does:
// readers take it shared, writers exclusive. The lock is always released,
// whatever the operation throws, and aborting a wait leaves nothing behind.
import { acquire, type HeldLock, type LockMode } from './locks.js';
import { CommandStartError, NotFoundError, RefusedError } from '../fs/errors.js';

export interface GuardOptions {
  mode: LockMode;
  wait: number;
  signal?: AbortSignal;
  label: string;
  /** Told once, with the holders, when the wait lasts longer than a moment. */
  onWait?: (holders: string) => void;
}

/**
 * Take the lock at `lockPath` and run `fn`; with `lockPath` null (nothing the
 * runtime could hold: no run-time root, runtime-rs, or --force past a bad
 * lock) `fn` runs with `null`. A lock that is gone by the time it is opened
 * (the runtime deleting the sandbox unlinks it first): a reader goes on
 * without it, a change is refused (exit 5), as when it was missing from the
 * start.
 */
export async function withLock<T>(lockPath: string | null, opts: GuardOptions, fn: (lock: HeldLock | null) => T | Promise<T>): Promise<T> {
  let lock: HeldLock | null = null;
  if (lockPath !== null) {
    try {
      lock = await acquire(lockPath, opts);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      if (opts.mode === 'exclusive')
        throw new RefusedError(
          `refusing to change ${opts.label}: its lock ${lockPath} disappeared before it could be taken, so the runtime could not be kept out; nothing was changed`,
        );
    }
  }
  try {
    return await fn(lock);
  } finally {
    lock?.release();
  }
}

/**
 * Run `argv` while holding the lock at `path`: the command inherits the locked
 * description as fd 3, so the lock lives until the last holder exits even if
 * vcstore is killed. Resolves with the command's exit status (128+signal when
 * a signal ended it); CommandStartError when it cannot be started (127/126).
 * `onSignal` is given a function that forwards a signal to the command.
 */
export async function runHolding(path: string, argv: string[], o: GuardOptions & { onSignal(forward: (sig: NodeJS.Signals) => void): void }): Promise<number> {
  const [file, ...args] = argv;
  if (file === undefined) throw new CommandStartError('no command to run', 'not-found');
  const { spawn } = await import('node:child_process');
  const { constants } = await import('node:os');
  const held = await acquire(path, o);
  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(file, args, { stdio: ['inherit', 'inherit', 'inherit', held.fd] });
      o.onSignal((sig) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(sig);
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        // Shells use 127/126 for these; keep that convention.
        if (e.code === 'ENOENT') reject(new CommandStartError(`${file}: command not found`, 'not-found'));
        else if (e.code === 'EACCES') reject(new CommandStartError(`${file}: permission denied`, 'not-executable'));
        else reject(e);
      });
      child.on('close', (code, sig) => resolve(code ?? 128 + (sig ? (constants.signals[sig] ?? 0) : 0)));
    });
  } finally {
    held.release();
  }
}
