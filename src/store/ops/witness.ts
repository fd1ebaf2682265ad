// Everything a destructive step must know before the first byte changes:
// the lock it must hold, the hypervisor and container liveness
// (three-valued), the processes that name the sandbox, and the mounts below
// what would be removed. All of them are read after the lock is held; what
// was seen before only chooses what to try. For all of them, "cannot tell"
// means "no"; --force overrides the lock file, liveness and processes, never
// mounts.
import { join } from 'node:path';
import { lstatOrUndef } from '../fs/read.js';
import { cmdlineMark, probePid, provablyDead, readPidFile } from '../host/liveness.js';
import { fromErrno, RefusedError } from '../fs/errors.js';
import { unlinkSync } from 'node:fs';
import { netnsNow, type NetnsFile } from '../host/netns.js';
import { unmountAll } from '../host/unmount.js';
import type { NetnsRecord } from '../layouts/types.js';
import type { SandboxHandle } from '../inspect/handle.js';
import type { SandboxInfo } from '../inspect/inspect.js';
import { MountTable } from '../host/mounts.js';
import { CgroupBusyError, cgroupHeld, CgroupIndex, removeCgroup, type CgroupDir } from '../host/cgroups.js';
import { ProcTable, procText, splitByRole } from '../host/procs.js';

/** The process and mount witnesses, read together: after the lock is held, right before a change. */
export interface Witnesses {
  procs: ProcTable;
  mounts: MountTable;
  /** When they were read (performance.now()). */
  at: number;
  /** The cgroup hierarchies from the same mount table, walked once (made on first use). */
  cgroups?: CgroupIndex;
}

/** One read of /proc and of mountinfo. */
export function readWitnesses(): Witnesses {
  const at = performance.now();
  return { procs: new ProcTable(), mounts: new MountTable(), at };
}

/** How old the witnesses of bulk work (many removals, a fix) may be when a sandbox is acted on. */
const FRESH_MS = 100;

/**
 * `w` while younger than FRESH_MS and read at or after `after` (the moment a
 * lock was taken: what decides under a lock is read after it), else a fresh
 * read. Bulk work reads them per batch, not per root or per sandbox.
 */
export function freshWitnesses(w: Witnesses | undefined, after = 0): Witnesses {
  return w && w.at >= after && performance.now() - w.at <= FRESH_MS ? w : readWitnesses();
}

/**
 * The lock a change to `h` must hold, one rule for every destructive
 * command: where the sandbox has a run-time root, the runtime's lock target
 * (1.x: the regular file `lock` in it; persist: the directory itself) must be
 * there, or the runtime could not be kept out and the change is refused
 * (exit 5; --force goes ahead without it). With no run-time root there is
 * nothing the runtime can hold (null): after a reboot, a config-only leftover,
 * a runtime-rs sandbox, whose runtime takes no lock.
 */
export function changeLock(h: SandboxHandle, what: string, force = false): string | null {
  if (h.scan.hint.runtime !== 'dir' || h.layout.name === 'runtime-rs') return null;
  const target = h.lock;
  const st = target === null ? undefined : lstatOrUndef(target);
  const right = target !== null && st !== undefined && (target === h.paths.runtime ? st.isDirectory() : st.isFile());
  if (right) return target;
  if (force) return null;
  const why = st === undefined ? 'is missing' : st.isSymbolicLink() ? 'is a symbolic link' : 'is not a regular file';
  throw new RefusedError(`refusing to ${what} sandbox ${h.id}: its lock ${target ?? h.paths.lock} ${why}, so the runtime could not be kept out; use --force`);
}

/**
 * A VM dir with no store beside it: its hypervisor is what its `pid` file
 * names (qemu writes one). Refuse (exit 5) unless that is provably dead: a
 * garbage pid file, or a pid that is alive or cannot be told, refuses.
 */
export function refuseIfVmLive(dir: string, sid: string, what: string): void {
  const src = readPidFile(join(dir, 'pid'));
  if (src?.bad) throw new RefusedError(`refusing to ${what} VM dir ${dir}: cannot tell whether its hypervisor is alive (${src.bad}); use --force`);
  if (!src?.pid) return;
  const live = probePid(src.pid, cmdlineMark('qemu', sid));
  if (!provablyDead(live))
    throw new RefusedError(
      `refusing to ${what} VM dir ${dir}: ${live.alive ? `its hypervisor pid ${live.pid} is alive` : `cannot tell whether its hypervisor is alive (${live.unknown})`}; use --force`,
    );
}

