// The process witness: one read of /proc/*/cmdline, and which runtime process
// (hypervisor, virtiofsd, proxy, shim) names which sandbox. A destructive
// step reads it again after its lock is held. vcstore itself and its
// ancestors (sudo, the shell, xargs) never count.
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { dying, PF_KTHREAD, procStat, threadCmdline } from '../fs/procstat.js';
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

export type Role = 'hypervisor' | 'virtiofsd' | 'kata-proxy' | 'kata-shim' | 'kata-netmon' | 'containerd-shim-kata-v2' | 'kata-runtime' | 'other';

/** Firecracker's ID as the Go runtime passes it since 1.11 (`fc.go` `truncateID`: the socket path limit). */
export const FC_ID_CUT = 32;

/** One family of runtime processes: how it is recognised, and how its launcher names the sandbox. */
export interface RuntimeProcess {
  role: Exclude<Role, 'other'>;
  /** The basenames of argv[0] (or of /proc/<pid>/exe) of this family. */
  pattern: RegExp;
  names: string;
  /** Where the sandbox ID stands in the arguments its launcher builds, in every runtime that launches it. */
  forms: string;
  /** The launch code each form comes from (Go runtime 1.x `virtcontainers/`, 3.x `src/runtime/virtcontainers/`, runtime-rs `src/runtime-rs/crates/`). */
  source: string;
  /** The runtime cuts the ID to this many characters in these arguments (Firecracker's socket path limit). */
  cut?: number;
}

/**
 * The runtime's processes, by the basename of argv[0] (what ps shows) or of
 * /proc/<pid>/exe: one table, documented in the README ("Runtime
 * processes"). A process names a sandbox when its arguments hold the ID as
 * a whole word (qemu's and ACRN's `sandbox-<id>` and `sbx-<id>` count), or,
 * for a family the runtime cuts the ID for, its first `cut` characters.
 * Kata 3.x's runtime-rs shim runs the dragonball VMM inside itself, so a
 * shim makes a sandbox as live as a hypervisor does.
 */
