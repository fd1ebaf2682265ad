// A whole sandbox, inspected: its layout's findings, liveness, containers,
// lock state, unfinished removals and every problem as a typed record. A
// listing inspects one sandbox at a time and holds none of them.
import { NotFoundError, VcError } from '../fs/errors.js';
import { dirProblems } from '../layouts/common.js';
import { layoutOf, type ContainerInfo, type LayoutName } from '../layouts/index.js';
import type { HostIndex, HostPicture } from '../host/picture.js';
import { cgroupHeld, type CgroupDir } from '../host/cgroups.js';
import { byProcesses, processAgeSecs, provablyDead } from '../host/liveness.js';
import { lazyProcs, type ProcTable } from '../host/procs.js';
import { LockIndex, type LockReport } from '../host/locks.js';
import { problem, type Problem } from '../read/problems.js';
import { Reader } from '../read/reader.js';
import { lstatOrUndef } from '../fs/read.js';
import type { Pod } from '../layouts/pod.js';
import type { Roots } from '../fs/roots.js';
import { isContainerName, rootListing, scanSandbox, trashIn, type Scan } from '../read/scan.js';
import { yieldToSignals } from './listing.js';
import { containerMountLeaks } from './mountleaks.js';
import { netnsNow } from '../host/netns.js';
import type { NetnsRecord } from '../layouts/types.js';

export type { ContainerInfo } from '../layouts/index.js';

export interface SandboxInfo {
  id: string;
  layout: LayoutName;
  state: string | null;
  hypervisor: { type: string | null; pid: number | null; alive: boolean | null; verified: boolean; unknown?: string; running?: number };
  containers: ContainerInfo[];
  /** `path` is what the runtime flocks (file or directory), null when it takes none. */
  lock: LockReport & { path: string | null };
  paths: { config: string | null; runtime: string | null; vm: string | null; lock: string | null };
  problems: Problem[];
  /** ACRN: the VM UUID slot this sandbox holds (not in the JSON output). */
  acrnUuid?: string;
  /** Possibly ACRN with its UUID unreadable: a possible holder of any slot. */
  acrnUnknown?: boolean;
  /** What the sandbox has on the host beside its store, when asked for. */
  host?: HostPicture;
  /** Its pod, from the container manager's annotations; null when the store names none. */
  pod: Pod | null;
  /** The spec that would name its pod exists but cannot be read: it may be any pod's. */
  podUnknown?: boolean;
  /** When it was created (RFC 3339), and from what: the runtime's own record, or its store directory's time. */
  created: string | null;
  createdFrom: 'runtime' | 'directory' | null;
  /** The virtiofs daemon its store records, where it records one alive or not provably dead (a removal refuses). */
  virtiofsd?: { pid: number | null; alive: boolean | null; unknown?: string };
  /** The cgroup paths its store records (not in the JSON output); null when the record cannot be read. */
  cgroups: string[] | null;
  /** The network namespace its store records (read by check, show and removals, not by ls); null when the record cannot be read. */
  netns?: NetnsRecord | null;
}

export interface InspectOptions {
  /** One /proc/locks read shared by many sandboxes. */
  locks?: LockIndex;
  /** Read and validate every item, and judge lock holders' age (check). */
  deep?: boolean;
  /** With deep: a lock holder or waiter older than this many seconds is stuck. */
  stuckAfter?: number;
  /** The host picture (shared dir, mounts, processes, VM dir), read once for many sandboxes. */
  host?: HostIndex;
  /** No lock report (a caller that holds the lock and asks only about liveness). */
  lockless?: boolean;
  /** The process table to judge runtime-rs liveness by (a removal's witnesses, read after its lock); else the host picture's, else one read on first use. */
  procs?: () => ProcTable;
  /** A listing that shows sandboxes only: which ACRN UUID slot one may hold is not worked out (it costs a 1.x config.json's whole text). */
  noSlots?: boolean;
  /** Read the network namespace the store records (a removal; check and show read it with the host picture). */
  netns?: boolean;
}

