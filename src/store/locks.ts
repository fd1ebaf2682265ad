// flock(2), the lock the Kata runtime takes. We open the lock file (or the
// persist sandbox dir) ourselves, never creating it, and lock that
// descriptor: at once through the Node-API addon, or, to wait (and where the
// addon does not load), through util-linux flock(1) given it as fd 3. A flock
// belongs to the open file description, so our fd holds the lock after the
// helper exits; closing it releases it, and the kernel does if we die.
// See README "Locking".
import { closeSync, constants as C, existsSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BusyError, errnoPhrase, fromErrno, NotFoundError, StoreError, type Holder } from './errors.js';
export { InterruptedError } from './errors.js';

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

interface NativeFlock {
  flock(fd: number, op: number): number;
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

export function describeHolders(holders: Holder[], visible: boolean): string {
  if (holders.length === 0)
    return visible ? 'holder unknown' : 'holder not visible here (another pid namespace?)';
  return holders
    .map((h) => `${h.waiting ? 'waiting' : 'held by'} pid ${h.pid} (${h.command || '?'}, ${h.mode})`)
    .join(', ');
}

// ---------------------------------------------------------------------------
// Who holds a lock, without taking it.

interface ProcLock {
  pid: number;
  mode: 'exclusive' | 'shared';
  waiting: boolean;
}

/** Parsed /proc/locks: FLOCK entries by "maj:min:ino", or null when unreadable. */
export function readProcLocks(text?: string | null): Map<string, ProcLock[]> | null {
  let src = text;
  if (src === undefined) {
    try {
      src = readFileSync(process.env.VCSTORE_PROC_LOCKS || '/proc/locks', 'utf8');
    } catch {
      return null;
    }
  }
  if (src === null) return null;
  const out = new Map<string, ProcLock[]>();
  for (const line of src.split('\n')) {
    const f = line.trim().split(/\s+/);
    let i = 1;
    let waiting = false;
    if (f[i] === '->') {
      waiting = true;
      i++;
    }
    if (f[i] !== 'FLOCK') continue;
    const mode = f[i + 2] === 'WRITE' ? 'exclusive' : 'shared';
    const pid = Number(f[i + 3]);
    const id = f[i + 4]?.split(':');
    if (!id || id.length !== 3) continue;
    const key = `${parseInt(id[0]!, 16)}:${parseInt(id[1]!, 16)}:${id[2]}`;
    let list = out.get(key);
    if (!list) out.set(key, (list = []));
    list.push({ pid, mode, waiting });
  }
  return out;
}

/** "maj:min:ino" of a stat result, decoded as glibc's major()/minor() do. */
export function devInoKey(dev: number, ino: number): string {
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & ~0xff & 0xfffff);
  return `${major}:${minor}:${ino}`;
}

export interface LockReport {
  held: boolean;
  holders: Holder[];
  /** False when /proc/locks showed nothing usable (missing, or another pid namespace). */
  visible: boolean;
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** FLOCK holders of the given keys among the descriptors of `pids`. */
function scanHolders(keys: Set<string>, pids?: string[]): Map<string, Holder[]> {
  const found = new Map<string, Holder[]>();
  if (pids === undefined) {
    try {
      pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
    } catch {
      return found;
    }
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let key: string;
      try {
        const st = statSync(`/proc/${pid}/fd/${fd}`);
        key = devInoKey(st.dev, st.ino);
      } catch {
        continue;
      }
      if (!keys.has(key)) continue;
      let info: string;
      try {
        info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      } catch {
        continue;
      }
      const m = /^lock:\s+\d+:\s+FLOCK\s+\S+\s+(READ|WRITE)/m.exec(info);
      if (!m) continue;
      let list = found.get(key);
      if (!list) found.set(key, (list = []));
      const p = Number(pid);
      if (list.some((h) => h.pid === p)) continue;
      list.push({ pid: p, command: commOf(p), mode: m[1] === 'WRITE' ? 'exclusive' : 'shared', waiting: false });
    }
  }
  return found;
}

/**
 * Lock state of any number of lock targets from one read of /proc/locks.
 * Holders are looked up only for targets that are locked: first among the
 * pids /proc/locks names, and only if that fails (the pid is a helper that
 * has exited, or another process inherited the descriptor) by one scan of
 * every process's descriptors, shared by all later lookups. Never takes a
 * lock, never creates a file.
 */
export class LockIndex {
  private readonly locks: Map<string, ProcLock[]> | null;
  readonly visible: boolean;
  private everything?: Map<string, Holder[]>;

  constructor(procLocks?: Map<string, ProcLock[]> | null) {
    this.locks = procLocks !== undefined ? procLocks : readProcLocks();
    this.visible = this.locks !== null && inInitialPidNs();
  }

  /** The report for `path`; a path that is missing or no lock target cannot be held. */
  report(path: string): LockReport {
    let key: string;
    try {
      // lstat: a lock that is a symlink is never followed out of the store.
      const st = lstatSync(path);
      if (!st.isFile() && !st.isDirectory()) return { held: false, holders: [], visible: this.visible };
      key = devInoKey(st.dev, st.ino);
    } catch {
      return { held: false, holders: [], visible: this.visible };
    }
    if (this.locks === null) return { held: false, holders: [], visible: false };
    const entries = this.locks.get(key) ?? [];
    if (entries.length === 0) return { held: false, holders: [], visible: this.visible };
    const scanned = this.holdersOf(key, entries);
    // Our own descriptor (show holds the shared lock while it reads) is not
    // somebody else holding the sandbox.
    let holders: Holder[] = scanned.filter((h) => h.pid !== process.pid);
    let held = holders.length > 0;
    if (scanned.length === 0 && entries.some((e) => !e.waiting)) {
      // Listed in /proc/locks but no descriptor found (another pid namespace,
      // or /proc/<pid> hidden): report the pid /proc/locks gives.
      holders = entries
        .filter((e) => !e.waiting && e.pid !== process.pid)
        .map((e) => ({ pid: e.pid, command: commOf(e.pid) || '(unknown)', mode: e.mode, waiting: false }));
      held = holders.length > 0;
    }
    for (const e of entries.filter((x) => x.waiting)) holders.push({ pid: e.pid, command: commOf(e.pid), mode: e.mode, waiting: true });
    return { held, holders, visible: this.visible };
  }

  private holdersOf(key: string, entries: ProcLock[]): Holder[] {
    const listed = [...new Set(entries.filter((e) => !e.waiting && e.pid > 0).map((e) => String(e.pid)))];
    const quick = scanHolders(new Set([key]), listed).get(key);
    if (quick?.length) return quick;
    if (!this.everything) this.everything = scanHolders(new Set(this.locks!.keys()));
    return this.everything.get(key) ?? [];
  }
}

/** Lock state of many lock targets. */
export function lockHolders(paths: string[], procLocks?: Map<string, ProcLock[]> | null): Map<string, LockReport> {
  const index = new LockIndex(procLocks);
  return new Map(paths.map((p) => [p, index.report(p)]));
}

/** PROC_PID_INIT_INO: the initial pid namespace, the only one whose /proc/locks shows every lock. */
const INIT_PID_NS = 'pid:[4026531836]';
let initNs: boolean | undefined;

/**
 * In a child pid namespace /proc/locks leaves out locks of processes outside
 * it, so "no entry" does not mean "free" there.
 */
export function inInitialPidNs(): boolean {
  if (initNs === undefined) {
    try {
      initNs = readlinkSync('/proc/self/ns/pid') === INIT_PID_NS;
    } catch {
      initNs = false;
    }
  }
  return initNs;
}
