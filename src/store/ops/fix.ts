// check --fix: remove what a check found and what is provably safe to
// remove. The check's picture only chooses what to try: each action takes
// its sandbox's lock without waiting, reads liveness, processes and mounts
// again after the lock is held (per batch of locks, for bulk removals), and
// never touches what is live, held, mounted or cannot be told. What remains
// is what a fresh check finds afterwards.
import { basename, join } from 'node:path';
import { CgroupIndex, isCgroupDir } from '../host/cgroups.js';
import { type InterruptedError, NotFoundError, RefusedError, StoreError, VcError } from '../fs/errors.js';
import { lstatOrUndef } from '../fs/read.js';
import type { Roots } from '../fs/roots.js';
import { withLock } from '../host/guard.js';
import { provablyDead } from '../host/liveness.js';
import { HostIndex } from '../host/picture.js';
import { unmountAll, unmountLayers } from '../host/unmount.js';
import { finding, WHOLE, type CheckReport, type Finding } from '../inspect/check.js';
import { openSandbox } from '../inspect/handle.js';
import { inspectScanned } from '../inspect/inspect.js';
import { yieldToSignals } from '../inspect/listing.js';
import { readUuidStore } from '../inspect/uuid.js';
import { problem } from '../read/problems.js';
import { refuseBeyondPlan, removeContainer, removeSandboxes, type Planned, type RemoveResult } from './remove.js';
import { trashIndex } from '../read/scan.js';
import { removeTree } from './trash.js';
import { freeUuidSlot } from './uuid.js';
import { isShell } from '../layouts/common.js';
import { changeLock, freshWitnesses, refuseIfMounted, refuseIfNamed, refuseIfVmLive, removeCgroups, type Witnesses } from './witness.js';

export interface FixAction {
  code: string;
  id: string;
  container?: string;
  action: 'removed' | 'freed' | 'unmounted' | 'would-remove' | 'would-free' | 'would-unmount' | 'left';
  paths: string[];
  /** Mount points detached first, deepest first. */
  unmounts?: string[];
  reason: string;
}

export interface FixOptions {
  /**
   * The plan a person said yes to: only its actions, by actionKey (`code
   * id/container`, `uuid-leaked slot-N`), each doing exactly what its line
   * listed (its paths and mount points) and nothing it did not.
   */
  plan?: Map<string, FixAction>;
  /** After each action: done of total. */
  onProgress?: (done: number, total: number) => void;
  dryRun: boolean;
  signal?: AbortSignal;
}

const REASON: Record<string, string> = {
  'removal-unfinished': 'finished an unfinished removal',
  'empty-shell': 'empty shell',
  'hypervisor-dead': 'hypervisor dead',
  'sandbox-stale': 'no container and no runtime process left',
  'cri-unknown': 'containerd does not know it, and it is dead',
  'runtime-missing': 'a config root from before the last boot, with no run-time root',
};

/**
 * Remove what is provably safe: dead sandboxes, empty shells and unfinished
 * removals (in batches of locks), dead containers, orphan VM dirs, config
 * shells, leaked mounts and shared dirs, then leaked UUID slots. Stops
 * between two actions on SIGINT/SIGTERM and says so (`interrupted`).
 */
