// /proc/<pid>/stat, read the one careful way: the fields vcstore decides on
// (state, parent, flags, threads, start time), parsed after the last ')' so
// that no command name can shift them.
import { readFileSync, readlinkSync } from 'node:fs';

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

/** The stat of `pid`, or null when it is gone or cannot be read. */
export function procStat(pid: number | 'self'): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
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