export function inspectScanned(roots: Roots, sc: Scan, o: InspectOptions = {}): SandboxInfo {
  const problems: Problem[] = [];
  const reads = new Reader(problems);
  const layout = layoutOf(sc, roots);
  const host = o.host;
  const procs = o.procs ?? (host ? () => host.procs : lazyProcs());
  const r = layout.inspect({
    roots,
    sc,
    reads,
    problems,
    deep: o.deep === true,
    procs,
    slots: o.noSlots !== true,
    netns: o.netns === true || o.deep === true,
  });
  if (!r.exists && sc.hint.trash.length === 0) throw new NotFoundError(`sandbox ${sc.sid} not found`);
  // A running hypervisor naming the sandbox decides over a recorded pid that is gone or another program's.
  const table = r.exists && r.live.alive !== true ? procs() : undefined;
  const live =
    table && !table.blind
      ? byProcesses(
          r.live,
          r.state,
          table.naming(sc.sid).filter((p) => p.role === 'hypervisor'),
        )
      : r.live;
  if (r.active && live.alive === false)
    problems.push(
      problem('hypervisor-dead', { type: r.type, pid: live.pid, state: r.state, reason: live.reused ? 'reused' : live.pid === null ? 'unnamed' : 'gone' }),
    );
  else if (live.alive === null && live.unknown && r.exists) problems.push(problem('liveness-unknown', { pid: live.pid, state: r.state, why: live.unknown }));
  // A container's kata-shim (1.x: `-container <cid>`) that runs decides over a recorded pid that is gone.
  if (r.containers.some((c) => c.alive === false) && !procs().blind)
    for (const [i, c] of r.containers.entries()) {
      if (c.alive !== false) continue;
      const shim = procs()
        .naming(c.id)
        .find((p) => p.role === 'kata-shim');
      if (shim) r.containers[i] = { ...c, alive: true, reused: false };
    }
  for (const c of r.containers)
    if ((c.state === 'running' || c.state === 'paused') && c.alive === false)
      problems.push(problem('container-dead', { pid: c.pid, state: c.state, reason: c.reused ? 'reused' : 'gone' }, { container: c.id }));
  // A shell a runtime process names is being made (kata-runtime run, a shim starting up), not debris.
  if (r.shell && !making(procs, sc.sid))
    problems.push(problem(r.shell, { path: r.shell === 'config-shell' ? r.paths.config : [r.paths.config, r.paths.runtime].filter(Boolean) }));
  if (sc.hint.trash.length) problems.push(problem('removal-unfinished', { paths: sc.hint.trash }));
  for (const [cid, paths] of containerTrash(sc, r.paths, o.deep === true)) problems.push(problem('removal-unfinished', { paths }, { container: cid }));

  const target = r.exists ? layout.lockTarget(roots, sc) : null;
  const lock = o.lockless ? { held: false, holders: [], visible: true } : lockReport(target, o.locks);
  if (o.deep) lockProblems(lock, o.stuckAfter ?? Infinity, problems);
  const names = r.identity?.names;
  const containers = names?.size ? r.containers.map((c) => (names.has(c.id) ? { ...c, name: names.get(c.id) } : c)) : r.containers;
  const created = r.identity?.created ?? dirTime(r.paths.runtime ?? r.paths.config ?? (sc.hint.trash[0] || null));
  const info: SandboxInfo = {
    id: sc.sid,
    layout: layout.name,
    state: r.state,
    hypervisor: { type: r.type, pid: live.pid, alive: live.alive, verified: live.verified },
    containers,
    pod: r.identity?.pod ?? null,
    created,
    createdFrom: created === null ? null : r.identity?.created ? 'runtime' : 'directory',
    lock: { ...lock, path: target },
    paths: { ...r.paths, lock: target },
    problems,
    cgroups: r.cgroups === undefined ? [] : r.cgroups,
  };
  if (r.netns !== undefined) info.netns = r.netns;
  if (live.unknown) info.hypervisor.unknown = live.unknown;
  if (live.running !== undefined) info.hypervisor.running = live.running;
  if (r.virtiofsd && !provablyDead(r.virtiofsd))
    info.virtiofsd = { pid: r.virtiofsd.pid, alive: r.virtiofsd.alive, ...(r.virtiofsd.unknown ? { unknown: r.virtiofsd.unknown } : {}) };
  if (o.host) {
    const host = o.host.of(sc.sid, o.deep === true);
    info.host = host;
    if (host.sharedOdd) dirProblems(problems, host.sharedOdd.kind, host.sharedOdd.path, 'shared dir');
    // Leaked: mounts left while the hypervisor, shim and virtiofsd are all gone.
    const gone = provablyDead(live) && !host.processes.some((p) => p.role !== 'other');
    if (host.mounts.length && gone)
      problems.push(problem('mounts-leaked', { count: host.mounts.length, mountPoints: host.mounts.slice(0, 5).map((m) => m.mountPoint) }));
    // Under a sandbox that lives on: mounts no current container accounts for (reported, never fixed).
    else if (host.mounts.length && host.shared)
      problems.push(
        ...containerMountLeaks(
          host.shared.path,
          host.mounts,
          r.containers.map((c) => c.id),
        ),
      );
    // What a delete left half-way (kata-containers#11599): persist.json, shim-monitor.sock and the shared
    // dir, no container and no process. A stopped sandbox's shim is alive until its pod is deleted.
    const stopped = r.state === 'stopped' || (r.active && provablyDead(live));
    if (layout.name === 'persist' && r.exists && r.containers.length === 0 && stopped && !host.processes.some((p) => p.role !== 'other'))
      if (!problems.some((p) => p.code === 'hypervisor-dead'))
        problems.push(problem('sandbox-stale', { state: r.state, runtime: r.paths.runtime, shared: host.shared?.path ?? null }));
  }
  // A sandbox that is to go (check): what else it leaves on the host goes with it.
  const going = o.host !== undefined && o.deep === true && problems.some((p) => GOING.has(p.code) && p.container === undefined);
  // The network namespace the runtime made for it: left behind, nothing would record it.
  if (o.host && going && r.netns?.created) {
    const ns = netnsNow(roots.prefix, r.netns.path, o.host.mounts.mounts);
    if (ns) {
      const busy = ns.users === null || ns.users.length > 0;
      problems.push(
        problem(
          'netns-leaked',
          { path: ns.path, recorded: r.netns.path, mounted: ns.mounted, users: ns.users, ...(busy ? { busy: true } : {}) },
          busy ? { severity: 'error' } : {},
        ),
      );
    }
  }
  // containerd's bundle rootfs of it or a container, still mounted: containerd's to undo, and the store its only record.
  if (o.host && going) {
    const held = [...new Set([sc.sid, ...info.containers.map((c) => c.id)])].flatMap((id) => o.host?.mounts.bundles(id) ?? []);
    if (held.length) problems.push(problem('bundle-mounted', { mounts: held }));
  }
  // Its cgroups: a process in one means it is not gone.
  if (o.host && going) {
    const p = cgroupProblem(
      o.host.cgroups.of(
        sc.sid,
        info.cgroups ?? [],
        info.containers.map((c) => c.id),
      ),
      true,
      info.cgroups === null,
    );
    if (p) problems.push(p);
  }
  if (r.identity?.podUnknown) info.podUnknown = true;
  if (r.acrnUuid) info.acrnUuid = r.acrnUuid;
  if (r.acrnUnknown) info.acrnUnknown = true;
  return info;
}

