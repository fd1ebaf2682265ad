// The process witness: one read of /proc/*/cmdline, and which runtime process
// (hypervisor, virtiofsd, proxy, shim) names which sandbox. A destructive
// step reads it again after its lock is held. vcstore itself and its
// ancestors (sudo, the shell, xargs) never count.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { PF_KTHREAD, procStat } from '../fs/procstat.js';
import { inInitialPidNs } from './holders.js';

let procOk: boolean | undefined;
function procReadable(): boolean {
  if (procOk === undefined) {
    try {
      readFileSync('/proc/self/stat');
      procOk = true;
    } catch {
      procOk = false;
    }
  }
  return procOk;
}

/**
 * Why no pid and no process can be judged here at all, or null: the one
 * check behind both the liveness and the process witness.
 */
export function blindness(readable = procReadable()): string | null {
  if (!readable) return '/proc cannot be read';
  if (!inInitialPidNs()) return "vcstore runs in another pid namespace, where the runtime's processes and pids are not visible";
  return null;
}

export type Role = 'hypervisor' | 'virtiofsd' | 'kata-proxy' | 'kata-shim' | 'kata-netmon' | 'containerd-shim-kata-v2' | 'other';

/**
 * The runtime's processes, by the basename of argv[0] (what ps shows) or of
 * /proc/<pid>/exe: one table, documented in the README ("Runtime processes").
 * Kata 3.x's runtime-rs shim runs the dragonball VMM inside itself, so a shim
 * makes a sandbox as live as a hypervisor does.
 */
export const RUNTIME_PROCESSES: readonly { role: Exclude<Role, 'other'>; pattern: RegExp; names: string }[] = [
  {
    role: 'hypervisor',
    pattern: /^(qemu-([a-z]+-)?system-.+|qemu-kvm|nemu-system-.+|firecracker|jailer|cloud-hypervisor|acrn-dm|stratovirt|dragonball|openvmm)$/,
    names:
      'qemu-system-*, qemu-kvm, and 1.x packaging: qemu-lite-system-*, qemu-vanilla-system-*, qemu-virtiofs-system-*, nemu-system-*; firecracker, jailer, cloud-hypervisor, acrn-dm, stratovirt, dragonball, openvmm',
  },
  { role: 'virtiofsd', pattern: /^(virtiofsd.*|nydusd)$/, names: 'virtiofsd (and virtiofsd-*), nydusd' },
  {
    role: 'containerd-shim-kata-v2',
    pattern: /^containerd-shim-kata(-[A-Za-z0-9]+)*-v2$/,
    names:
      "containerd-shim-kata-v2 and kata-deploy's per-class containerd-shim-kata-<class>-v2 (qemu, clh, fc, dragonball, qemu-tdx, qemu-snp, qemu-nvidia-gpu, *-runtime-rs, …)",
  },
  { role: 'kata-proxy', pattern: /^kata-proxy$/, names: 'kata-proxy (1.x)' },
  { role: 'kata-shim', pattern: /^kata-shim$/, names: 'kata-shim (1.x)' },
  { role: 'kata-netmon', pattern: /^kata-netmon$/, names: 'kata-netmon (1.x)' },
];

export interface Proc {
  pid: number;
  /** argv joined with spaces, for messages. */
  command: string;
  role: Role;
}

/** What an ID may hold besides letters and digits: a match must not run on into one of these. */
const ID_CHAR = /[A-Za-z0-9_.-]/;

/**
 * Does `text` name `id` as a whole ID: not inside a longer run of ID
 * characters, so `rd` is not in `containerd` and `ab` is not in `ab.2` or
 * `x-ab`; qemu's `sandbox-<id>` is the one prefix allowed to touch it.
 */
export function namesId(text: string, id: string): boolean {
  for (let i = text.indexOf(id); i >= 0; i = text.indexOf(id, i + 1)) {
    if (ID_CHAR.test(text[i + id.length] ?? '')) continue;
    const before = text[i - 1] ?? '';
    if (!ID_CHAR.test(before)) return true;
    if (text.startsWith('sandbox-', i - 8) && !ID_CHAR.test(text[i - 9] ?? '')) return true;
  }
  return false;
}