/** Refuse (exit 5) when the hypervisor or a container process is alive, or whether it is cannot be told. */
export function refuseIfLive(info: SandboxInfo, what: string, cid?: string): void {
  const hv = info.hypervisor;
  const whom = cid ? `container ${cid} of sandbox ${info.id}` : `sandbox ${info.id}`;
  if (cid === undefined) {
    if (hv.alive === true)
      throw new RefusedError(`refusing to ${what} ${whom}: its hypervisor (${hv.type ?? '?'}, pid ${hv.pid}) is alive; stop it first or use --force`);
    if (hv.alive === null && hv.unknown)
      throw new RefusedError(`refusing to ${what} ${whom}: cannot tell whether its hypervisor is alive (${hv.unknown}); use --force if you know it is stopped`);
  }
  const vfs = info.virtiofsd;
  if (cid === undefined && vfs)
    throw new RefusedError(
      `refusing to ${what} ${whom}: ${vfs.alive ? `its virtiofs daemon pid ${vfs.pid} is alive` : `cannot tell whether its virtiofs daemon pid ${vfs.pid} is alive (${vfs.unknown})`}; use --force`,
    );
  for (const c of info.containers) {
    if (cid !== undefined && c.id !== cid) continue;
    if (c.alive === true) throw new RefusedError(`refusing to ${what} ${whom}: container ${c.id} process pid ${c.pid} is alive; use --force`);
    if (c.alive === null && c.unknown)
      throw new RefusedError(`refusing to ${what} ${whom}: cannot tell whether container ${c.id} process is alive (${c.unknown}); use --force`);
  }
}

/**
 * Processes naming `id`: a runtime process (hypervisor, virtiofsd, proxy,
 * shim) refuses; any other process refuses when `others` is 'refuse' (check
 * --fix), else comes back as a warning (rm, set).
 */
export function refuseIfNamed(procs: ProcTable, id: string, whom: string, what: string, others: 'refuse' | 'warn'): string[] {
  const blind = procs.blind;
  if (blind) throw new RefusedError(`refusing to ${what} ${whom}: cannot tell which processes use it (${blind}); use --force`);
  const blank = procs.blank[0];
  if (blank)
    throw new RefusedError(
      `refusing to ${what} ${whom}: cannot tell whether runtime process pid ${blank.pid} (${blank.role}, ${blank.command}) serves it; use --force`,
    );
  const { runtime, other } = splitByRole(procs.naming(id));
  if (runtime.length)
    throw new RefusedError(
      `refusing to ${what} ${whom}: runtime process ${runtime.map(procText).slice(0, 1).join('')} names it${runtime.length > 1 ? ` (+${runtime.length - 1} more)` : ''}; use --force`,
    );
  if (!other.length) return [];
  const text = other.map(procText).join(', ');
  if (others === 'refuse') throw new RefusedError(`leaving ${whom}: process ${text} names it`);
  return [`process ${text} names ${whom}; going ahead`];
}

/** Refuse when a mount lies at or below any path to remove, or mounts cannot be read. */
/**
 * containerd's bundle rootfs of the sandbox or one of its containers, still
 * mounted: containerd's own teardown (or, once containerd no longer has the
 * container, an umount) goes first, and the store stays the record of what
 * it was until then. --force goes ahead; vcstore never unmounts it.
 */
export function refuseIfBundleMounted(mounts: MountTable, ids: string[], whom: string): void {
  const held = ids.flatMap((id) => mounts.bundles(id));
  const first = held[0];
  if (!first) return;
  throw new RefusedError(
    `refusing to remove ${whom}: containerd's bundle of it is still mounted (${first.path}${held.length > 1 ? `, and ${held.length - 1} more` : ''}); containerd's teardown goes first (ctr -n ${first.namespace} tasks delete -f ${first.id}; ctr -n ${first.namespace} containers delete ${first.id}), or umount it once containerd no longer has it; --force goes ahead`,
  );
}

export function refuseIfMounted(mounts: MountTable, paths: string[], whom: string): void {
  if (mounts.mounts === null)
    throw new RefusedError(
      `refusing to remove ${whom}: ${mounts.blind ?? 'mounts cannot be read'}, so mounts below it cannot be ruled out; nothing was changed`,
    );
  const under = paths.flatMap((p) => mounts.below(p));
  if (!under.length) return;
  const shown = under
    .slice(0, 5)
    .map((m) => m.mountPoint)
    .join(', ');
  throw new RefusedError(
    `refusing to remove ${whom}: ${under.length} mount${under.length > 1 ? 's' : ''} below it (${shown}${under.length > 5 ? ', …' : ''}); unmount them first or use rm --unmount; nothing was changed`,
  );
}