export async function fix(roots: Roots, report: CheckReport, o: FixOptions): Promise<{ actions: FixAction[]; interrupted?: InterruptedError }> {
  const actions: FixAction[] = [];
  const act = (f: Finding, action: FixAction['action'], paths: string[], reason: string, unmounts: string[] = []) => {
    const a: FixAction = { code: f.code, id: f.id, action, paths, reason };
    if (f.container) a.container = f.container;
    if (unmounts.length) a.unmounts = unmounts;
    actions.push(a);
  };
  const left = (f: Finding, e: unknown) => {
    if (!(e instanceof VcError)) throw e;
    act(f, 'left', [], e instanceof NotFoundError ? 'already gone' : e.message);
  };
  const would = (real: 'removed' | 'freed' | 'unmounted'): FixAction['action'] =>
    o.dryRun ? (`would-${real === 'removed' ? 'remove' : real === 'freed' ? 'free' : 'unmount'}` as FixAction['action']) : real;
  const aborted = () => (o.signal?.aborted ? (o.signal.reason as InterruptedError) : undefined);

  // What to try, once each: a sandbox removal settles its mounts and shared dir too.
  const whole = new Map<string, Finding>();
  const rest: Finding[] = [];
  const seen = new Set<string>();
  const planned = (f: Finding) => !o.plan || o.plan.has(actionKey(f));
  // What the agreed plan listed for an action: nothing beyond it is done.
  const listed = (f: Finding): Planned | undefined => {
    const a = o.plan?.get(actionKey(f));
    return a && { paths: a.paths, unmounts: a.unmounts ?? [] };
  };
  for (const f of report.findings)
    if (f.fixable && planned(f) && WHOLE.has(f.code) && !f.container && (!whole.has(f.id) || whole.get(f.id)?.code === 'removal-unfinished'))
      whole.set(f.id, f);
  // An unfinished removal of a sandbox that is otherwise fine (its ID reused, say): only the trash goes.
  const trashOnly = new Set([...whole].filter(([, f]) => f.code === 'removal-unfinished').map(([id]) => id));
  for (const f of report.findings) {
    // A leaked network namespace goes only with its sandbox's removal (settleFixable leaves it otherwise).
    if (!f.fixable || !planned(f) || f.code === 'uuid-leaked' || f.code === 'netns-leaked' || (!f.container && whole.has(f.id))) continue;
    const key = `${f.code === 'shared-dir-leaked' ? 'mounts-leaked' : f.code}:${f.id}/${f.container ?? ''}`;
    if (!seen.has(key)) rest.push(f);
    seen.add(key);
  }
  // Read once for the whole fix, not per action (re-reading whole roots per sandbox made a fix
  // of thousands quadratic): the roots' unfinished removals, and the witnesses and host picture,
  // read again whenever stale, as bulk removal reads them.
  const trash = trashIndex(roots);
  let w: Witnesses | undefined;
  let host: HostIndex | undefined;
  const shared: Shared = {
    trash,
    witnesses: (after) => {
      const now = freshWitnesses(w, after);
      if (now !== w) host = undefined;
      return (w = now);
    },
    host: (after) => {
      const now = shared.witnesses(after);
      host ??= new HostIndex(roots, { procs: now.procs, mounts: now.mounts });
      return host;
    },
  };
  const total = whole.size + rest.length;
  let handled = 0;
  const tick = () => o.onProgress?.(++handled, total);

  // Whole sandboxes, in batches: each lock taken without waiting, the witnesses read once per batch after it.
  const interrupted = await removeSandboxes(
    roots,
    [...whole.keys()],
    {
      wait: 0,
      dryRun: o.dryRun,
      signal: o.signal,
      others: 'refuse',
      unmount: true,
      trashOnly,
      trash,
      plan: (sid) => {
        const f = whole.get(sid);
        return f && listed(f);
      },
    },
    (sid, r: RemoveResult | VcError) => {
      const f = whole.get(sid);
      tick();
      if (!f) return;
      if (r instanceof VcError) left(f, r);
      else act(f, would('removed'), r.paths, REASON[f.code] ?? 'provably dead', r.unmounts);
    },
  );
  if (interrupted) return { actions, interrupted };

  for (const f of rest) {
    await yieldToSignals();
    if (aborted()) return { actions, interrupted: aborted() };
    try {
      const plan = listed(f);
      if (f.code === 'orphan-vm-dir') act(f, would('removed'), fixVmDir(roots, f.id, o, shared, plan), 'no sandbox store, hypervisor not running');
      else if (f.code === 'cgroup-leaked')
        act(f, would('removed'), fixCgroupLeak(roots, f, o, shared, plan), 'no sandbox store, and no process in them or naming it');
      else if (f.code === 'config-shell')
        act(f, would('removed'), await fixConfigShell(roots, f.id, o, shared, plan), 'empty config shell next to a persist sandbox');
      else if (f.container) {
        const r = await removeContainer(roots, f.id, f.container, {
          wait: 0,
          dryRun: o.dryRun,
          signal: o.signal,
          others: 'refuse',
          trash,
          plan: () => plan,
        });
        act(f, would('removed'), r.paths, REASON[f.code] ?? 'provably dead');
      } else {
        const r = await fixHostLeak(roots, f.id, o, shared, plan);
        act(
          f,
          r.paths.length ? would('removed') : would('unmounted'),
          r.paths,
          r.store ? 'hypervisor, shim and virtiofsd are gone' : 'no sandbox store and no process names it',
          r.unmounts,
        );
      }
    } catch (e) {
      if (aborted()) return { actions, interrupted: aborted() };
      left(f, e);
    }
    tick();
  }

  // UUID slots last: those the check reported (not under --only of other codes, nor a selection), and
  // those only a sandbox this fix removed held, so that a removal leaves no leaked slot behind. Freed
  // under the UUID store's lock, which reads every sandbox again.
  // Sandboxes this fix removed whole (not only an unfinished removal's trash, not a VM dir alone).
  const removed = new Set(
    actions
      .filter((a) => (a.action === 'removed' || a.action === 'would-remove') && !a.container && a.code !== 'orphan-vm-dir' && !trashOnly.has(a.id))
      .map((a) => a.id),
  );
  const reported = new Set(report.findings.filter((f) => f.code === 'uuid-leaked').map((f) => f.id));
  const theirs = report.acrnUsers.filter((x) => removed.has(x.id) && x.uuid !== null);
  if (!reported.size && !theirs.length) return { actions };
  try {
    const u = readUuidStore(
      roots,
      report.acrnUsers.filter((x) => !removed.has(x.id)),
    );
    for (const slot of u.slots.filter((x) => x.leaked)) {
      const f = finding(`slot-${slot.slot}`, problem('uuid-leaked', { slot: slot.slot }));
      const holder = theirs.find((x) => x.uuid === slot.uuid);
      if ((!reported.has(f.id) && !holder) || !planned(f)) continue;
      try {
        const r = await freeUuidSlot(roots, slot.slot, { wait: 0, dryRun: o.dryRun, signal: o.signal });
        if (r.changed) act(f, would('freed'), [u.path], holder ? `only sandbox ${holder.id}, removed in this run, held it` : 'no live sandbox uses it');
      } catch (e) {
        if (!(e instanceof VcError)) throw e;
        act(f, 'left', [u.path], e.message);
      }
    }
  } catch (e) {
    if (!(e instanceof VcError)) throw e;
  }
  return { actions };
}

