// Who holds a lock, without taking it: one read of /proc/locks matched by
// device and inode, then the real holders from /proc/<pid>/fdinfo. Never
// takes a lock, never creates a file. See README "Locking".
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { inInitialPidNs } from '../fs/procstat.js';
import type { Holder } from '../fs/errors.js';

export function describeHolders(holders: Holder[], visible: boolean): string {
  if (holders.length === 0) return visible ? 'holder unknown' : 'holder not visible here (another pid namespace?)';
  return holders.map((h) => `${h.waiting ? 'waiting' : 'held by'} pid ${h.pid} (${h.command || '?'}, ${h.mode})`).join(', ');
}

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
      src = readFileSync('/proc/locks', 'utf8');
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
    const [maj, min, ino, ...more] = f[i + 4]?.split(':') ?? [];
    if (maj === undefined || min === undefined || ino === undefined || more.length) continue;
    const key = `${parseInt(maj, 16)}:${parseInt(min, 16)}:${ino}`;
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
    // No flock(2) anywhere on the host: nothing can hold this one, no lstat needed.
    if (this.locks !== null && this.locks.size === 0) return { held: false, holders: [], visible: this.visible };
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
    this.everything ??= scanHolders(new Set(this.locks?.keys()));
    return this.everything.get(key) ?? [];
  }
}

/** Lock state of many lock targets. */
export function lockHolders(paths: string[], procLocks?: Map<string, ProcLock[]> | null): Map<string, LockReport> {
  const index = new LockIndex(procLocks);
  return new Map(paths.map((p) => [p, index.report(p)]));
}

export { inInitialPidNs };