/**
 * The cgroups a removal of `sid` takes with it: those its store records and
 * Kata's own names for it, read from the witnesses' mount table after the
 * lock is held. Refused (exit 5) before anything changes when one holds a
 * process, has a child cgroup or a mount, or cannot be read, when a
 * recorded path escapes its hierarchy or names no sandbox of this ID, and
 * when the record itself cannot be read (`recorded` null): a sandbox whose
 * cgroups cannot be told is not known to be gone. With --force those are
 * left, with a warning, and the empty leaves still go.
 */
export function cgroupsToRemove(
  cgroupRoot: string,
  w: Witnesses,
  sid: string,
  recorded: readonly string[] | null,
  whom: string,
  force: boolean,
  cids: readonly string[] = [],
): { dirs: string[]; warnings: string[]; index: CgroupIndex } {
  const index = (w.cgroups ??= new CgroupIndex(cgroupRoot, w.mounts.mounts));
  const { dirs: found, escaping } = index.of(sid, recorded ?? [], cids);
  const text = (d: CgroupDir) =>
    `cgroup ${d.path} ${d.procs === null ? 'cannot be read' : d.procs ? `holds ${d.procs} process${d.procs === 1 ? '' : 'es'}` : d.mounted ? 'has a mount at or below it' : `has ${d.children} child cgroup${d.children === 1 ? '' : 's'}`}`;
  const why = [
    ...(recorded === null && index.hierarchies.length ? ['its cgroup record cannot be read, so its cgroups cannot be told'] : []),
    ...escaping.map((r) => `its recorded cgroup path ${JSON.stringify(r)} escapes its hierarchy or names no sandbox ${sid}`),
    ...found.filter(cgroupHeld).map(text),
  ];
  if (why[0] && !force)
    throw new RefusedError(`refusing to remove ${whom}: ${why[0]}${why.length > 1 ? ` (+${why.length - 1} more)` : ''}; use --force to leave it`);
  return { dirs: found.filter((d) => !cgroupHeld(d)).map((d) => d.path), warnings: why.map((t) => `${t}: left in place`), index };
}

/** rmdir each leaf cgroup, each read again right before; one that refuses stops there (exit 5), and the store stays. */
export function removeCgroups(dirs: readonly string[], index: CgroupIndex, whom: string): void {
  for (const d of dirs)
    try {
      removeCgroup(d, (p) => index.mountedAt(p));
    } catch (e) {
      if (e instanceof CgroupBusyError) throw new RefusedError(`refusing to remove ${whom}: ${e.message}; its store was kept`);
      throw e;
    }
}

/**
 * The network namespace a removal of `sid` takes with it: the one its store
 * records as made by the runtime (NetNsCreated / NetworkCreated), when it
 * is still there under the roots, read from the witnesses' mount table after
 * the lock is held. Refused (exit 5) while a process uses it or that cannot
 * be told; with --force it is left, with a warning. A record that cannot be
 * read is a warning: what it may name is left.
 */
export function netnsToRemove(
  prefix: string,
  w: Witnesses,
  record: NetnsRecord | null | undefined,
  whom: string,
  force: boolean,
): { file: NetnsFile | null; warnings: string[] } {
  if (record === null) return { file: null, warnings: [`its network namespace record cannot be read: a namespace the runtime made may be left`] };
  if (!record?.created) return { file: null, warnings: [] };
  const file = netnsNow(prefix, record.path, w.mounts.mounts);
  if (!file) return { file: null, warnings: [] };
  const why =
    file.users === null
      ? `cannot tell whether a process uses its network namespace ${file.path}`
      : file.users.length
        ? `its network namespace ${file.path} is in use by pid ${file.users.slice(0, 3).join(', ')}`
        : null;
  if (why === null) return { file, warnings: [] };
  if (!force) throw new RefusedError(`refusing to remove ${whom}: ${why}; use --force to leave it`);
  return { file: null, warnings: [`${why}: left in place`] };
}

/** Detach the nsfs mount on the namespace file (lazily, as the runtime does) and remove the file. */
export async function removeNetns(file: NetnsFile, signal?: AbortSignal): Promise<void> {
  if (file.mounted) await unmountAll([file.path], signal);
  try {
    unlinkSync(file.path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fromErrno(e, file.path, 'remove');
  }
}
