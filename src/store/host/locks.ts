// flock(2), the lock the Kata runtime takes. We open the lock file (or the
// persist sandbox dir) ourselves, never creating it, and lock that
// descriptor: at once through the Node-API addon, or, to wait (and where the
// addon does not load), through util-linux flock(1) given it as fd 3. A flock
// belongs to the open file description, so our fd holds the lock after the
// helper exits; closing it releases it, and the kernel does if we die.
// See README "Locking".
import { closeSync, constants as C, existsSync, fstatSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
}

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
    throw new StoreError(`refusing to lock ${path}: not a regular file or directory`, path);
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

// ---------------------------------------------------------------------------
// The fast path: flock(2) in process through a small Node-API addon shipped
// prebuilt in dist/native. It only ever tries without blocking; a wait (and
// any host where the addon does not load) goes through flock(1), which can be
// cancelled. VCSTORE_FLOCK=helper forces flock(1) for every lock.

const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;

export interface NativeFlock {
  flock(fd: number, op: number): number;
  /** One item read in one call: its text, or a negative code (see src/native/flock.c). */
  readItem?(path: string, max: number): string | number;
  /** Only validate an item's JSON: 1 object, 2 array, 3 null, 4 another value, or a negative code. */
  checkJson?(path: string, max: number): number;
  /** kill(pid, 0) without an exception: 0 or the errno value. */
  kill0?(pid: number): number;
  /** Delete a directory tree without leaving its device: 0 or -errno (-18 EXDEV: a mount). */
  removeTree?(path: string): number;
  /** A directory's entries as "<type><name>\0..." (d, l, f, o, u), or -errno. */
  listDir?(path: string): string | number;
}
let native: NativeFlock | null | undefined;

function here(): string {
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/** The target an addon is built for: linux-x64-glibc and the like (scripts/build.mjs uses the same rule). */
export function addonTarget(): string {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return `${process.platform}-${process.arch}-${header?.glibcVersionRuntime ? 'glibc' : 'musl'}`;
}

/** Which lock backend this process uses, for `vcstore --version --verbose`. */
export function lockBackend(): string {
  const n = nativeFlock();
  if (n) return `flock(2) through the Node-API addon ${addonPath}; waits through util-linux flock(1)`;
  if (process.env.VCSTORE_FLOCK === 'helper') return 'util-linux flock(1) for every lock (VCSTORE_FLOCK=helper)';
  return `util-linux flock(1) for every lock (no addon for ${addonTarget()})`;
}

let addonPath: string | undefined;

export function nativeFlock(): NativeFlock | null {
  if (native !== undefined) return native;
  native = null;
  if (process.env.VCSTORE_FLOCK === 'helper') return native;
  // dist/core.cjs and dist/src/store/*.js both find dist/native/<target>/,
  // and only the addon built for this platform is ever loaded.
  const target = addonTarget();
  let dir = dirname(here());
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const file = join(dir, 'native', target, 'vcstore-flock.node');
    if (!existsSync(file)) continue;
    try {
      native = createRequire(here())(file) as NativeFlock;
      addonPath = file;
    } catch {
      /* cannot load here: flock(1) it is */
    }
    break;
  }
  return native;
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
    const fast = nativeFlock();
    let code: number | undefined;
    if (fast) {
      const r = fast.flock(fd, (opts.mode === 'shared' ? LOCK_SH : LOCK_EX) | LOCK_NB);
      if (r === 0) code = 0;
      else if (r === EWOULDBLOCK && opts.wait <= 0) code = FLOCK_BUSY;
      else if (r !== EWOULDBLOCK) throw new StoreError(`cannot lock ${path}: ${errnoPhrase(r)}`, path);
    }
    if (code === undefined) code = await runFlock(fd, flockArgs(opts.mode, opts.wait), opts.signal);
    if (code === FLOCK_BUSY) {
      const holders = lockHolders([path]).get(path) ?? { holders: [], visible: false };
      const who = describeHolders(holders.holders, holders.visible);
      const what = opts.label ?? path;
      const waited = opts.wait > 0 ? ` after waiting ${opts.wait}s` : '';
      throw new BusyError(`${what} is locked${waited}: ${who}`, holders.holders);
    }
    if (code !== 0) throw new StoreError(`flock(1) failed on ${path} (exit ${code})`, path);
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
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const onAbort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      reject(
        e.code === 'ENOENT'
          ? new StoreError('flock(1) not found: vcstore needs util-linux flock to take the runtime lock')
          : e,
      );
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
