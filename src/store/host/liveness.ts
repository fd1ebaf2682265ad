// Is a process alive, dead, or can we not tell? Three values, because for
// anything destructive "I could not tell" must mean "no". A pid is dead only
// when it is provably gone or provably another program now (pid reuse).
import { readFileSync } from 'node:fs';
import { errnoPhrase, NotFoundError } from '../fs/errors.js';
import { dying, PF_KTHREAD, procStat, threadCmdline } from '../fs/procstat.js';
import { readRegular } from '../fs/read.js';
import { addon, ERRNO } from '../fs/addon.js';
import { blindness, FC_ID_CUT, namesId, roleOf } from './procs.js';

export interface Liveness {
  pid: number | null;
  /** true alive, false dead, null unknown (or no process to ask about: see `unknown`). */
  alive: boolean | null;
  /** The pid's /proc cmdline names this sandbox (guards against pid reuse). */
  verified: boolean;
  /** The pid is alive but belongs to some other program now. */
  reused: boolean;
  /** Why `alive` is null when there was something to know. */
  unknown?: string;
  /** A running hypervisor that names the sandbox although it is not the recorded pid (see `byProcesses`). */
  running?: number;
}

/** Where a pid came from: its value, or why the source could not be read. */
export interface PidSource {
  pid: number | null;
  /** Set when the pid source is corrupt or unreadable. */
  bad?: string;
}

/** kill(pid, 0): through the addon without an exception, else process.kill. */
function signal0(pid: number): string {
  const fast = pid <= 0x7fffffff ? addon()?.kill0(pid) : undefined;
  if (fast !== undefined) return fast === 0 ? 'ok' : fast === ERRNO.ESRCH ? 'ESRCH' : fast === ERRNO.EPERM ? 'EPERM' : errnoPhrase(fast);
  try {
    process.kill(pid, 0);
    return 'ok';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'error';
  }
}

const unknown = (pid: number | null, why: string): Liveness => ({ pid, alive: null, verified: false, reused: false, unknown: why });

/**
 * Probe a positive pid. `mark` is what its /proc/<pid>/cmdline must name,
 * one of them at least (qemu and acrn run with -name sandbox-<sid>; the
 * others carry the sid in socket paths, firecracker only its first 32
 * characters; a shim names its container): see cmdlineMark.
 */
export function probePid(pid: number, mark: string | readonly string[]): Liveness {
  const blind = blindness();
  if (blind) return unknown(pid, blind);
  const k = signal0(pid);
  if (k === 'ESRCH') return { pid, alive: false, verified: false, reused: false };
  if (k !== 'ok' && k !== 'EPERM') return unknown(pid, `cannot signal pid ${pid} (${k})`);
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { pid, alive: false, verified: false, reused: false };
    return unknown(pid, `pid ${pid} exists but /proc/${pid}/cmdline cannot be read`);
  }
  // A main thread that exited: its live threads still hold the arguments.
  if (cmdline === '') cmdline = threadCmdline(pid);
  if (cmdline === '') return blankCmdline(pid);
  if ((typeof mark === 'string' ? [mark] : mark).some((m) => namesId(cmdline, m))) return { pid, alive: true, verified: true, reused: false };
  return { pid, alive: false, verified: false, reused: true };
}

/**
 * A pid whose arguments read empty: a kernel thread is another program, a
 * zombie with no thread left has exited; anything else (threads still
 * running after the main one exited, say) cannot be told apart from the
 * hypervisor, so it is unknown.
 */
function blankCmdline(pid: number): Liveness {
  const st = procStat(pid);
  if (!st) return { pid, alive: false, verified: false, reused: false };
  if (st.flags & PF_KTHREAD) return { pid, alive: false, verified: false, reused: true };
  // Exited, or being killed: no thread of it runs on.
  if ((st.state === 'Z' && st.threads <= 1) || dying(pid)) return { pid, alive: false, verified: false, reused: false };
  return unknown(
    pid,
    `pid ${pid} has no arguments to check (${st.threads} thread${st.threads === 1 ? '' : 's'} running, state ${st.state}): cannot tell whose it is`,
  );
}

/**
 * The virtiofs daemon a store records: alive when the pid's arguments name
 * the sandbox, or when it is a virtiofsd (by argv[0]) whose arguments do not
 * (one started with --fd, say): a virtiofsd at that pid cannot be told apart
 * from the sandbox's.
 */