/** Role from the basename of argv[0], /proc/<pid>/exe or /proc/<pid>/comm. */
export function roleOf(name: string): Role {
  const b = name.slice(name.lastIndexOf('/') + 1);
  return RUNTIME_PROCESSES.find((r) => r.pattern.test(b))?.role ?? 'other';
}

/** This process and its ancestors up to init. */
function selfAndAncestors(): Set<number> {
  const out = new Set<number>([process.pid]);
  let p: number | null = process.ppid;
  while (p !== null && p > 1 && !out.has(p)) {
    out.add(p);
    const ppid: number | undefined = procStat(p)?.ppid;
    p = ppid !== undefined && Number.isInteger(ppid) && ppid > 0 ? ppid : null;
  }
  return out;
}

export interface Entry {
  pid: number;
  cmdline: string;
  role?: Role;
}

const RUNS = /[A-Za-z0-9]+/g;

export interface ProcSnapshot {
  readable: boolean;
  entries: Entry[];
  blank: Proc[];
}

export class ProcTable {
  /** False when /proc could not be listed: nothing can be told then. */
  readonly readable: boolean;
  private readonly entries: Entry[] = [];
  /**
   * Runtime processes (by exe or comm) whose arguments cannot be read while
   * their threads run (the main thread has exited): which sandbox they serve
   * cannot be told.
   */
  readonly blank: Proc[] = [];

  /** What this table read, for a worker thread to use instead of reading /proc again. */
  snapshot(): ProcSnapshot {
    return { readable: this.readable, entries: this.entries, blank: this.blank };
  }
  /** Every run of letters and digits in any cmdline, to the processes that hold it: one lookup per ID. */
  private index?: Map<string, Entry[]>;

