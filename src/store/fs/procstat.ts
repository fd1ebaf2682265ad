// /proc/<pid>/stat, read the one careful way: the fields vcstore decides on
// (state, parent, flags, threads, start time), parsed after the last ')' so
// that no command name can shift them.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcStat {
  /** R, S, D, Z, T, … (proc(5)). */
  state: string;
  ppid: number;
  flags: number;
  threads: number;
  /** Clock ticks after boot: with the pid, names one process for good (a reused pid starts later). */
  start: number;
}

/** PF_KTHREAD: a kernel thread, never a runtime process. */
export const PF_KTHREAD = 0x00200000;
/** PF_EXITING: the thread is on its way out (a signal killed it, or it returned). */
const PF_EXITING = 0x00000004;

/** The stat of `pid` (or of its thread `tid`), or null when it is gone or cannot be read. */
export function procStat(pid: number | 'self', tid?: string): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'latin1');
  } catch {
    return null;
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number) => Number(f[i]);
  const st: ProcStat = { state: f[0] ?? '?', ppid: n(1), flags: n(6), threads: n(17), start: n(19) };
  return Number.isFinite(st.start) ? st : null;
}

let self: number | undefined;
/** This process's start time (clock ticks after boot), for the names of what it leaves behind. */
export function selfStart(): number {
  self ??= procStat('self')?.start ?? 0;
  return self;
}

/** PROC_PID_INIT_INO: the initial pid namespace, the only one whose /proc shows every process and lock. */
const INIT_PID_NS = 'pid:[4026531836]';
let initNs: boolean | undefined;

/**
 * In a child pid namespace /proc leaves out the host's processes (and
 * /proc/locks their locks), so "no entry" does not mean "gone" there.
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

/**
 * The arguments of a process whose main thread has exited while others run
 * on (a pthread_exit in main): /proc/<pid>/cmdline reads empty then, but
 * each live thread's /proc/<pid>/task/<tid>/cmdline still holds the whole
 * argv. The first non-empty one, or '' when no thread has any (a kernel
 * thread, a zombie, a process gone meanwhile).
 */
export function threadCmdline(pid: number): string {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return '';
  }
  for (const tid of tids) {
    if (tid === String(pid)) continue;
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/cmdline`, 'latin1');
      if (text) return text;
    } catch {
      /* that thread ended meanwhile */
    }
  }
  return '';
}

/**
 * Is every thread of `pid`, its leader too, on its way out (PF_EXITING) or
 * gone? A process being killed reads with no arguments for a moment before
 * it is a zombie: it serves nothing any more. A leader that runs on (one
 * that blanked its own arguments) is never dying.
 */
export function dying(pid: number): boolean {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return true;
  }
  return tids.every((tid) => {
    const st = procStat(pid, tid);
    return st === null || (st.flags & PF_EXITING) !== 0;
  });
}
