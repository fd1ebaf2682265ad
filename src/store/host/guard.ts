// Running an operation under the sandbox lock, the way the runtime does:
// readers take it shared, writers exclusive. The lock is always released,
// whatever the operation throws, and aborting a wait leaves nothing behind.
import { acquire, type HeldLock, type LockMode } from './locks.js';
import { NotFoundError } from '../fs/errors.js';

export interface GuardOptions {
  mode: LockMode;
  wait: number;
  signal?: AbortSignal;
  label: string;
}

/**
 * Take the lock at `lockPath` and run `fn`. When there is no lock file (the
 * sandbox has no run-time root, e.g. after a reboot) the runtime holds none
 * either; `fn` then runs with `null`. So it does when `lockPath` is null
 * (the caller found no safe lock to take, e.g. a symlinked run-time root).
 */
export async function withLock<T>(lockPath: string | null, opts: GuardOptions, fn: (lock: HeldLock | null) => T | Promise<T>): Promise<T> {
  let lock: HeldLock | null = null;
  if (lockPath !== null) {
    try {
      lock = await acquire(lockPath, opts);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  try {
    return await fn(lock);
  } finally {
    lock?.release();
  }
}
