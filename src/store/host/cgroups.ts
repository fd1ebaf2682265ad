// The cgroups a sandbox leaves on the host (kata-containers#6232, #6422,
// #11815). Where the runtimes put them (sources cited in README "Cgroups"):
// the Go runtime records `SandboxCgroupPath` (`/kubepods/…/kata_<sid>`, or a
// systemd `slice:prefix:name`, which with sandbox_cgroup_only=false becomes a
// literal directory of that name at each hierarchy's root) and
// `OverheadCgroupPath` (`/kata_overhead/<sid>`); Kata 1.x records
// `cgroupPath`; runtime-rs `resource.cgroup_state.{path,overhead_path}`.
//
// A cgroup is a sandbox's only when its store names it, or its name is
// Kata's own (`kata_overhead/<sid>`, `kata_sandboxed_pod/<sid>`,
// `kata_<sid>`): `…:cri-containerd:<id>` is also runc's, and kubelet makes
// pod cgroups before their containers. Systemd scopes are systemd's: it
// removes them when their unit stops, so vcstore never rmdirs one.
//
// A recorded path is followed only when its last component names the
// sandbox (`kata_<sid>`, `<sid>`, `…:<sid>`): a record that names another
// sandbox's cgroup, a shared parent (`/kata_vc`, `kata_overhead`) or escapes
// its hierarchy is reported and never followed. Only a leaf is ever removed:
// a directory on a cgroup file system (statfs, right before the rmdir) with
// no child cgroup, no mount at or below it, and cgroup.procs read empty; the
// kernel refuses rmdir of a cgroup that holds a task or a child, so a process
// that joins meanwhile keeps it.
import { readdirSync, readFileSync, rmdirSync, statfsSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { isValidId } from '../fs/ids.js';
import type { Mount } from './mounts.js';
import { realish } from './mounts.js';

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;

export interface Hierarchy {
  /** The mount point relative to the cgroup root: `memory`, `cpu,cpuacct`, `unified`, or `` for a pure v2 host. */
  name: string;
  dir: string;
  version: 1 | 2;
}

export interface CgroupDir {
  hierarchy: string;
  /** The cgroup's path inside its hierarchy, as the runtime names it (leading `/`). */
  cgroup: string;
  path: string;
  /** Processes in it and below it; null when a cgroup.procs cannot be read. */
  procs: number | null;
  /** Child cgroups below it: never removed by vcstore (a sandbox's cgroup is a leaf). */
  children: number;
  /** Mounts at or below it (a bind mount over a cgroup): never entered. */
  mounted: boolean;
}

/** A cgroup vcstore must leave: a process in it, a child cgroup, a mount, or what cannot be read. */
export const cgroupHeld = (d: CgroupDir): boolean => d.procs !== 0 || d.children > 0 || d.mounted;

/** Does a cgroup path's last component name this sandbox (`<sid>`, `kata_<sid>`, `…:<sid>`, `<prefix>-<sid>.scope`)? */
export function namesSandbox(rel: string, sid: string): boolean {
  const last = rel.slice(rel.lastIndexOf('/') + 1);
  return last === sid || last === `kata_${sid}` || last.endsWith(`:${sid}`);
}

/** Directories Kata names itself, one per sandbox ID below them. */
const OWN_PARENTS = ['kata_overhead', 'kata_sandboxed_pod'];
/** Kata's own names that are no sandbox's: the default cgroup of a spec without one (`/kata_vc`). */
const NOT_AN_ID = new Set(['overhead', 'sandboxed_pod', 'vc']);
/** How deep below a hierarchy's root a 1.x `kata_<id>` is looked for (`kubepods/<qos>/pod<uid>/kata_<id>`). */
const WALK_DEPTH = 4;

/** A systemd cgroups path as the runtimes tell it: `slice:prefix:name`, the slice ending in `.slice`. */
export const isSystemdPath = (p: string): boolean => {
  const parts = p.replace(/^\//, '').split(':');
  return parts.length === 3 && (parts[0] ?? '').endsWith('.slice');
};

/**
 * A recorded cgroup path inside a hierarchy: relative segments, or null for
 * what cannot be one of the sandbox's (`..`, `.`, a systemd scope's
 * expansion, which is systemd's).
 */
export function cgroupRel(recorded: string): { rel: string } | { escaping: string } | null {
  if (!recorded) return null;
  // With sandbox_cgroup_only=false the Go runtime makes the systemd form a literal directory.
  if (isSystemdPath(recorded)) return recorded.includes('/', 1) ? { escaping: recorded } : { rel: recorded.replace(/^\//, '') };
  const segs = recorded.split('/').filter((s) => s !== '');
  if (!segs.length || segs.some((s) => s === '..' || s === '.')) return { escaping: recorded };
  return { rel: segs.join('/') };
}

export class CgroupIndex {
  readonly hierarchies: Hierarchy[];
  private readonly points: string[];

  /** `root`: where the cgroup file systems are mounted (`<prefix>/sys/fs/cgroup`); `mounts` the mount table. */
  constructor(root: string, mounts: readonly Mount[] | null) {
    this.points = (mounts ?? []).map((m) => m.mountPoint);
    const base = realish(root);
    const seen = new Set<string>();
    this.hierarchies = [];
    for (const m of mounts ?? []) {
      if (m.fstype !== 'cgroup' && m.fstype !== 'cgroup2') continue;
      if (m.mountPoint !== base && !m.mountPoint.startsWith(`${base}/`)) continue;
      if (seen.has(m.mountPoint)) continue;
      seen.add(m.mountPoint);
      this.hierarchies.push({ name: m.mountPoint.slice(base.length + 1), dir: m.mountPoint, version: m.fstype === 'cgroup2' ? 2 : 1 });
    }
  }

  /** Kata's own cgroup paths for a sandbox ID, beside what its store records. */
  static ownPaths(sid: string): string[] {
    return OWN_PARENTS.map((p) => `${p}/${sid}`);
  }

  /**
   * The cgroups of a sandbox that exist: what its store records and Kata's
   * own names for it, in every hierarchy. A recorded path that escapes its
   * hierarchy, or whose last component does not name the sandbox, is
   * returned in `escaping` and never looked at.
   */
  of(sid: string, recorded: readonly string[], cids: readonly string[] = []): { dirs: CgroupDir[]; escaping: string[] } {
    // No cgroup file system here (a copied store, a container without it): nothing to find or follow.
    if (!this.hierarchies.length) return { dirs: [], escaping: [] };
    const rels = new Set<string>(isValidId(sid) ? CgroupIndex.ownPaths(sid) : []);
    const escaping: string[] = [];
    for (const r of recorded) {
      const c = cgroupRel(r);
      if (c && 'rel' in c && namesSandbox(c.rel, sid)) rels.add(c.rel);
      else if (c) escaping.push('rel' in c ? r : c.escaping);
    }
    const dirs: CgroupDir[] = [];
    const seen = new Set<string>();
    const take = (h: Hierarchy, rel: string) => {
      const path = join(h.dir, rel);
      if (seen.has(path)) return;
      seen.add(path);
      if (isCgroupDir(path)) dirs.push(this.dir(h, rel));
    };
    for (const h of this.hierarchies) for (const rel of rels) take(h, rel);
    // Kata's own kata_<sid> (and a 1.x container's kata_<cid>) wherever the walk finds it: the runtime
    // records it in a container's state (`/default/kata_<sid>` under containerd), not always the sandbox's.
    for (const id of [sid, ...cids]) for (const x of this.kataNamed().get(id) ?? []) take(x.h, x.rel);
    return { dirs, escaping };
  }

  private named?: Map<string, { h: Hierarchy; rel: string }[]>;

  /**
   * Every cgroup with Kata's own name, by ID, from one walk of each
   * hierarchy (made on first use, then kept for this index):
   * `kata_overhead/<id>`, `kata_sandboxed_pod/<id>` and `kata_<id>` up to
   * WALK_DEPTH below the root.
   */
  private kataNamed(): Map<string, { h: Hierarchy; rel: string }[]> {
    if (this.named) return this.named;
    const out = new Map<string, { h: Hierarchy; rel: string }[]>();
    const add = (h: Hierarchy, id: string, rel: string) => {
      if (!isValidId(id)) return;
      const list = out.get(id) ?? [];
      list.push({ h, rel });
      out.set(id, list);
    };
    for (const h of this.hierarchies) {
      const walk = (rel: string, depth: number) => {
        for (const e of subdirs(rel ? join(h.dir, rel) : h.dir)) {
          const child = rel ? `${rel}/${e}` : e;
          if (depth === 0 && OWN_PARENTS.includes(e)) {
            for (const id of subdirs(join(h.dir, e))) add(h, id, `${e}/${id}`);
            continue;
          }
          if (e.startsWith('kata_') && !NOT_AN_ID.has(e.slice(5))) add(h, e.slice(5), child);
          else if (depth + 1 < WALK_DEPTH) walk(child, depth + 1);
        }
      };
      walk('', 0);
    }
    return (this.named = out);
  }

  private dir(h: Hierarchy, rel: string): CgroupDir {
    const path = join(h.dir, rel);
    return { hierarchy: h.name, cgroup: `/${rel}`, path, procs: procsIn(path), children: subdirs(path).length, mounted: this.mountedAt(path) };
  }

  /** A mount at or below `path`. */
  mountedAt(path: string): boolean {
    return this.points.some((m) => m === path || m.startsWith(`${path}/`));
  }

  /**
   * Cgroups with Kata's own names whose ID `known` does not know, by ID:
   * `kata_overhead/<id>`, `kata_sandboxed_pod/<id>` and `kata_<id>` up to
   * WALK_DEPTH below each hierarchy's root. (No age: a cgroup file
   * system's times are those of the inode's first lookup, not of its
   * creation; a sandbox being made is told by its shim, which names it.)
   */
  orphans(known: (id: string) => boolean): Map<string, CgroupDir[]> {
    const out = new Map<string, CgroupDir[]>();
    for (const [id, list] of this.kataNamed())
      if (!known(id))
        out.set(
          id,
          list.map((x) => this.dir(x.h, x.rel)),
        );
    return out;
  }
}

/** Names of the sub-directories (child cgroups) of a cgroup directory; none when it cannot be read. */
function subdirs(dir: string): string[] {
  let list: Dirent[];
  try {
    list = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return list.filter((e) => e.isDirectory()).map((e) => e.name);
}

/** A directory on a cgroup file system (v1 or v2). */
export function isCgroupDir(path: string): boolean {
  try {
    const t = statfsSync(path).type;
    return (t === CGROUP_SUPER_MAGIC || t === CGROUP2_SUPER_MAGIC) && statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Processes in one cgroup (its own cgroup.procs); null when that cannot be read. */
function ownProcs(dir: string): number | null {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return null;
  }
}

/** Processes in a cgroup and every cgroup below it; null when any cgroup.procs cannot be read. */
export function procsIn(dir: string): number | null {
  let n = ownProcs(dir);
  if (n === null) return null;
  for (const e of subdirs(dir)) {
    const below = procsIn(join(dir, e));
    if (below === null) return null;
    n += below;
  }
  return n;
}

export class CgroupBusyError extends Error {}

/**
 * rmdir one leaf cgroup, read again right before: on a cgroup file system,
 * no child cgroup, no mount at or below it (`mounted`), cgroup.procs empty.
 * Throws CgroupBusyError when any of that fails; a cgroup already gone is
 * fine. The kernel's own rule (no task, no child) holds it past the read.
 */
export function removeCgroup(dir: string, mounted: (p: string) => boolean): boolean {
  if (!isCgroupDir(dir)) {
    if (statfsOrNull(dir) === null) return false; // gone meanwhile
    throw new CgroupBusyError(`${dir} is not a cgroup directory`);
  }
  if (mounted(dir)) throw new CgroupBusyError(`a mount lies at or below ${dir}`);
  const children = subdirs(dir).length;
  if (children) throw new CgroupBusyError(`${dir} has ${children} child cgroup${children === 1 ? '' : 's'}`);
  const n = ownProcs(dir);
  if (n === null) throw new CgroupBusyError(`${dir}/cgroup.procs cannot be read`);
  if (n > 0) throw new CgroupBusyError(`${dir} holds ${n} process${n === 1 ? '' : 'es'}`);
  try {
    rmdirSync(dir);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    // EBUSY: a task or a child cgroup arrived after the read; the kernel kept it.
    throw new CgroupBusyError(`${dir}: ${code === 'EBUSY' ? 'a process or cgroup joined it meanwhile' : (e as Error).message}`);
  }
}

function statfsOrNull(p: string): number | null {
  try {
    return statfsSync(p).type;
  } catch {
    return null;
  }
}