  constructor(from?: ProcSnapshot) {
    if (from) {
      this.readable = from.readable;
      this.entries = from.entries;
      this.blank = from.blank;
      return;
    }
    let names: string[];
    try {
      names = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
    } catch {
      this.readable = false;
      return;
    }
    this.readable = true;
    const skip = selfAndAncestors();
    for (const n of names) {
      const pid = Number(n);
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${n}/cmdline`, 'latin1');
      } catch {
        continue; // gone meanwhile
      }
      if (!cmdline) {
        if (!skip.has(pid)) this.noteBlank(pid);
        continue;
      }
      const e: Entry = { pid, cmdline };
      // vcstore and what started it (sudo, a shell, xargs) never count; a runtime process does, even
      // as an ancestor (a hook under a shim running `vcstore rm` on the shim's own sandbox).
      if (skip.has(pid) && procOf(e).role === 'other') continue;
      this.entries.push(e);
    }
  }

  /** An empty cmdline: a kernel thread or an exited zombie is nothing; a runtime process still running is "cannot tell". */
  private noteBlank(pid: number): void {
    const st = procStat(pid);
    if (!st || st.flags & PF_KTHREAD) return;
    if (st.state === 'Z' && st.threads <= 1) return;
    const role = blankRole(pid);
    if (role !== 'other') this.blank.push({ pid, command: `(arguments gone; ${st.threads} threads running)`, role });
  }

  /** Why nothing about processes can be told, or null when it can. */
  get blind(): string | null {
    return blindness(this.readable);
  }

  private byRun(): Map<string, Entry[]> {
    if (!this.index) {
      this.index = new Map();
      for (const e of this.entries)
        for (const run of new Set(e.cmdline.match(RUNS) ?? [])) {
          const list = this.index.get(run);
          if (list) list.push(e);
          else this.index.set(run, [e]);
        }
    }
    return this.index;
  }

  /**
   * Every process whose arguments name `id` as a whole ID, with its role.
   * An ID named as a whole word starts a run of letters and digits, so only
   * the processes holding that run are looked at: a listing of 10,000
   * sandboxes costs one index, not 10,000 scans.
   */
  naming(id: string): Proc[] {
    const first = /^[A-Za-z0-9]+/.exec(id)?.[0];
    const candidates = first ? (this.byRun().get(first) ?? []) : this.entries;
    return candidates.filter((e) => namesId(e.cmdline, id)).map((e) => procOf(e));
  }

  /** Every process whose arguments hold `text` anywhere (an ACRN UUID, say). */
  holding(text: string): Proc[] {
    return this.entries.filter((e) => e.cmdline.includes(text)).map((e) => procOf(e));
  }

  /**
   * Sandbox IDs the runtime's own processes carry in their arguments: how a
   * process is found whose sandbox has no store left. Paths count only under
   * these roots (a socket in <vm>/<sid>/, <run>/<sid>/, <shared>/<sid>/,
   * <kata>/<sid>/, the jailer's <run/vc>/<name>/<sid>/root/); a bare ID
   * (qemu's -name sandbox-<sid>, a shim's -id <sid>, acrn-dm's positional
   * sandbox-<sid>) only when `bareIds`, that is for the host's own store,
   * not one under --prefix.
   */
  runtimeIds(roots: { vm: string; run: string; shared: string; kata: string }, bareIds: boolean): Map<string, Proc[]> {
    const jail = roots.vm.slice(0, roots.vm.lastIndexOf('/'));
    const patterns = [roots.vm, roots.run, roots.shared, roots.kata].map((r) => new RegExp(`${escapeRe(r)}/${ID}(?:/|\\0|$)`, 'g'));
    patterns.push(new RegExp(`${escapeRe(jail)}/[A-Za-z0-9_.-]+/${ID}/root(?:/|\\0|$)`, 'g'));
    if (bareIds) patterns.push(...BARE_ID_PATTERNS);
    const out = new Map<string, Proc[]>();
    for (const e of this.entries) {
      const ids = new Set<string>();
      for (const re of patterns) for (const m of e.cmdline.matchAll(re)) if (m[1]) ids.add(m[1]);
      if (!ids.size) continue;
      const p = procOf(e);
      if (p.role === 'other') continue;
      for (const id of ids) out.set(id, [...(out.get(id) ?? []), p]);
    }
    return out;
  }
}

/** Runtime processes make a sandbox live; any other process only names it. */
/** One process table for a whole listing, read when first asked for (runtime-rs liveness), never before. */
export function lazyProcs(): () => ProcTable {
  let t: ProcTable | undefined;
  return () => (t ??= new ProcTable());
}

export function splitByRole(procs: Proc[]): { runtime: Proc[]; other: Proc[] } {
  return { runtime: procs.filter((p) => p.role !== 'other'), other: procs.filter((p) => p.role === 'other') };
}
export function procText(p: Proc): string {
  return `pid ${p.pid} (${p.role === 'other' ? p.command.split(' ')[0] : p.role}: ${p.command.length > 80 ? `${p.command.slice(0, 80)}…` : p.command})`;
}

const ID = '([A-Za-z0-9][A-Za-z0-9_.-]*)';
const BARE_ID_PATTERNS = [new RegExp(`(?:^|\\0|[^A-Za-z0-9_.-])sandbox-${ID}`, 'g'), new RegExp(`(?:^|\\0)--?id\\0${ID}`, 'g')];
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Role of a process whose arguments are gone: from its executable, else its comm. */
function blankRole(pid: number): Role {
  try {
    const role = roleOf(readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, ''));
    if (role !== 'other') return role;
  } catch {
    /* not ours to read */
  }
  try {
    // comm is cut at 15 characters: the families by their start, and a cut
    // containerd-shim-… counts as a Kata shim (it cannot be told apart).
    const comm = readFileSync(`/proc/${pid}/comm`, 'latin1').trim();
    if (roleOf(comm) !== 'other') return roleOf(comm);
    if (/^(qemu-system|qemu-virtiofs|qemu-lite-|qemu-vanilla-|nemu-system|cloud-hypervis)/.test(comm)) return 'hypervisor';
    if (/^containerd-shim/.test(comm)) return 'containerd-shim-kata-v2';
    return 'other';
  } catch {
    return 'other';
  }
}

function procOf(e: Entry): Proc {
  const argv = e.cmdline.split('\0').filter((x, i, a) => x !== '' || i < a.length - 1);
  if (e.role === undefined) {
    e.role = roleOf(argv[0] ?? '');
    if (e.role === 'other') {
      try {
        e.role = roleOf(readlinkSync(`/proc/${e.pid}/exe`).replace(/ \(deleted\)$/, ''));
      } catch {
        /* kernel thread or not ours to read */
      }
    }
  }
  return { pid: e.pid, command: argv.join(' ').slice(0, 200), role: e.role };
}