/**
 * What the actions of one fix share: read once, or again when stale or read
 * before `after` (freshWitnesses); an action under a lock passes the moment
 * it took the lock.
 */
interface Shared {
  trash: Map<string, string[]>;
  witnesses(after?: number): Witnesses;
  host(after?: number): HostIndex;
}

/** How a plan names one action: its code, its ID, its container. */
export const actionKey = (a: { code: string; id: string; container?: string }): string => `${a.code} ${a.id}/${a.container ?? ''}`;

/** A VM dir with no store: its pid file read again and every witness, right before it goes. */
function fixVmDir(roots: Roots, sid: string, o: FixOptions, shared: Shared, plan?: Planned): string[] {
  const h = openSandbox(roots, sid, shared.trash);
  const dir = h.paths.vm;
  if (lstatOrUndef(h.paths.config) || lstatOrUndef(h.paths.runtime)) throw new RefusedError('a sandbox store appeared meanwhile');
  const st = lstatOrUndef(dir);
  if (!st) throw new NotFoundError(`${dir} is gone`);
  if (!st.isDirectory()) throw new StoreError(`${dir} is not a directory (a symbolic link?)`, { path: dir });
  refuseIfVmLive(dir, sid, 'remove');
  const w = shared.witnesses();
  refuseIfNamed(w.procs, sid, `VM dir ${dir}`, 'remove', 'refuse');
  refuseIfMounted(w.mounts, [dir], `VM dir ${dir}`);
  refuseBeyondPlan(plan, [dir], [], `VM dir ${dir}`);
  if (!o.dryRun) removeTree(dir, w.mounts);
  return [dir];
}

/**
 * Cgroups with Kata's own names and no store (the sandbox's removal takes
 * those of a sandbox that has one): each path the check saw, if it still is
 * a cgroup of that name in a hierarchy the mount table shows now, rmdir'd
 * deepest first after its cgroup.procs reads empty, with no process naming
 * the ID and no store for it, both read right before.
 */
