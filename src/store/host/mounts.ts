// The mount witness: /proc/self/mountinfo, read once before removing
// anything, so that no removal ever deletes what another mount holds. In a
// mount namespace of its own (a container, unshare -m), vcstore cannot see
// what the host mounts after the split, and removing a directory the host
// mounted on detaches that mount: then the init process's table is read as
// well, and when it cannot be, nothing may be removed.
import { closeSync, constants as C, openSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface Mount {
  mountPoint: string;
  source: string;
  fstype: string;
}

/** Octal escapes mountinfo uses for space, tab, newline and backslash. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (f.length < 10 || dash < 6) continue;
    out.push({ mountPoint: unescape(f[4] ?? ''), fstype: unescape(f[dash + 1] ?? ''), source: unescape(f[dash + 2] ?? '') });
  }
  return out;
}

const readOr = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * The host's mounts when vcstore may run in another mount namespace than the
 * init process: its mountinfo, when it differs from `own` (undefined in the
 * same namespace); null when that cannot be told. /proc/1/ns/mnt is closed
 * when init is not dumpable, even to root: then init's table decides.
 */
function initMounts(own: string): Mount[] | null | undefined {
  try {
    if (readlinkSync('/proc/self/ns/mnt') === readlinkSync('/proc/1/ns/mnt')) return undefined;
  } catch {
    /* cannot compare: compare the tables */
  }
  const t = readOr('/proc/1/mountinfo');
  if (t === undefined) return process.geteuid?.() === 0 ? null : undefined; // without root, only this namespace can count
  // Two reads of one table differ while mounts come and go (a busy node): a
  // mount's id is per namespace, so the same root mount id is the same namespace.
  const root = rootMountId(t);
  return t === own || (root !== undefined && root === rootMountId(own)) ? undefined : parseMountinfo(t);
}

/** The id of the mount at / (the first field of its mountinfo line). */
function rootMountId(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[4] === '/') return f[0];
  }
  return undefined;
}

export class MountTable {
  /** Null when mountinfo cannot be read (or the host's, from another mount namespace): then nothing may be removed. */
  readonly mounts: Mount[] | null;
  /** Why `mounts` is null. */
  readonly blind: string | undefined;
  /** `text`: mountinfo's text; `parsed`: mounts another table read (a worker thread's copy). */
  constructor(text?: string, parsed?: Mount[] | null) {
    if (parsed !== undefined) {
      this.mounts = parsed;
      this.blind = parsed === null ? '/proc/self/mountinfo cannot be read' : undefined;
      return;
    }
    if (text !== undefined) {
      this.mounts = parseMountinfo(text);
      this.blind = undefined;
      return;
    }
    const own = readOr('/proc/self/mountinfo');
    const host = own === undefined ? undefined : initMounts(own);
    this.mounts = own === undefined || host === null ? null : [...parseMountinfo(own), ...(host ?? [])];
    this.blind =
      own === undefined
        ? '/proc/self/mountinfo cannot be read'
        : host === null
          ? "vcstore runs in a mount namespace of its own and cannot read the host's mounts (/proc/1/mountinfo)"
          : undefined;
  }

  /** Mounts at or below `path` (compared by real path: a prefix may sit behind a symlink). */
  under(path: string): Mount[] {
    if (!this.mounts) return [];
    const real = realish(path);
    return this.mounts.filter((m) => m.mountPoint === real || m.mountPoint.startsWith(`${real}/`));
  }

  /** Every component of every mount point, made on first use of `below`. */
  private components: Set<string> | undefined;
  /** The mounts sorted by mount point (indexes into `mounts`), made on first use of `below`. */
  private sorted: { point: string; i: number }[] | undefined;

