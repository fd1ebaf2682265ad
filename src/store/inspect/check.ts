// One pass over the whole store for leaked and stuck state: what operators
// otherwise find by comparing `ls /run/vc/sbs /var/lib/vc/sbs /run/vc/vm`
// with `ps`. Per-sandbox findings are the problems inspection produced; this
// adds only the store-wide ones (orphan VM dirs, the UUID store). Looking
// takes no lock; fixing takes each sandbox's lock without waiting and never
// touches what is live, held, mounted or cannot be told.
import { join } from 'node:path';
import { NotFoundError } from '../fs/errors.js';
import type { Roots } from '../fs/roots.js';
import { cmdlineMark, probePid, processAgeSecs, provablyDead, readPidFile } from '../host/liveness.js';
import { HostIndex } from '../host/picture.js';
import { STATES } from '../layouts/items.js';
import { CANNOT_TELL, problem, type Problem } from '../read/problems.js';
import { rootListing } from '../read/scan.js';
import { cgroupProblem, forEachSandboxAsync, type AsyncListing, type SandboxInfo } from './inspect.js';
import { parallelListing, runListWorker, type ListingSettings, type ListJob } from './listing.js';
import { acrnUserOf, readUuidStore, type AcrnUser } from './uuid.js';
import { criKnown, type CriAnswer, type CriView } from '../host/cri.js';
import type { Pod } from '../layouts/pod.js';
import type { Selection } from './select.js';

export interface Finding extends Problem {
  /** Sandbox ID, or `slot-N` / `uuid` for the UUID store. */
  id: string;
  /** The sandbox's pod, where the store names one. */
  pod: Pod | null;
  fixable: boolean;
  /** Why a finding whose code --fix acts on is left to a person here (live, busy, containerd's, …). */
  hold?: string;
}

/** Codes check --fix acts on (ops/fix.ts); everything else needs a person. */
const FIXABLE = new Set([
  'hypervisor-dead',
  'sandbox-stale',
  'empty-shell',
  'config-shell',
  'orphan-vm-dir',
  'uuid-leaked',
  'removal-unfinished',
  'mounts-leaked',
  'shared-dir-leaked',
  'cgroup-leaked',
  'netns-leaked',
  'cri-unknown',
  'runtime-missing',
]);

/** Codes whose fix removes the whole sandbox (ops/fix.ts): left to containerd while it still has the pod (cri-stuck). */
export const WHOLE = new Set<string>(['hypervisor-dead', 'sandbox-stale', 'empty-shell', 'removal-unfinished', 'cri-unknown', 'runtime-missing']);

export interface CheckReport {
  sandboxes: number;
  findings: Finding[];
  /** Sandboxes holding an ACRN UUID slot (all --fix needs to redo the UUID check). */
  acrnUsers: AcrnUser[];
  /** The host picture it was made with: --fix acts on the same one. */
  host: HostIndex;
  /** Counts for fleet metrics: bounded by layouts, states, codes and slots, never by sandbox. */
  stats: CheckStats;
}

export interface CheckStats {
  /** "layout state" -> count; a state that is not one of the four is "other", none is "none". */
  sandboxes: Map<string, number>;
  locksHeld: number;
  lockWaiters: number;
  oldestHolderAge: number;
  oldestWaiterAge: number;
  uuid: { busy: number; leaked: number; free: number } | null;
}

const KNOWN_STATES = new Set<string>(STATES);

/** Fixable by code, except what lies under a sandbox that lives on (evidence.live) or holds a process (evidence.busy): that needs a person. */
export const finding = (id: string, p: Problem, pod: Pod | null = null): Finding => {
  const f: Finding = { ...p, id, pod, fixable: FIXABLE.has(p.code) && p.evidence.live !== true && p.evidence.busy !== true };
  if (FIXABLE.has(p.code) && !f.fixable)
    f.hold = p.evidence.busy === true ? 'a cgroup holds a process, has a child or cannot be told' : 'it lies under a sandbox that lives on';
  // A config root from before this boot is a leak nothing else removes; a younger one may be being made.
  if (p.code === 'runtime-missing' && p.evidence.beforeBoot !== true) {
    f.fixable = false;
    f.hold = 'its config root is younger than this boot: the runtime may be making it, or a removal stopped half-way';
  }
  return f;
};