export const RUNTIME_PROCESSES: readonly RuntimeProcess[] = [
  {
    role: 'hypervisor',
    pattern: /^(qemu-([a-z]+-)?system-.+|qemu-kvm|nemu-system-.+)$/,
    names: 'qemu-system-*, qemu-kvm, and 1.x packaging: qemu-lite-system-*, qemu-vanilla-system-*, qemu-virtiofs-system-*, nemu-system-*',
    forms:
      '`-name sandbox-<id>`; Go: `-pidfile /run/vc/vm/<id>/pid`, 1.x `-qmp unix:/run/vc/vm/<id>/qmp.sock`; runtime-rs: chardevs under `/run/kata/<id>/root/`',
    source: '1.x `qemu.go` `createSandbox` with govmm `LaunchQemu`; 3.x `qemu.go` `CreateVM`; runtime-rs `hypervisor/src/qemu/cmdline_generator.rs`',
  },
  {
    role: 'hypervisor',
    pattern: /^firecracker(-.+)?$/,
    names: 'firecracker and its release names firecracker-v*-<arch> (also `/firecracker` as the jailer execs it)',
    forms:
      'Go 1.11 to 3.x: **the first 32 characters only**: `--id <id[:32]>`, `--api-sock /run/vc/firecracker/<id[:32]>/root/run/firecracker.socket`; 1.9 and runtime-rs: the whole ID (`--id <id>`, `/run/kata/firecracker/<id>/root`, `/run/kata/<id>/run/fc.sock`)',
    source:
      'Go `fc.go` `truncateID`, `createSandbox`, `fcInit`; runtime-rs `hypervisor/src/firecracker/inner.rs` `prepare_vmm`; firecracker `src/jailer/src/env.rs` (the exec)',
    cut: FC_ID_CUT,
  },
  {
    role: 'hypervisor',
    pattern: /^jailer(-.+)?$/,
    names: 'jailer and its release names jailer-v*-<arch>',
    forms:
      'Go 1.11 to 3.x: `--id <id[:32]> --chroot-base-dir /run/vc` (the chroot `/run/vc/firecracker/<id[:32]>/root`); 1.9: `--id <id>`, `/var/lib/vc/firecracker/<id>`; runtime-rs: `--id <id> --chroot-base-dir /run/kata`',
    source: 'Go `fc.go` `fcInit`; runtime-rs `hypervisor/src/firecracker/inner.rs` `prepare_vmm`',
    cut: FC_ID_CUT,
  },
  {
    role: 'hypervisor',
    pattern: /^cloud-hypervisor(-.+)?$/,
    names: 'cloud-hypervisor and cloud-hypervisor-static',
    forms: 'Go: `--api-socket /run/vc/vm/<id>/clh-api.sock`; runtime-rs: `--api-socket /run/kata/<id>/ch-api.sock`',
    source: 'Go `clh.go` `launchClh`; runtime-rs `hypervisor/src/ch/inner_hypervisor.rs`, `ch/utils.rs` `get_api_socket_path`',
  },
  {
    role: 'hypervisor',
    pattern: /^acrn-dm$/,
    names: 'acrn-dm',
    forms: '1.x: the last, positional `sandbox-<id>` (and `-U <slot UUID>`); 2.x to 3.9: `sbx-<id>` (at most 15 characters)',
    source: '1.x `acrn.go`, `acrn_arch_base.go` `LaunchAcrn`; 3.9 `acrn.go` `createSandbox`',
  },
  {
    role: 'hypervisor',
    pattern: /^stratovirt$/,
    names: 'stratovirt',
    forms: '`-name sandbox-<id>`, `-qmp unix:/run/vc/vm/<id>/qmp.socket`',
    source: '3.x `stratovirt.go` `createParams`',
  },
  {
    role: 'hypervisor',
    pattern: /^(dragonball|openvmm)$/,
    names: 'dragonball, openvmm',
    forms: 'dragonball runs inside the runtime-rs shim (its `-id <id>`); openvmm: `--ttrpc /run/kata/<id>/openvmm.sock`',
    source: 'runtime-rs `hypervisor/src/dragonball/vmm_instance.rs`, `hypervisor/src/openvmm/vmm_instance.rs`',
  },
  {
    role: 'virtiofsd',
    pattern: /^(virtiofsd.*|nydusd)$/,
    names: 'virtiofsd (and virtiofsd-*), nydusd',
    forms:
      '1.x `-o source=/run/kata-containers/shared/sandboxes/<id>[/shared]`; 3.x `--shared-dir=…/<id>/shared`; runtime-rs `--socket-path /run/kata/<id>/root/virtiofsd.sock`; nydusd `--apisock …/<id>/nydusd-api.sock`',
    source: '1.x and 3.x `virtiofsd.go` `args`, `nydusd.go` `args`; runtime-rs `resource/src/share_fs/share_virtio_fs_standalone.rs`',
  },
  {
    role: 'containerd-shim-kata-v2',
    pattern: /^containerd-shim-kata(-[A-Za-z0-9]+)*-v2$/,
    names:
      "containerd-shim-kata-v2 and kata-deploy's per-class containerd-shim-kata-<class>-v2 (qemu, clh, fc, dragonball, qemu-tdx, qemu-snp, qemu-nvidia-gpu, *-runtime-rs, …)",
    forms: '`-id <id>` (with `-namespace`, `-address`, `-publish-binary`)',
    source: '1.x `containerd-shim-v2/service.go` `newCommand`; 3.x `pkg/containerd-shim-v2/service.go`; runtime-rs `crates/shim/src/shim_start.rs`',
  },
  {
    role: 'kata-proxy',
    pattern: /^kata-proxy$/,
    names: 'kata-proxy (1.x)',
    forms: '`-sandbox <id>`, `-listen-socket unix:///run/vc/sbs/<id>/proxy.sock`',
    source: '1.x `kata_proxy.go` `start`',
  },
  {
    role: 'kata-shim',
    pattern: /^kata-shim$/,
    names: 'kata-shim (1.x)',
    forms: '`-container <cid>` (the sandbox container: `<id>`), `-agent unix:///run/vc/sbs/<id>/proxy.sock`',
    source: '1.x `kata_shim.go` `start`',
  },
  { role: 'kata-netmon', pattern: /^kata-netmon$/, names: 'kata-netmon (1.x)', forms: '`-s <id>`', source: '1.x `netmon.go` `prepareNetMonParams`' },
  {
    role: 'kata-runtime',
    pattern: /^kata-runtime$/,
    names: 'kata-runtime (the OCI runtime CLI of 1.x and 2.x, while it creates, starts, kills or deletes)',
    forms: '`create`, `run`, `start`, `kill`, `delete` with `<container-id>` last (the sandbox container: `<id>`)',
    source: '1.x `cli/create.go`, `cli/run.go`, `cli/delete.go` (`ArgsUsage: <container-id>`)',
  },
];

export interface Proc {
  pid: number;
  /** argv joined with spaces, for messages. */
  command: string;
  role: Role;
  /** The basename its role was told by (argv[0] or /proc/<pid>/exe): which row of the table it is. */
  by: string;
}

/** What an ID may hold besides letters and digits: a match must not run on into one of these. */
const ID_CHAR = /[A-Za-z0-9_.-]/;

/** The VM names the launchers build around an ID (qemu, stratovirt, 1.x ACRN: `sandbox-<id>`; ACRN 2.x to 3.9: `sbx-<id>`). */
const VM_NAME_PREFIXES = ['sandbox-', 'sbx-'];

/**
 * Does `text` name `id` as a whole ID: not inside a longer run of ID
 * characters, so `rd` is not in `containerd` and `ab` is not in `ab.2` or
 * `x-ab`; the launchers' VM names (`sandbox-<id>`, `sbx-<id>`) are the only
 * prefixes allowed to touch it.
 */
