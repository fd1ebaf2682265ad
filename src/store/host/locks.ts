// flock(2), the lock the Kata runtime takes. We open the lock file (or the
// persist sandbox dir) ourselves, never creating it, and lock that
// descriptor: at once through the Node-API addon, or, to wait (and where the
// addon does not load), through util-linux flock(1) given it as fd 3. A flock
// belongs to the open file description, so our fd holds the lock after the
// helper exits; closing it releases it, and the kernel does if we die.
// See README "Locking".
import { closeSync, constants as C, fstatSync, openSync } from 'node:fs';
import { addon, ERRNO, LOCK } from '../fs/addon.js';
import { BusyError, errnoPhrase, fromErrno, NotFoundError, StoreError } from '../fs/errors.js';
import { describeHolders, lockHolders } from './holders.js';

export { describeHolders, devInoKey, inInitialPidNs, LockIndex, lockHolders, readProcLocks, type LockReport } from './holders.js';
export { InterruptedError } from '../fs/errors.js';

export type LockMode = 'exclusive' | 'shared';

/** Exit code we ask flock(1) to use on conflict or timeout (-E). */
const FLOCK_BUSY = 75;

export interface AcquireOptions {
  mode: LockMode;
  /** Seconds to wait: 0 = do not wait, Infinity = wait for ever. */
  wait: number;
  /** Aborting kills the waiting helper and closes the fd: nothing is left behind. */
  signal?: AbortSignal;
  /** What to call the thing in messages, e.g. "sandbox 1234". */
  label?: string;
  /** Told once, with who holds the lock, when a wait lasts longer than a moment (WAIT_NOTICE_MS). */
  onWait?: (holders: string) => void;
}

/** How long a wait runs before `onWait` says who it waits for. */
export const WAIT_NOTICE_MS = 500;

export interface HeldLock {
  path: string;
  fd: number;
  mode: LockMode;
  release(): void;
}

/** Open a lock target (lock file or, for the persist layout, a directory) without creating it. */
export function openLockTarget(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`lock ${path} does not exist`);
    throw fromErrno(e, path, 'open lock');
  }
  const st = fstatSync(fd);
  if (!st.isFile() && !st.isDirectory()) {
    closeSync(fd);
    throw new StoreError(`refusing to lock ${path}: not a regular file or directory`, { path });
  }
  return fd;
}

export function flockArgs(mode: LockMode, wait: number): string[] {
  const args = [mode === 'shared' ? '-s' : '-x'];
  if (wait <= 0) args.push('-n');
  else if (Number.isFinite(wait)) args.push('-w', String(wait));
  args.push('-E', String(FLOCK_BUSY), '3');
  return args;
}

/** Take flock(2) on `path`. Rejects with BusyError (exit 4) naming the holders. */
export async function acquire(path: string, opts: AcquireOptions): Promise<HeldLock> {
  const fd = openLockTarget(path);
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      closeSync(fd);
    }
  };
  try {
    if (opts.signal?.aborted) throw opts.signal.reason;
    // The addon only ever tries without blocking; a wait (and any host where
    // it does not load) goes through flock(1), which can be cancelled.
    const fast = addon();
    let code: number | undefined;
    if (fast) {
      const r = fast.flock(fd, (opts.mode === 'shared' ? LOCK.SH : LOCK.EX) | LOCK.NB);
      if (r === 0) code = 0;
      else if (r === ERRNO.EWOULDBLOCK && opts.wait <= 0) code = FLOCK_BUSY;
      else if (r !== ERRNO.EWOULDBLOCK) throw new StoreError(`cannot lock ${path}: ${errnoPhrase(r)}`, { path });
    }
    if (code === undefined) {
      // A wait longer than a moment says what it waits for (the command decides where, if anywhere).
      const notice = opts.onWait
        ? setTimeout(() => {
            const h = lockHolders([path]).get(path) ?? { holders: [], visible: false };
            opts.onWait?.(describeHolders(h.holders, h.visible));
          }, WAIT_NOTICE_MS)
        : undefined;
      try {
        code = await runFlock(fd, flockArgs(opts.mode, opts.wait), opts.signal);
      } finally {
        clearTimeout(notice);
      }
    }
    if (code === FLOCK_BUSY) {
      const holders = lockHolders([path]).get(path) ?? { holders: [], visible: false };
      const who = describeHolders(holders.holders, holders.visible);
      const what = opts.label ?? path;
      const waited = opts.wait > 0 ? ` after waiting ${opts.wait}s` : '';
      throw new BusyError(`${what} is locked${waited}: ${who}`, holders.holders);
    }
    if (code !== 0) throw new StoreError(`flock(1) failed on ${path} (exit ${code})`, { path });
  } catch (e) {
    close();
    throw e;
  }
  return { path, fd, mode: opts.mode, release: close };
}

async function runFlock(fd: number, args: string[], signal?: AbortSignal): Promise<number> {
  // Loaded here, not at start-up: listings never spawn anything.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const child = spawn('flock', args, { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const onAbort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      reject(e.code === 'ENOENT' ? new StoreError('flock(1) not found: vcstore needs util-linux flock to take the runtime lock') : e);
    });
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(signal.reason);
      if (code === null) return reject(new StoreError(`flock(1) killed by ${sig}`));
      if (code !== 0 && code !== FLOCK_BUSY && stderr) return reject(new StoreError(`flock(1): ${stderr.trim()}`));
      resolve(code);
    });
  });
}