/**
 * Does a runtime process name the sandbox? Then what looks like debris is
 * being made. (Where processes cannot be told, it is still reported: every
 * removal refuses there anyway.)
 */
function making(procs: () => ProcTable, sid: string): boolean {
  return procs()
    .naming(sid)
    .some((p) => p.role !== 'other');
}

/** Findings whose fix removes the whole sandbox: its cgroups are left over too. */
const GOING = new Set(['hypervisor-dead', 'sandbox-stale', 'empty-shell']);

/**
 * cgroup-leaked for the cgroups that exist of a sandbox that is gone or to
 * go: an error, never fixed, when one holds a process or cannot be told.
 */
export function cgroupProblem(c: { dirs: CgroupDir[]; escaping: string[] }, store = true, unreadable = false): Problem | null {
  if (!c.dirs.length && !c.escaping.length) return null;
  const busy = c.dirs.some(cgroupHeld) || c.escaping.length > 0 || unreadable;
  return problem(
    'cgroup-leaked',
    {
      cgroups: c.dirs.map((d) => ({
        hierarchy: d.hierarchy,
        cgroup: d.cgroup,
        path: d.path,
        procs: d.procs,
        ...(d.children ? { children: d.children } : {}),
        ...(d.mounted ? { mounted: true } : {}),
      })),
      store,
      ...(c.escaping.length ? { escaping: c.escaping } : {}),
      ...(unreadable ? { unreadable: true } : {}),
      ...(busy ? { busy: true } : {}),
    },
    busy ? { severity: 'error' } : {},
  );
}

