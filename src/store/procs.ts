// The process witness: one read of /proc/*/cmdline per command, and which
// runtime process (hypervisor, virtiofsd, proxy, shim) names which sandbox.
// vcstore itself and its ancestors (sudo, the shell, xargs) never count.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { inInitialPidNs } from './locks.js';

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
    const before = i > 0 ? text[i - 1]! : '';
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

interface Entry {
  pid: number;
  cmdline: string;
}

export class ProcTable {
  /** False when /proc could not be listed: nothing can be told then. */
  readonly readable: boolean;
  /** False in a pid namespace that is not the host's: the runtime's processes are not all visible. */
  readonly hostNs: boolean;
  private readonly entries: Entry[] = [];

  constructor() {
    this.hostNs = inInitialPidNs();
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
    if (!this.readable) return '/proc cannot be read';
    if (!this.hostNs) return "vcstore runs in another pid namespace, where the runtime's processes are not visible";
    return null;
  }

  /** Every process whose arguments name `id`, with its role. */
  naming(id: string): Proc[] {
    const out: Proc[] = [];
    for (const e of this.entries) {
      if (!namesId(e.cmdline, id)) continue;
      const argv = e.cmdline.split('\0').filter((x, i, a) => x !== '' || i < a.length - 1);
      let role = roleOf(argv[0] ?? '');
      if (role === 'other') {
        try {
          role = roleOf(readlinkSync(`/proc/${e.pid}/exe`));
        } catch {
          /* kernel thread or not ours to read */
        }
      }
      out.push({ pid: e.pid, command: argv.join(' ').slice(0, 200), role });
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