function fixCgroupLeak(roots: Roots, f: Finding, o: FixOptions, shared: Shared, plan?: Planned): string[] {
  const sid = f.id;
  const h = openSandbox(roots, sid, shared.trash);
  if ([h.paths.config, h.paths.runtime, join(roots.kata, sid)].some((p) => lstatOrUndef(p)))
    throw new RefusedError('a sandbox store appeared meanwhile: vcstore rm takes its cgroups with it');
  const w = shared.witnesses();
  const whom = `the cgroups of ${sid}`;
  refuseIfNamed(w.procs, sid, whom, 'remove', 'refuse');
  const index = new CgroupIndex(roots.cgroup, w.mounts.mounts);
  const now = index.hierarchies;
  const seen = Array.isArray(f.evidence.cgroups) ? (f.evidence.cgroups as { path: string }[]).map((c) => c.path) : [];
  const dirs = seen.filter((p) => {
    const name = basename(p);
    return (name === sid || name === `kata_${sid}`) && now.some((x) => p.startsWith(`${x.dir}/`)) && isCgroupDir(p);
  });
  if (!dirs.length) throw new NotFoundError('gone');
  refuseBeyondPlan(plan, dirs, [], whom);
  if (!o.dryRun) removeCgroups(dirs, index, whom);
  return dirs;
}

async function fixConfigShell(roots: Roots, sid: string, o: FixOptions, shared: Shared, plan?: Planned): Promise<string[]> {
  const h = openSandbox(roots, sid, shared.trash);
  return withLock(changeLock(h, 'remove'), { mode: 'exclusive', wait: 0, signal: o.signal, label: `sandbox ${sid}` }, () => {
    const held = performance.now();
    if (!lstatOrUndef(h.paths.config)?.isDirectory()) throw new NotFoundError('gone');
    // Looked at again under the lock: what was written into it meanwhile is no debris.
    if (!isShell(h.paths.config)) throw new RefusedError(`${h.paths.config} is no longer an empty shell`);
    const w = shared.witnesses(held);
    refuseIfMounted(w.mounts, [h.paths.config], `config shell ${h.paths.config}`);
    refuseBeyondPlan(plan, [h.paths.config], [], `config shell ${h.paths.config}`);
    if (!o.dryRun) removeTree(h.paths.config, w.mounts);
    return [h.paths.config];
  });
}

/**
 * Leaked mounts and shared dirs, when provably dead: no process at all names
 * the sandbox, and either it has no store, or its liveness is known dead
 * under its lock (taken without waiting). Processes and mounts are read
 * again right before the first change; mounts go deepest first; then the
 * shared dir of a sandbox without a store, never entering a mount left.
 */
async function fixHostLeak(
  roots: Roots,
  sid: string,
  o: FixOptions,
  shared: Shared,
  plan?: Planned,
): Promise<{ store: boolean; unmounts: string[]; paths: string[] }> {
  const h = openSandbox(roots, sid, shared.trash);
  // `held`: when the sandbox's lock was taken, if one was.
  const leak = async (store: boolean, held?: number) => {
    const host = shared.host(held);
    refuseIfNamed(host.procs, sid, `sandbox ${sid}`, 'clean up', 'refuse');
    // Without mountinfo, which mounts there are cannot be told: nothing is touched.
    if (host.mounts.mounts === null) throw new RefusedError(`leaving sandbox ${sid}: /proc/self/mountinfo cannot be read, so its mounts cannot be told`);
    const pic = host.of(sid);
    const unmounts = unmountLayers(pic.mounts.map((m) => m.mountPoint));
    const dirs = !store && pic.shared ? [pic.shared.path] : [];
    refuseBeyondPlan(plan, dirs, unmounts, `sandbox ${sid}`);
    if (!o.dryRun) {
      if (unmounts.length) await unmountAll(unmounts, o.signal);
      for (const p of dirs) removeTree(p);
    }
    return { store, unmounts, paths: dirs };
  };
  const store = [h.paths.config, h.paths.runtime, join(roots.kata, sid)].some((p) => lstatOrUndef(p));
  if (!store) return leak(false);
  return withLock(changeLock(h, 'clean up'), { mode: 'exclusive', wait: 0, signal: o.signal, label: `sandbox ${sid}` }, async () => {
    const held = performance.now();
    const now = openSandbox(roots, sid, shared.trash);
    const live = inspectScanned(roots, now.scan, { lockless: true, procs: () => shared.witnesses(held).procs }).hypervisor;
    if (!provablyDead(live))
      throw new RefusedError(live.alive ? `its hypervisor pid ${live.pid} is alive` : `cannot tell whether its hypervisor is alive (${live.unknown})`);
    return leak(
      [now.paths.config, now.paths.runtime, join(roots.kata, sid)].some((p) => lstatOrUndef(p)),
      held,
    );
  });
}