export function virtiofsdLiveness(pid: number, sid: string): Liveness {
  const l = probePid(pid, sid);
  if (!l.reused) return l;
  let argv0: string;
  try {
    argv0 = (readFileSync(`/proc/${pid}/cmdline`, 'latin1') || threadCmdline(pid)).split('\0')[0] ?? '';
  } catch {
    return l;
  }
  return roleOf(argv0) === 'virtiofsd' ? { pid, alive: true, verified: false, reused: false } : l;
}

/** Dead for sure: a pid provably gone or reused, or no process to ask about (no pid, nothing unknown). */
export const provablyDead = (l: { alive: boolean | null; unknown?: string }): boolean => l.alive === false || (l.alive === null && !l.unknown);

const ACTIVE = new Set(['ready', 'running', 'paused']);
export const isActive = (state: string | null): boolean => state !== null && ACTIVE.has(state);

/**
 * A sandbox's hypervisor. No pid is fine only for a stopped sandbox (dead);
 * while the state says ready, running or paused, or cannot be read, a
 * missing pid leaves liveness unknown.
 */
export function hypervisorLiveness(src: PidSource, state: string | null, mark: string | readonly string[]): Liveness {
  const pid = src.pid;
  if (src.bad) return unknown(pid, src.bad);
  if (pid === null || pid <= 0) {
    if (state === 'stopped') return { pid, alive: false, verified: false, reused: false };
    return unknown(
      pid,
      state === null ? 'the state cannot be read and no hypervisor pid is recorded' : `state is ${JSON.stringify(state)} but no hypervisor pid is recorded`,
    );
  }
  return probePid(pid, mark);
}

/** A container's own process: none (pid <= 0, as under shim v2) is nothing to ask about. */
export function containerLiveness(pid: number | null, cid: string, bad?: string): Liveness {
  if (bad) return unknown(pid, bad);
  if (pid === null || pid <= 0) return { pid, alive: null, verified: false, reused: false };
  return probePid(pid, cid);
}

/**
 * A hypervisor process that names the sandbox makes it live, whatever pid
 * the store recorded (gone, reused, a main thread that cannot be read): the
 * VM is there. While the state says ready, running or paused it is alive;
 * stopped, or a state that cannot be read, beside a running VM cannot be
 * told (liveness-unknown, and every change refuses). A recorded pid that is
 * alive already decides, and a process table that sees nothing changes
 * nothing.
 */
export function byProcesses(live: Liveness, state: string | null, hypervisors: readonly { pid: number }[]): Liveness {
  const first = hypervisors[0];
  if (live.alive === true || !first) return live;
  if (isActive(state)) return { pid: live.pid, alive: true, verified: true, reused: false, running: first.pid };
  return {
    pid: live.pid,
    alive: null,
    verified: false,
    reused: false,
    running: first.pid,
    unknown: `${state === null ? 'the state cannot be read' : `state is ${JSON.stringify(state)}`} but hypervisor pid ${first.pid} names the sandbox`,
  };
}

/** Seconds since a process started, from /proc; null when it is gone. */
export function processAgeSecs(pid: number): number | null {
  const st = procStat(pid);
  if (!st) return null;
  try {
    const uptime = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
    // USER_HZ is 100 on every Linux architecture Kata runs on.
    return Math.max(0, uptime - st.start / 100);
  } catch {
    return null;
  }
}

/**
 * What a recorded hypervisor pid's arguments must name for it to be this
 * sandbox's VM, by the store's hypervisor type, as each launcher writes it
 * (README "Runtime processes"): qemu `-name sandbox-<sid>`; ACRN the
 * positional `sandbox-<sid>` (1.x) or `sbx-<sid>` (2.x to 3.9);
 * Firecracker and its jailer the first 32 characters (Go 1.11 on:
 * `fc.go` `truncateID`) or the whole ID (1.9, runtime-rs); the others the
 * whole ID in their socket paths.
 */
export function cmdlineMark(type: string | null, sid: string): readonly string[] {
  if (type === 'qemu') return [`sandbox-${sid}`];
  if (type === 'acrn') return [`sandbox-${sid}`, `sbx-${sid}`];
  if (type === 'firecracker' && sid.length > FC_ID_CUT) return [sid, sid.slice(0, FC_ID_CUT)];
  return [sid];
}

/** /run/vc/vm/<sid>/pid: a pid, or why it cannot be used; undefined when there is none. */
export function readPidFile(path: string): PidSource | undefined {
  let text: string;
  try {
    text = readRegular(path, 64).toString('latin1').trim();
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    return { pid: null, bad: `${path} cannot be read` };
  }
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? { pid: n } : { pid: null, bad: `${path} is corrupt` };
}
