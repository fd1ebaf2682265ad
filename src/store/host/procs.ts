// The process witness: one read of /proc/*/cmdline per command, and which
// runtime process (hypervisor, virtiofsd, proxy, shim) names which sandbox.
// vcstore itself and its ancestors (sudo, the shell, xargs) never count.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
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

export type Role = 'hypervisor' | 'virtiofsd' | 'kata-proxy' | 'kata-shim' | 'containerd-shim-kata-v2' | 'other';

export interface Proc {
  pid: number;
  /** argv joined with spaces, for messages. */
  command: string;
  role: Role;
}

const ALNUM = /[A-Za-z0-9]/;

/**
 * Does `text` name `id` as a whole word: not inside a longer run of letters
 * and digits (`rd` is not in `containerd`, but is in `sandbox-rd` and
 * `/run/vc/vm/rd/`)?
 */
export function namesId(text: string, id: string): boolean {
  for (let i = text.indexOf(id); i >= 0; i = text.indexOf(id, i + 1)) {
    const before = text[i - 1] ?? '';
    const after = text[i + id.length] ?? '';
    if (!ALNUM.test(before) && !ALNUM.test(after)) return true;
  }
  return false;
}

/** Role from the basename of argv[0] (what ps shows), or of /proc/<pid>/exe. */
export function roleOf(name: string): Role {
  const b = name.slice(name.lastIndexOf('/') + 1);
  if (/^qemu-system-|^qemu-kvm$|^firecracker$|^jailer$|^cloud-hypervisor$|^acrn-dm$/.test(b)) return 'hypervisor';
  if (/^virtiofsd/.test(b)) return 'virtiofsd';
  if (b === 'kata-proxy') return 'kata-proxy';
  if (b === 'kata-shim') return 'kata-shim';
  if (b === 'containerd-shim-kata-v2') return 'containerd-shim-kata-v2';
  return 'other';
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 0 ? ppid : null;
  } catch {
    return null;
  }
}

/** This process and its ancestors up to init. */
function selfAndAncestors(): Set<number> {
  const out = new Set<number>([process.pid]);
  let p: number | null = process.ppid;
  while (p !== null && p > 1 && !out.has(p)) {
    out.add(p);
    p = parentOf(p);
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
}

export class ProcTable {
  /** False when /proc could not be listed: nothing can be told then. */
  readonly readable: boolean;
  private readonly entries: Entry[] = [];

  /** What this table read, for a worker thread to use instead of reading /proc again. */
  snapshot(): ProcSnapshot {
    return { readable: this.readable, entries: this.entries };
  }
  /** Every run of letters and digits in any cmdline, to the processes that hold it: one lookup per ID. */
  private index?: Map<string, Entry[]>;

  constructor(from?: ProcSnapshot) {
    if (from) {
      this.readable = from.readable;
      this.entries = from.entries;
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
      if (skip.has(pid)) continue;
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${n}/cmdline`, 'latin1');
      } catch {
        continue; // gone meanwhile
      }
      if (cmdline) this.entries.push({ pid, cmdline });
    }
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
   * Every process whose arguments name `id` as a whole word, with its role.
   * An ID named as a whole word starts a run of letters and digits, so only
   * the processes holding that run are looked at: a listing of 10,000
   * sandboxes costs one index, not 10,000 scans.
   */
  naming(id: string): Proc[] {
    const first = /^[A-Za-z0-9]+/.exec(id)?.[0];
    const candidates = first ? (this.byRun().get(first) ?? []) : this.entries;
    return candidates.filter((e) => namesId(e.cmdline, id)).map((e) => procOf(e));
  }

  /**
   * Sandbox IDs the runtime's own processes carry in their arguments: how a
   * process is found whose sandbox has no store left. Paths count only under
   * these roots (a socket in <vm>/<sid>/, <run>/<sid>/, <shared>/<sid>/); a
   * bare ID (qemu's -name sandbox-<sid>, a shim's -id <sid>) only when
   * `bareIds`, that is for the host's own store, not one under --prefix.
   */
  runtimeIds(roots: { vm: string; run: string; shared: string }, bareIds: boolean): Map<string, Proc[]> {
    const patterns = [roots.vm, roots.run, roots.shared].map((r) => new RegExp(`${escapeRe(r)}/${ID}(?:/|\\0|$)`, 'g'));
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
export function splitByRole(procs: Proc[]): { runtime: Proc[]; other: Proc[] } {
  return { runtime: procs.filter((p) => p.role !== 'other'), other: procs.filter((p) => p.role === 'other') };
}
export function procText(p: Proc): string {
  return `pid ${p.pid} (${p.role === 'other' ? p.command.split(' ')[0] : p.role}: ${p.command.length > 80 ? `${p.command.slice(0, 80)}…` : p.command})`;
}

const ID = '([A-Za-z0-9][A-Za-z0-9_.-]*)';
const BARE_ID_PATTERNS = [new RegExp(`sandbox-${ID}`, 'g'), new RegExp(`(?:^|\\0)--?id\\0${ID}`, 'g')];
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function procOf(e: Entry): Proc {
  const argv = e.cmdline.split('\0').filter((x, i, a) => x !== '' || i < a.length - 1);
  if (e.role === undefined) {
    e.role = roleOf(argv[0] ?? '');
    if (e.role === 'other') {
      try {
        e.role = roleOf(readlinkSync(`/proc/${e.pid}/exe`));
      } catch {
        /* kernel thread or not ours to read */
      }
    }
  }
  return { pid: e.pid, command: argv.join(' ').slice(0, 200), role: e.role };
}