  /**
   * What `under` gives (mounts at or below `path`, real path compared, in
   * mountinfo order), found by binary search in the mount points sorted
   * once: a bulk removal asks for every root of every sandbox, and a node
   * has hundreds of mounts.
   */
  below(path: string): Mount[] {
    const all = this.mounts;
    if (!all) return [];
    // A mount at or below a path has the path's own name as one of its components (realish keeps it): when
    // no mount point has it, there is none, and no real path need be asked for (a sandbox ID, mostly).
    const parts = (this.components ??= new Set(all.flatMap((m) => m.mountPoint.split('/'))));
    if (!parts.has(basename(path))) return [];
    const sorted = (this.sorted ??= all
      .map((m, i) => ({ point: m.mountPoint, i }))
      .sort((a, b) => (a.point < b.point ? -1 : a.point > b.point ? 1 : a.i - b.i)));
    const real = realish(path);
    const first = (key: string) => {
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((sorted[mid]?.point ?? '') < key) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const hits: Mount[] = [];
    const take = (from: number, holds: (point: string) => boolean) => {
      for (let e = sorted[from]; e !== undefined && holds(e.point); e = sorted[++from]) hits[e.i] = all[e.i] as Mount;
    };
    take(first(real), (point) => point === real);
    const dir = `${real}/`;
    take(first(dir), (point) => point.startsWith(dir));
    // In mountinfo order, as under gives them (stacked mounts: the order they were made in).
    return hits.filter((m) => m !== undefined);
  }

  /** Mount points as a set, for the removal walk. */
  points(): Set<string> {
    return new Set((this.mounts ?? []).map((m) => m.mountPoint));
  }

  private bundleIndex: Map<string, BundleMount[]> | undefined;

  /**
   * containerd's bundle rootfs mounts of `id` (a sandbox or a container):
   * `<state>/io.containerd.runtime.v2.task/<namespace>/<id>/rootfs`, wherever
   * containerd's state dir is, under --prefix too: a sandbox ID is 64 random
   * hex digits, so a bundle of the same ID is that sandbox's (the DaemonSet's
   * /host prefix sees the host's mounts at their own paths), and the error
   * is on the side of keeping a store.
   */
  bundles(id: string): BundleMount[] {
    if (!this.bundleIndex) {
      this.bundleIndex = new Map();
      for (const m of this.mounts ?? []) {
        const b = BUNDLE_ROOTFS.exec(m.mountPoint);
        if (!b) continue;
        const [, namespace = '', owner = ''] = b;
        const list = this.bundleIndex.get(owner);
        const entry = { id: owner, namespace, path: m.mountPoint };
        // One mount point once: stacked mounts, and the host's table read beside this namespace's, repeat it.
        if (!list) this.bundleIndex.set(owner, [entry]);
        else if (!list.some((e) => e.path === entry.path)) list.push(entry);
      }
    }
    return this.bundleIndex.get(id) ?? [];
  }
}

/** A container's root file system containerd mounted in its bundle (the shim v2 task dir). */
export interface BundleMount {
  id: string;
  namespace: string;
  path: string;
}

/** containerd's shim v2 bundle of a container, and the rootfs it mounts there (runtime/v2/bundle.go). */
const BUNDLE_ROOTFS = /\/io\.containerd\.runtime\.v2\.task\/([^/]+)\/([^/]+)\/rootfs$/;

/** The real path of `path`'s parent joined with its own name (the path itself may be gone or a link). */
export function realish(path: string): string {
  try {
    return join(realpathSync.native(dirname(path)), basename(path));
  } catch {
    return path;
  }
}

/**
 * The id of the mount a directory is on, from the kernel (/proc/self/fdinfo
 * of an O_NOFOLLOW descriptor): null when that cannot be read. A bind mount
 * of the same file system has another id, though the same device.
 */
export function mountIdAt(path: string): number | null {
  let fd: number;
  try {
    fd = openSync(path, C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const m = /^mnt_id:\s*(\d+)$/m.exec(readOr(`/proc/self/fdinfo/${fd}`) ?? '');
    return m ? Number(m[1]) : null;
  } finally {
    closeSync(fd);
  }
}