/** A store directory's birth time, or its modification time where the file system keeps none. */
function dirTime(path: string | null): string | null {
  const st = path === null ? undefined : lstatOrUndef(path);
  if (!st) return null;
  return new Date(st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs).toISOString();
}

function lockReport(target: string | null, locks?: LockIndex): LockReport {
  const none = { held: false, holders: [], visible: true };
  if (target === null) return none;
  return (locks ?? new LockIndex()).report(target);
}

/** Lock holders and waiters that have been there too long, or are gone. */
function lockProblems(lock: LockReport, stuckAfter: number, problems: Problem[]): void {
  for (const h of lock.holders) {
    const age = processAgeSecs(h.pid);
    const who = { pid: h.pid, command: h.command, mode: h.mode };
    if (age === null) {
      if (!h.waiting) problems.push(problem('lock-holder-gone', who));
      continue;
    }
    if (age > stuckAfter)
      problems.push(
        problem(h.waiting ? 'lock-waiter-stuck' : 'lock-held-long', {
          ...who,
          age: Math.round(age),
          ...(h.waiting ? { holders: lock.holders.filter((x) => !x.waiting).map((x) => ({ pid: x.pid, command: x.command })) } : {}),
        }),
      );
  }
}

/**
 * Inspect sandboxes one at a time, in ID order, holding none of them: a
 * listing of 10,000 sandboxes streams in constant memory.
 */
export function forEachSandbox(roots: Roots, fn: (s: SandboxInfo) => void, o: InspectOptions = {}): number {
  const entries = rootListing(roots);
  const opts = { ...o, locks: o.locks ?? new LockIndex(), procs: o.procs ?? (o.host ? undefined : lazyProcs()) };
  for (const e of entries) fn(inspectScanned(roots, scanSandbox(roots, e.id, e.hint), opts));
  return entries.length;
}

/**
 * Every sandbox's pod from the least its layout must read (completion): no
 * liveness, locks or host picture, and of a 1.x config.json only its pod
 * members. A sandbox that is gone meanwhile or cannot be read names none.
 */
export function podsOf(roots: Roots): Pod[] {
  const out: Pod[] = [];
  for (const e of rootListing(roots)) {
    try {
      const sc = scanSandbox(roots, e.id, e.hint);
      const pod = layoutOf(sc, roots).pod(roots, sc, new Reader([]));
      if (pod) out.push(pod);
    } catch (err) {
      if (!(err instanceof VcError)) throw err;
    }
  }
  return out;
}

/** Hidden `.vcstore-rm-<cid>-*` dirs inside the sandbox's own directories, by container. */
function containerTrash(sc: Scan, paths: { config: string | null; runtime: string | null }, deep: boolean): Map<string, string[]> {
  const out = new Map<string, string[]>();
  // A listing looks in the run-time root it has listed anyway; check in both roots.
  if (paths.config && deep) trashIn(paths.config, sc.cfg, out);
  if (paths.runtime) trashIn(paths.runtime, sc.run, out);
  // What no container can be named (state.json, raw, lock) is no container's removal.
  for (const k of [...out.keys()]) if (!isContainerName(k)) out.delete(k);
  return out;
}

export interface AsyncListing {
  /** Aborting stops the listing between two sandboxes with the signal's reason. */
  signal?: AbortSignal;
  /** Called after each sandbox with how many are done of how many. */
  onProgress?: (done: number, total: number) => void;
  /** Only these (from rootListing), in place of the whole store. */
  entries?: ReturnType<typeof rootListing>;
}

/**
 * forEachSandbox that lets the event loop run every 50 ms: SIGINT and SIGTERM
 * are handled promptly (the work itself is synchronous), and a progress line
 * can follow it.
 */
export async function forEachSandboxAsync(roots: Roots, fn: (s: SandboxInfo) => void, o: InspectOptions & AsyncListing = {}): Promise<number> {
  const entries = o.entries ?? rootListing(roots);
  const opts = { ...o, locks: o.locks ?? (entries.length ? new LockIndex() : undefined), procs: o.procs ?? (o.host ? undefined : lazyProcs()) };
  let yielded = Date.now();
  for (const [i, e] of entries.entries()) {
    fn(inspectScanned(roots, scanSandbox(roots, e.id, e.hint), opts));
    o.onProgress?.(i + 1, entries.length);
    if (Date.now() - yielded >= 50) {
      await yieldToSignals();
      yielded = Date.now();
      if (o.signal?.aborted) throw o.signal.reason;
    }
  }
  return entries.length;
}