/** The sandboxes a fix of these findings removes whole: what else is found of them goes with that removal. */
export const removedWhole = (findings: readonly Finding[]): Set<string> =>
  new Set(findings.filter((f) => f.fixable && WHOLE.has(f.code) && !f.container).map((f) => f.id));

/** Mark a finding as left to a person, and why. */
function hold(f: Finding, why: string): void {
  if (!f.fixable) return;
  f.fixable = false;
  f.hold = why;
}

/**
 * After findings were narrowed (--only, a selection): the cgroups of a
 * sandbox that has a store go only with its removal (the store records
 * them, and the removal re-reads them under its lock), so without a
 * fixable removal of that sandbox they are left, and nothing is planned
 * that the fix would always refuse.
 */
export function settleFixable(findings: Finding[]): void {
  const going = removedWhole(findings);
  for (const f of findings)
    if (f.code === 'cgroup-leaked' && f.evidence.store === true && !going.has(f.id))
      hold(f, 'its cgroups go with the removal of its sandbox, which this fix does not make (vcstore rm removes both)');
    else if (f.code === 'netns-leaked' && !going.has(f.id))
      hold(f, 'its network namespace goes with the removal of its sandbox, which this fix does not make (vcstore rm removes both)');
}

/** What check keeps of one inspected sandbox (the worker sends the same back). */
export interface Checked {
  id: string;
  layout: string;
  state: string | null;
  pod: Pod | null;
  hypervisor: string | null;
  created: string | null;
  problems: Problem[];
  acrn: AcrnUser | null;
  lockHeld: boolean;
  holders: { waiting: boolean; age: number }[];
  /** Its containers' IDs: a 1.x container's `kata_<cid>` cgroup is its sandbox's. */
  cids: string[];
  /** Its hypervisor's liveness (the containerd witness tells a live sandbox it does not know from a dead one). */
  alive: boolean | null;
  /** Its pod cannot be read: it may be any pod's, containerd's among them. */
  podUnknown?: boolean;
}

export function checked(s: SandboxInfo): Checked {
  return {
    id: s.id,
    layout: s.layout,
    state: s.state,
    pod: s.pod,
    hypervisor: s.hypervisor.type,
    created: s.created,
    problems: s.problems,
    acrn: acrnUserOf(s),
    lockHeld: s.lock.held,
    holders: s.lock.holders.map((h) => ({ waiting: h.waiting, age: processAgeSecs(h.pid) ?? 0 })),
    cids: s.containers.map((c) => c.id),
    alive: s.hypervisor.alive,
    ...(s.podUnknown ? { podUnknown: true } : {}),
  };
}

export interface CheckOptions extends AsyncListing {
  stuckAfter: number;
  settings: ListingSettings;
  host?: HostIndex;
  onWorkerFailure?: (e: Error) => void;
  /**
   * Look again at these sandboxes only (after --fix), the store-wide checks
   * as a whole; `acrnUsers` holds what the first look saw of the others.
   */
  only?: { ids: Set<string>; acrnUsers: AcrnUser[] };
  /** What containerd said (check --cri), or null when it is not asked. */
  cri?: CriView | null;
  /** containerd was asked for by name (--cri): when it cannot answer, a pod's sandbox is not removed (whether containerd still has it cannot be told). */
  criRequired?: boolean;
  /**
   * Only sandboxes this selection takes (ls's options): the others are
   * looked at (ACRN slots need every user) but report nothing, and the
   * store-wide checks, which belong to no pod, are left out.
   */
  select?: Selection;
}

/** The container manager that made a pod's sandbox, in the runtime's own name for itself (Version's runtime_name). */
const MANAGER_NAME = { containerd: 'containerd', 'cri-o': 'cri-o' } as const;

/**
 * What the container manager says about one sandbox of the store: a pod's
 * sandbox it does not list (cri-unknown; fixable once provably dead), one it
 * still reports READY while the store says it is dead (cri-stuck: its
 * teardown goes first), or NOTREADY (cri-notready: kubelet is tearing it
 * down). Either way a pod it lists is left to it: the sandbox's own removal
 * findings are left to a person.
 */