export function namesId(text: string, id: string): boolean {
  for (let i = text.indexOf(id); i >= 0; i = text.indexOf(id, i + 1)) {
    if (ID_CHAR.test(text[i + id.length] ?? '')) continue;
    const before = text[i - 1] ?? '';
    if (!ID_CHAR.test(before)) return true;
    for (const pre of VM_NAME_PREFIXES) if (text.startsWith(pre, i - pre.length) && !ID_CHAR.test(text[i - pre.length - 1] ?? '')) return true;
  }
  return false;
}

/** The row of the table a basename of argv[0], /proc/<pid>/exe or /proc/<pid>/comm belongs to. */
export function processOf(name: string): RuntimeProcess | undefined {
  const b = name.slice(name.lastIndexOf('/') + 1);
  return RUNTIME_PROCESSES.find((r) => r.pattern.test(b));
}

/** Role from the basename of argv[0], /proc/<pid>/exe or /proc/<pid>/comm. */
export function roleOf(name: string): Role {
  return processOf(name)?.role ?? 'other';
}

/**
 * Does a process of a family the runtime cuts the ID for (`cut`) carry this
 * ID's first `cut` characters? Two sandboxes whose IDs share those
 * characters are then both named: neither is provably dead.
 */
function namesCut(cmdline: string, argv0: string, id: string): boolean {
  const cut = processOf(argv0)?.cut;
  return cut !== undefined && id.length > cut && namesId(cmdline, id.slice(0, cut));
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

/** One buffer for every /proc/<pid>/cmdline of a table: a bulk removal reads the whole table again every 100 ms. */
let cmdBuf = Buffer.allocUnsafe(1 << 16);

/**
 * A file of /proc (a pid's cmdline, stat) as latin1: what readFileSync gives,
 * with none of its fstat and allocations; undefined when it cannot be read
 * (gone meanwhile).
 */
function readProc(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    let len = 0;
    for (;;) {
      if (len === cmdBuf.length) {
        const bigger = Buffer.allocUnsafe(cmdBuf.length * 2);
        cmdBuf.copy(bigger, 0, 0, len);
        cmdBuf = bigger;
      }
      const r = readSync(fd, cmdBuf, len, cmdBuf.length - len, null);
      if (r <= 0) break;
      len += r;
    }
    return cmdBuf.toString('latin1', 0, len);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** PF_KTHREAD in /proc/<pid>/stat (the 9th field, procStat's `flags`): a kernel thread, which never has arguments. */
function isKernelThread(pid: number): boolean {
  const text = readProc(`/proc/${pid}/stat`);
  if (text === undefined) return false;
  const flags = Number(text.slice(text.lastIndexOf(')') + 2).split(' ', 7)[6]);
  return Number.isInteger(flags) && (flags & PF_KTHREAD) !== 0;
}

export interface Entry {
  pid: number;
  cmdline: string;
  role?: Role;
  /** The basename argv[0] or /proc/<pid>/exe gave the role by (what the table's row is). */
  by?: string;
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
   * their threads run, neither from the process nor from any live thread:
   * which sandbox they serve cannot be told.
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
      const read = readProc(`/proc/${n}/cmdline`);
      if (read === undefined) continue; // gone meanwhile
      let cmdline = read;
      // A kernel thread has no arguments anywhere (no threads of its own to ask): nothing.
      if (!cmdline && isKernelThread(pid)) continue;
      // A main thread that exited leaves the arguments readable through its live threads.
      if (!cmdline) cmdline = threadCmdline(pid);
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
    if ((st.state === 'Z' && st.threads <= 1) || dying(pid)) return;
    const role = blankRole(pid);
    if (role !== 'other') this.blank.push({ pid, command: `(arguments gone; ${st.threads} threads running)`, role, by: '' });
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
    const candidates = new Set<Entry>();
    for (const key of CUTS.map((n) => id.slice(0, n)).concat(id)) {
      const first = /^[A-Za-z0-9]+/.exec(key)?.[0];
      for (const e of first ? (this.byRun().get(first) ?? []) : this.entries) candidates.add(e);
    }
    return [...candidates].filter((e) => nameOf(e, id)).map((e) => procOf(e));
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

/** The lengths the runtime cuts IDs to, for some families (the table's `cut`). */
const CUTS = [...new Set(RUNTIME_PROCESSES.flatMap((r) => (r.cut === undefined ? [] : [r.cut])))];

/** Does this entry's process name `id` as its family's launcher writes it? */
function nameOf(e: Entry, id: string): boolean {
  if (namesId(e.cmdline, id)) return true;
  procOf(e); // tells e.by, the row of the table
  return namesCut(e.cmdline, e.by ?? '', id);
}

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
    e.by = argv[0] ?? '';
    e.role = roleOf(e.by);
    if (e.role === 'other') {
      try {
        e.by = readlinkSync(`/proc/${e.pid}/exe`).replace(/ \(deleted\)$/, '');
        e.role = roleOf(e.by);
      } catch {
        /* kernel thread or not ours to read */
      }
    }
  }
  return { pid: e.pid, command: argv.join(' ').slice(0, 200), role: e.role, by: e.by ?? '' };
}
