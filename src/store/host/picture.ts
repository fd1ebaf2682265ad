// The whole sandbox on the host, beside its store: the shared dir served to
// the guest (/run/kata-containers/shared/sandboxes/<sid>), the mounts at or
// below any of its directories, the processes naming it, and its VM dir.
// Read once per command: one readdir of the shared root, one mountinfo read
// bucketed by sandbox, one /proc scan indexed by word.
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { isValidId } from '../fs/ids.js';
import { OLD_TRASH_RE, TRASH_DIR_RE } from '../fs/names.js';
import { CgroupIndex } from './cgroups.js';
import { MountTable, type Mount } from './mounts.js';
import { FC_ID_CUT, processOf, ProcTable, type Proc, type ProcSnapshot } from './procs.js';
import type { Roots } from '../fs/roots.js';
import { kinds, type Kind } from '../fs/dirs.js';

export interface SharedDir {
  path: string;
  /** Bytes and entries below it, not counting what other mounts hold (show only). */
  size?: number;
  entries?: number;
}

export interface HostPicture {
  shared: SharedDir | null;
  /** The shared dir's path when it is a symbolic link (or not a directory): never followed, reported. */
  sharedOdd: { path: string; kind: 'symlink' | 'other' } | null;
  mounts: Mount[];
  processes: Proc[];
  vm: string | null;
}

const realDir = (dir: string): string => {
  try {
    return realpathSync.native(dir);
  } catch {
    return dir;
  }
};

export interface HostSnapshot {
  procs: ProcSnapshot;
  mounts: Mount[] | null;
}

export class HostIndex {
  readonly procs: ProcTable;
  readonly mounts: MountTable;
  private readonly shared: Map<string, Kind>;
  private readonly vms: Map<string, Kind>;
  private readonly bySid = new Map<string, Mount[]>();

  constructor(
    readonly roots: Roots,
    o: { procs?: ProcTable; mounts?: MountTable } = {},
  ) {
    this.procs = o.procs ?? new ProcTable();
    this.mounts = o.mounts ?? new MountTable();
    this.shared = kinds(roots.shared);
    this.vms = kinds(roots.vm);
    // A mount belongs to the sandbox whose directory it lies in, in any root.
    const bases = [roots.shared, roots.run, roots.config, roots.vm, roots.kata].map((r) => `${realDir(r)}/`);
    for (const m of this.mounts.mounts ?? [])
      for (const base of bases) {
        if (!m.mountPoint.startsWith(base)) continue;
        // A mount below an unfinished removal belongs to the sandbox whose tree is in the trash dir.
        const [first = '', second = ''] = m.mountPoint.slice(base.length).split('/', 2);
        const sid = TRASH_DIR_RE.test(first) ? second : (OLD_TRASH_RE.exec(first)?.[1] ?? first);
        if (!isValidId(sid)) continue;
        const list = this.bySid.get(sid);
        if (list) list.push(m);
        else this.bySid.set(sid, [m]);
        break;
      }
  }

  /** The /proc and mountinfo reads behind this picture, for a worker thread to share. */
  snapshot(): HostSnapshot {
    return { procs: this.procs.snapshot(), mounts: this.mounts.mounts };
  }

  /** A picture from another thread's reads: the same processes and mounts, not read again. */
  static from(roots: Roots, snap: HostSnapshot): HostIndex {
    return new HostIndex(roots, { procs: new ProcTable(snap.procs), mounts: new MountTable(undefined, snap.mounts) });
  }

  private cgroupIndex: CgroupIndex | undefined;

  /** The cgroup hierarchies under the cgroup root, from the same mount table (made on first use: only check asks). */
  get cgroups(): CgroupIndex {
    this.cgroupIndex ??= new CgroupIndex(this.roots.cgroup, this.mounts.mounts);
    return this.cgroupIndex;
  }

  /** Sandbox IDs with a VM dir (a real directory), from the one listing of the VM root. */
  vmIds(): string[] {
    return [...this.vms].filter(([id, k]) => k === 'dir' && isValidId(id)).map(([id]) => id);
  }

  sharedPath(sid: string): string {
    return join(this.roots.shared, sid);
  }

  /** One sandbox's picture; `deep` also sizes the shared dir (show). */
  of(sid: string, deep = false): HostPicture {
    const shared = this.shared.get(sid) === 'dir' ? { path: this.sharedPath(sid), ...(deep ? sizeOf(this.sharedPath(sid), this.mounts.points()) : {}) } : null;
    const k = this.shared.get(sid);
    return {
      shared,
      sharedOdd: k === 'symlink' || k === 'other' ? { path: this.sharedPath(sid), kind: k } : null,
      mounts: this.bySid.get(sid) ?? [],
      processes: this.procs.naming(sid),
      vm: this.vms.get(sid) === 'dir' ? join(this.roots.vm, sid) : null,
    };
  }

  /**
   * IDs with something on the host (a shared dir, mounts, a runtime process
   * naming them) but not in `known`: the leftovers of sandboxes whose store
   * is gone. VM dirs are check's orphan-vm-dir already.
   */
  strays(known: Set<string>): string[] {
    const ids = new Set<string>();
    for (const [id, k] of this.shared) if (k !== undefined && isValidId(id)) ids.add(id);
    for (const id of this.bySid.keys()) ids.add(id);
    // Firecracker carries a known sandbox's ID cut short (`/run/vc/firecracker/<id[:32]>/root`, `--id <id[:32]>`): that is the sandbox's.
    const cut = new Set([...known].filter((k) => k.length > FC_ID_CUT).map((k) => k.slice(0, FC_ID_CUT)));
    for (const [id, procs] of this.procs.runtimeIds(this.roots, this.roots.prefix === ''))
      if (isValidId(id) && !(cut.has(id) && procs.every((p) => processOf(p.by)?.cut === FC_ID_CUT))) ids.add(id);
    return [...ids].filter((id) => !known.has(id)).sort();
  }
}

/** Size and entry count of a tree, never crossing into another mount. */
function sizeOf(top: string, points: Set<string>): { size: number; entries: number } {
  let size = 0;
  let entries = 0;
  let dev: number | undefined;
  const stack = [realDir(top)];
  for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      const p = join(dir, n);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      entries++;
      dev ??= lstatSync(top).dev;
      if (st.isDirectory()) {
        if (!points.has(p) && st.dev === dev) stack.push(p);
      } else size += st.size;
    }
  }
  return { size, entries };
}