function criFindings(c: Checked, cri: CriAnswer, findings: Finding[], from = 0): void {
  const known = cri.sandboxes.get(c.id);
  const going = c.problems.filter((p) => WHOLE.has(p.code) && p.container === undefined);
  if (!known) {
    // Only a sandbox this manager's CRI made is its to know (not ctr run, nerdctl, nor the other manager's pod).
    if (c.pod?.manager !== undefined && MANAGER_NAME[c.pod.manager] === cri.runtime) {
      const f = finding(
        c.id,
        problem('cri-unknown', {
          socket: cri.socket,
          manager: cri.runtime,
          state: c.state,
          alive: c.alive,
          ...(c.alive === true ? { live: true } : {}),
        }),
        c.pod,
      );
      // Removed only once provably dead: a liveness that cannot be told needs a person too.
      if (c.alive !== false) hold(f, c.alive === true ? 'it is alive' : 'whether it is alive cannot be told');
      findings.push(f);
    }
    return;
  }
  // The manager still has the pod: its teardown goes first, whatever vcstore found of it (a stopped pod's mounts too).
  const evidence = { socket: cri.socket, manager: cri.runtime, runtime: known.runtime, because: going.map((p) => p.code) };
  if (going.length) findings.push(finding(c.id, problem(known.ready ? 'cri-stuck' : 'cri-notready', evidence), c.pod));
  leaveToPerson(
    findings,
    c.id,
    known.ready ? `${cri.runtime} still has its pod: its teardown goes first (crictl stopp, rmp)` : 'kubelet is tearing its pod down (NOTREADY)',
    from,
  );
  // What kubelet is already tearing down is said, not alarmed about: no gate fails and no alert counts it. Only
  // a sandbox provably dead, and never what could not be told (liveness-unknown fails a gate whatever else holds).
  if (!known.ready && going.length && c.alive === false)
    for (let i = from; i < findings.length; i++) {
      const f = findings[i];
      if (f?.id === c.id && !CANNOT_TELL.has(f.code)) f.severity = 'info';
    }
}

/**
 * containerd's bundle rootfs of a sandbox the fix would remove (or of one of
 * its containers), still mounted (bundle-mounted): containerd's to undo, so
 * the sandbox is kept (its store is the only record of what the mount was)
 * until it is. That containerd has forgotten it can be told only of a CRI
 * pod (namespace k8s.io) when containerd's CRI answered and does not list it.
 */
function bundleHeld(id: string, cri: CriAnswer | null, findings: Finding[], from = 0): void {
  // Only this sandbox's findings (pushed from `from` on): a look at every finding so far made check quadratic.
  let at = -1;
  for (let i = from; i < findings.length && at < 0; i++) if (findings[i]?.id === id && findings[i]?.code === 'bundle-mounted') at = i;
  const f = findings[at];
  if (!f) return;
  // A pod the manager still lists has its bundle mounted as it should: its teardown (cri-stuck, cri-notready) covers it.
  if (cri?.sandboxes.has(id)) {
    findings.splice(at, 1);
    return;
  }
  const mounts = Array.isArray(f.evidence.mounts) ? (f.evidence.mounts as { namespace: string }[]) : [];
  if (cri !== null && cri.runtime === 'containerd' && !cri.sandboxes.has(id) && mounts.every((m) => m.namespace === 'k8s.io')) f.evidence.forgotten = true;
  leaveToPerson(findings, id, "containerd's bundle of it is still mounted: containerd's teardown (or an umount) goes first", from);
}

/**
 * A sandbox left to containerd's teardown or to a person (containerd still
 * has its pod, or cannot say): no action of any of its findings touches it,
 * neither its removal nor its mounts, containers or cgroups.
 */
function leaveToPerson(findings: Finding[], id: string, why: string, from = 0): void {
  for (let i = from; i < findings.length; i++) {
    const f = findings[i];
    if (f?.id === id) hold(f, why);
  }
}

/** One streaming pass over every sandbox, then the VM dirs and the UUID store. */
export async function check(roots: Roots, o: CheckOptions): Promise<CheckReport> {
  const findings: Finding[] = [];
  const host = o.host ?? new HostIndex(roots);
  const stats: CheckStats = { sandboxes: new Map(), locksHeld: 0, lockWaiters: 0, oldestHolderAge: 0, oldestWaiterAge: 0, uuid: null };
  const known = new Set<string>();
  const cids = new Set<string>();
  const users: AcrnUser[] = [];
  const sel = o.select?.any ? o.select : undefined;
  const cri = criKnown(o.cri ?? null) ? (o.cri as CriAnswer) : null;
  let selected = 0;
  const add = (c: Checked) => {
    known.add(c.id);
    for (const cid of c.cids) cids.add(cid);
    if (c.acrn) users.push(c.acrn);
    if (sel && !sel.test({ ...c, codes: c.problems.map((p) => p.code) })) return;
    selected++;
    const key = `${c.layout} ${c.state === null ? 'none' : KNOWN_STATES.has(c.state) ? c.state : 'other'}`;
    stats.sandboxes.set(key, (stats.sandboxes.get(key) ?? 0) + 1);
    if (c.lockHeld) stats.locksHeld++;
    for (const h of c.holders) {
      if (h.waiting) {
        stats.lockWaiters++;
        stats.oldestWaiterAge = Math.max(stats.oldestWaiterAge, h.age);
      } else stats.oldestHolderAge = Math.max(stats.oldestHolderAge, h.age);
    }
    // This sandbox's findings are the ones pushed from here on (one add per sandbox): what follows looks at those only.
    const from = findings.length;
    for (const p of c.problems) findings.push(finding(c.id, p, c.pod));
    if (cri) criFindings(c, cri, findings, from);
    else if (o.cri && o.criRequired && (c.pod?.manager !== undefined || c.podUnknown))
      leaveToPerson(findings, c.id, 'the container manager was named and could not say whether it still has the pod', from);
    bundleHeld(c.id, cri, findings, from);
  };
  // From PARALLEL_MIN sandboxes on, two worker threads check a half each on
  // the two cores (reading every config.json is most of the work), each with
  // a small young generation, and this thread only merges, in the listing's
  // order: measured faster than one thread and smaller than this thread
  // taking a half itself (its own young generation is Node's default).
  const listed = rootListing(roots);
  const only = o.only;
  const entries = only ? listed.filter((e) => only.ids.has(e.id)) : listed;
  if (only) {
    for (const e of listed) known.add(e.id);
    users.push(...only.acrnUsers.filter((u) => !only.ids.has(u.id) && known.has(u.id)));
  }
  if (parallelListing(entries.length, o.settings)) {
    const half = Math.ceil(entries.length / 2);
    const job = (slice: typeof entries): ListJob => ({
      roots,
      entries: slice,
      mode: 'check',
      host: host.snapshot(),
      stuckAfter: o.stuckAfter,
      addon: o.settings.addon,
    });
    const done = [0, 0];
    const tell = (k: number) => (n: number) => {
      done[k] = n;
      o.onProgress?.((done[0] ?? 0) + (done[1] ?? 0), entries.length);
    };
    const slices = [entries.slice(0, half), entries.slice(half)];
    // A small young generation: each worker streams thousands of config.json
    // through it, and a large one only costs resident memory (BENCHMARKS.md).
    const parts = slices.map((slice, k) => runListWorker<Checked>(job(slice), { signal: o.signal, onProgress: tell(k), youngMb: o.settings.youngMb }));
    parts.forEach((p) => void p.catch(() => {}));
    for (const [k, part] of parts.entries()) {
      let got: Iterable<Checked | null> | null;
      try {
        got = await part;
      } catch (e) {
        if (o.signal?.aborted) throw o.signal.reason;
        // A worker that could not start or failed: its half is checked here (and said so).
        o.onWorkerFailure?.(e as Error);
        got = null;
      }
      if (got) {
        for (const c of got) if (c) add(c);
      } else await forEachSandboxAsync(roots, (s) => add(checked(s)), { deep: true, stuckAfter: o.stuckAfter, host, signal: o.signal, entries: slices[k] });
    }
    o.onProgress?.(entries.length, entries.length);
  } else
    await forEachSandboxAsync(roots, (s) => add(checked(s)), {
      deep: true,
      stuckAfter: o.stuckAfter,
      host,
      signal: o.signal,
      entries,
      onProgress: o.onProgress,
    });
  const count = sel ? selected : entries.length;
  if (sel) {
    settleFixable(findings);
    return { sandboxes: count, findings, acrnUsers: users, host, stats };
  }
  if (o.cri && !criKnown(o.cri)) findings.push(finding('cri', problem('cri-unreachable', { socket: o.cri.socket, error: o.cri.error })));
  // READY Kata pods the manager has that have no store at all: only of the host's own store (a copy under
  // --prefix is not the manager's node), and never while a runtime process names one (it is being made).
  if (cri && roots.prefix === '')
    for (const s of cri.sandboxes.values())
      if (s.kata && s.ready && !known.has(s.id) && !host.procs.naming(s.id).some((p) => p.role !== 'other'))
        findings.push(finding(s.id, problem('cri-missing', { socket: cri.socket, manager: cri.runtime, runtime: s.runtime }), s.pod));
  // What is left on the host of sandboxes that have no store at all.
  for (const sid of host.strays(known)) {
    const pic = host.of(sid);
    if (pic.sharedOdd)
      findings.push(finding(sid, problem(pic.sharedOdd.kind === 'symlink' ? 'symlink' : 'not-a-store-dir', { path: pic.sharedOdd.path, what: 'shared dir' })));
    const runtime = pic.processes.filter((p) => p.role !== 'other');
    if (runtime.length)
      findings.push(finding(sid, problem('processes-orphaned', { processes: runtime.map((p) => ({ pid: p.pid, role: p.role, command: p.command })) })));
    // Mounts a live shim or virtiofsd still serves are in use: the orphaned process is the finding.
    if (pic.mounts.length && !runtime.length)
      findings.push(
        finding(
          sid,
          problem('mounts-leaked', {
            count: pic.mounts.length,
            mountPoints: pic.mounts.slice(0, 5).map((m) => m.mountPoint),
            shared: pic.shared?.path ?? null,
          }),
        ),
      );
    else if (!pic.mounts.length && pic.shared && !pic.processes.length) findings.push(finding(sid, problem('shared-dir-leaked', { path: pic.shared.path })));
  }
  // Cgroups with Kata's own names whose sandbox has no store (a runtime process naming it is creating it).
  for (const [id, dirs] of host.cgroups.orphans((id) => known.has(id) || cids.has(id))) {
    if (host.procs.naming(id).some((p) => p.role !== 'other')) continue;
    const p = cgroupProblem({ dirs, escaping: [] }, false);
    if (p) findings.push(finding(id, p));
  }
  for (const sid of host.vmIds()) {
    if (known.has(sid)) continue;
    const dir = join(roots.vm, sid);
    const src = readPidFile(join(dir, 'pid'));
    // A pid file of garbage, or a directory, proves nothing: not provably dead.
    const live = src?.bad ? { pid: null, alive: null, unknown: src.bad } : src?.pid ? probePid(src.pid, cmdlineMark('qemu', sid)) : undefined;
    if (live && !provablyDead(live))
      findings.push(finding(sid, problem('orphan-vm-live', { path: dir, pid: live.pid, ...(live.unknown ? { why: live.unknown } : {}) })));
    else findings.push(finding(sid, problem('orphan-vm-dir', { path: dir })));
  }
  try {
    const u = readUuidStore(roots, users);
    stats.uuid = { busy: u.slots.filter((x) => x.busy).length, leaked: u.slots.filter((x) => x.leaked).length, free: u.slots.filter((x) => !x.busy).length };
    for (const slot of u.slots.filter((x) => x.leaked))
      findings.push(finding(`slot-${slot.slot}`, problem('uuid-leaked', { path: u.path, slot: slot.slot, uuid: slot.uuid })));
  } catch (e) {
    if (!(e instanceof NotFoundError)) findings.push(finding('uuid', problem('uuid-store-bad', { detail: (e as Error).message })));
  }
  settleFixable(findings);
  return { sandboxes: count, findings, acrnUsers: users, host, stats };
}
