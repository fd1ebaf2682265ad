// Removing sandboxes and containers. Plan, then act: under the exclusive
// lock every precondition (liveness, processes, mounts, symlinks,
// permission) is checked before the first byte changes. Each root is renamed
// to a hidden trash name, then deleted without entering another mount; a
// removal that stops half-way stays listed as removal-unfinished, and the
// next rm or check --fix finishes it.
import { accessSync, constants as C, readdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BusyError, fromErrno, type InterruptedError, NotFoundError, RefusedError, UsageError, VcError } from '../fs/errors.js';
import { quote } from '../fs/ids.js';
import { kinds } from '../fs/dirs.js';
import { lstatOrUndef } from '../fs/read.js';
import { cleanEmptyTrash, deleteTree, moveToTrash, trashBusy } from './trash.js';
import { withLock } from '../host/guard.js';
import { openSandbox, requireContainer, type SandboxHandle } from '../inspect/handle.js';
import { yieldToSignals } from '../inspect/listing.js';
import { acquire, type HeldLock } from '../host/locks.js';
import { inspectScanned } from '../inspect/inspect.js';
import { MountTable } from '../host/mounts.js';
import type { Roots } from '../fs/roots.js';
import { isContainerName, trashIn, trashIndex } from '../read/scan.js';
import { unmountAll, unmountLayers } from '../host/unmount.js';
import {
  cgroupsToRemove,
  changeLock,
  freshWitnesses,
  netnsToRemove,
  readWitnesses,
  refuseIfLive,
  refuseIfBundleMounted,
  refuseIfMounted,
  refuseIfNamed,
  refuseIfVmLive,
  removeCgroups,
  removeNetns,
  type Witnesses,
} from './witness.js';

/** Mount points at or below any of `paths`, deepest first; unreadable mountinfo refuses. */
function mountsBelow(mounts: MountTable, paths: string[]): string[] {
  if (mounts.mounts === null) throw new RefusedError(`${mounts.blind ?? 'mounts cannot be read'}, so mounts cannot be ruled out`);
  return unmountLayers(paths.flatMap((p) => mounts.below(p)).map((m) => m.mountPoint));
}

export interface RemoveOptions {
  force?: boolean;
  dryRun?: boolean;
  wait: number;
  signal?: AbortSignal;
  /** Told once per waited lock, with its holders, when the wait lasts longer than a moment. */
  onWait?: (sid: string, holders: string) => void;
  /** check --fix: a non-runtime process naming the sandbox leaves it alone. */
  others?: 'refuse' | 'warn';
  /** Unmount what lies below (deepest first, lazily) instead of refusing. */
  unmount?: boolean;
  /** Unfinished removals read once for the whole command (scan.trashIndex). */
  trash?: Map<string, string[]>;
  /** Sandboxes of which only the unfinished removals go (check --fix of removal-unfinished): never their own roots. */
  trashOnly?: Set<string>;
  /**
   * The plan a person said yes to, by sandbox: a removal does exactly what
   * its line listed. A path or mount it did not list (a mount made since,
   * say) refuses that removal, and nothing of it changes.
   */
  plan?: (sid: string) => Planned | undefined;
}

/** What one line of a plan said would go: paths (with cgroups) and mount points. */
export interface Planned {
  paths: readonly string[];
  unmounts: readonly string[];
}

/** Refuse (exit 5) when an action would touch what its plan line did not list. */
export function refuseBeyondPlan(plan: Planned | undefined, paths: readonly string[], unmounts: readonly string[], whom: string): void {
  if (!plan) return;
  // Mounts by layer: a mount stacked on a planned point since is one more than the plan listed.
  const left = [...plan.unmounts];
  const extraMounts = unmounts.filter((m) => {
    const i = left.indexOf(m);
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
  const extra = [...paths.filter((p) => !plan.paths.includes(p)), ...extraMounts];
  if (extra.length)
    throw new RefusedError(
      `leaving ${whom}: ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', …' : ''} ${extra.length === 1 ? 'is' : 'are'} not in the plan that was agreed (changed since); nothing was changed; run it again`,
    );
}

export interface RemoveResult {
  id: string;
  container?: string;
  paths: string[];
  dryRun: boolean;
  warnings: string[];
  /** Mount points detached first (with --unmount), deepest first. */
  unmounts: string[];
}

/** Paths that exist; a symlink is refused unless forced (then only the link goes). */
function existing(paths: string[], force?: boolean): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const st = lstatOrUndef(p);
    if (!st) continue;
    if (st.isSymbolicLink() && !force) throw fromErrno(Object.assign(new Error('symlink'), { code: 'ELOOP' }), p, 'remove');
    out.push(p);
  }
  return out;
}

function requireWritable(paths: string[]): void {
  for (const p of paths)
    try {
      accessSync(dirname(p), C.W_OK | C.X_OK);
    } catch (e) {
      throw fromErrno(e, dirname(p), 'remove entries of');
    }
}

/** Rename every path to trash first, then delete: an interruption leaves visible trash. */
function act(paths: string[], trash: string[]): void {
  const moved: string[] = [];
  for (const p of paths) {
    if (lstatOrUndef(p)?.isSymbolicLink()) {
      try {
        unlinkSync(p); // --force on a symlinked root: the link, never its target
      } catch (e) {
        throw fromErrno(e, p, 'remove');
      }
    } else moved.push(moveToTrash(p));
  }
  const points = new LaterPoints(); // read after the renames (mount paths moved with them), and only if asked
  for (const t of [...trash, ...moved]) deleteTree(t, points);
}

/**
 * The mount points for the removal walk, read from mountinfo the first time
 * one is asked for: the addon's walk (openat2, RESOLVE_NO_XDEV) never asks,
 * the careful JavaScript walk does, each time after the renames. A removal
 * of many sandboxes then reads mountinfo only where the careful walk runs.
 */
class LaterPoints extends Set<string> {
  private read: Set<string> | undefined;
  override has(point: string): boolean {
    return (this.read ??= new MountTable().points()).has(point);
  }
}

const label = (sid: string) => `sandbox ${sid}`;

/** A sandbox about to be removed: its handle and the lock its removal must hold (none: no run-time root). */
function target(roots: Roots, sid: string, o: RemoveOptions): { h: SandboxHandle; lock: string | null } {
  const h = openSandbox(roots, sid, o.trash);
  const anything = h.layout.removal(roots, sid).some((p) => lstatOrUndef(p)) || trashOf(roots, sid, o).length > 0;
  if (!anything) throw new NotFoundError(`sandbox ${sid} not found`);
  return { h, lock: changeLock(h, 'remove', o.force) };
}

/** What an earlier removal left of `sid` and is still there. */
const trashOf = (roots: Roots, sid: string, o: RemoveOptions) => ((o.trash ?? trashIndex(roots)).get(sid) ?? []).filter((t) => lstatOrUndef(t));

/**
 * Remove a sandbox: its config root, VM dir, then its run-time root (which
 * holds the lock, so it goes last), and whatever an earlier removal left.
 * Liveness, processes and mounts are read after the lock is held.
 */
export async function removeSandbox(roots: Roots, sid: string, o: RemoveOptions): Promise<RemoveResult> {
  const t = target(roots, sid, o);
  const onWait = o.onWait && ((holders: string) => o.onWait?.(sid, holders));
  return withLock(t.lock, { mode: 'exclusive', wait: o.wait, signal: o.signal, label: label(sid), onWait }, (held) =>
    removeHeld(roots, sid, o, readWitnesses(), held !== null),
  );
}

/**
 * Remove many sandboxes, in the order given, each reported to `done` as it
 * ends. Locks are taken without waiting a few dozen at a time and the
 * witnesses read once after each batch is held: what decides is read after
 * the lock, at the cost of one /proc scan per batch, not per sandbox. A busy
 * lock ends the batch there; that sandbox then waits for its own lock (up to
 * `wait`) and reads its own witnesses. Stops between two sandboxes when
 * `signal` aborts, and says so.
 */
export async function removeSandboxes(
  roots: Roots,
  sids: string[],
  o: RemoveOptions,
  done: (sid: string, r: RemoveResult | VcError) => void,
): Promise<InterruptedError | undefined> {
  const aborted = () => (o.signal?.aborted ? (o.signal.reason as InterruptedError) : undefined);
  const fail = (sid: string, e: unknown) => {
    if (!(e instanceof VcError)) throw e;
    done(sid, e);
  };
  let i = 0;
  while (i < sids.length) {
    // In the order given: each held, or failed already (not found, refused).
    const batch: { sid: string; lock: HeldLock | null; error?: unknown }[] = [];
    let waitFor: string | undefined;
    try {
      for (; i < sids.length && batch.length < BATCH; i++) {
        await yieldToSignals();
        if (aborted()) return aborted();
        const sid = sids[i] ?? '';
        try {
          const t = target(roots, sid, o);
          batch.push({ sid, lock: t.lock === null ? null : await acquire(t.lock, { mode: 'exclusive', wait: 0, signal: o.signal, label: label(sid) }) });
        } catch (e) {
          if (aborted()) return aborted();
          if (e instanceof BusyError && o.wait > 0) {
            waitFor = sid;
            i++;
            break;
          }
          batch.push({ sid, lock: null, error: e });
        }
      }
      // Read once, now that every lock of the batch is held: each sandbox below is decided from a read made under its lock.
      let w: Witnesses | undefined = batch.some((x) => x.error === undefined) && !aborted() ? readWitnesses() : undefined;
      for (const x of batch.splice(0)) {
        try {
          if (aborted()) continue;
          if (x.error !== undefined) fail(x.sid, x.error);
          else {
            // Read after the batch's locks are held, and again whenever stale: removals before it take time.
            w = freshWitnesses(w);
            done(x.sid, await removeHeld(roots, x.sid, o, w, x.lock !== null));
          }
        } catch (e) {
          if (aborted()) return aborted();
          fail(x.sid, e);
        } finally {
          x.lock?.release();
        }
        await yieldToSignals();
      }
    } finally {
      for (const x of batch) x.lock?.release();
    }
    if (aborted()) return aborted();
    if (waitFor !== undefined) {
      try {
        done(waitFor, await removeSandbox(roots, waitFor, o));
      } catch (e) {
        if (aborted()) return aborted();
        fail(waitFor, e);
      }
    }
  }
  // What a killed removal left before it moved anything: empty trash dirs whose writer is gone.
  if (!o.dryRun) cleanEmptyTrash(roots);
  return aborted();
}

/**
 * Locks held at once by a bulk removal: one read of the witnesses (every
 * process's arguments, mountinfo) per this many sandboxes. A lock is one
 * open descriptor.
 */
const BATCH = 128;

/** The removal itself, with the lock held (`held`; none where there was none to take) and the witnesses read after it. */
async function removeHeld(roots: Roots, sid: string, o: RemoveOptions, w: Witnesses, held: boolean): Promise<RemoveResult> {
  // Looked at again under the lock: a racing removal may have won.
  const now = openSandbox(roots, sid, o.trash);
  // A run-time root that appeared after the lock was chosen (none then) has a lock the runtime may hold now.
  if (!held && !o.force && changeLock(now, 'remove') !== null)
    throw new RefusedError(`refusing to remove sandbox ${sid}: its run-time root appeared while it was not locked; run it again`);
  const trashOnly = o.trashOnly?.has(sid) === true;
  const base = trashOnly ? [] : existing(now.layout.removal(roots, sid), o.force);
  const trash = trashOf(roots, sid, o).filter((t) => !trashBusy(t));
  if (!base.length && !trash.length) throw new NotFoundError(`sandbox ${sid} not found (removed meanwhile)`);
  const whom = label(sid);
  let warnings: string[] = [];
  const store = base.some((p) => lstatOrUndef(p)?.isDirectory() && p !== now.paths.vm);
  const info = store ? inspectScanned(roots, now.scan, { lockless: true, procs: () => w.procs, netns: true }) : null;
  const cids = (info?.containers ?? []).map((c) => c.id);
  // The 1.x CLI's containers-mapping entries for it: a later `kata-runtime delete -f` would follow one and make empty shells.
  const paths = trashOnly ? base : [...base, ...mappingsOf(roots, sid, cids)];
  if (!o.force && !trashOnly) {
    if (info) refuseIfLive(info, 'remove');
    // Only a VM dir left: its pid file is all there is to ask (as check --fix does).
    else if (paths.includes(now.paths.vm)) refuseIfVmLive(now.paths.vm, sid, 'remove');
    warnings = refuseIfNamed(w.procs, sid, whom, 'remove', o.others ?? 'warn');
    refuseIfBundleMounted(w.mounts, [...new Set([sid, ...cids])], whom);
  }
  // Its cgroups go first, while the store still records them: a cgroup that refuses keeps the record.
  const cg = trashOnly ? null : cgroupsToRemove(roots.cgroup, w, sid, info ? info.cgroups : [], whom, o.force === true, cids);
  warnings.push(...(cg?.warnings ?? []));
  // The network namespace the runtime made for it: once the store is gone nothing would record it.
  const ns = trashOnly ? null : netnsToRemove(roots.prefix, w, info?.netns, whom, o.force === true);
  warnings.push(...(ns?.warnings ?? []));
  const unmounts = o.unmount ? mountsBelow(w.mounts, [...paths, ...trash]) : [];
  if (!o.unmount) refuseIfMounted(w.mounts, [...paths, ...trash], whom);
  const nsPaths = ns?.file ? [ns.file.path] : [];
  refuseBeyondPlan(o.plan?.(sid), [...paths, ...trash, ...(cg?.dirs ?? []), ...nsPaths], unmounts, whom);
  requireWritable([...paths, ...trash]);
  if (!o.dryRun) {
    if (unmounts.length) await unmountAll(unmounts, o.signal);
    if (cg) removeCgroups(cg.dirs, cg.index, whom);
    if (ns?.file) await removeNetns(ns.file, o.signal);
    act(paths, trash);
  }
  return { id: sid, paths: [...paths, ...trash, ...(cg?.dirs ?? []), ...nsPaths], dryRun: Boolean(o.dryRun), warnings, unmounts };
}

/**
 * The kata-runtime CLI's containers-mapping entries of a sandbox
 * (`/run/kata-containers/containers-mapping/<cid>/<sid>`, 1.x
 * `pkg/katautils/oci.go`): the whole `<cid>` dir when `<sid>` is all it
 * holds, else only `<cid>/<sid>`. The runtime's `delete -f` removes them.
 */
function mappingsOf(roots: Roots, sid: string, cids: string[]): string[] {
  const root = join(dirname(dirname(roots.shared)), 'containers-mapping');
  const out: string[] = [];
  for (const cid of new Set([sid, ...cids])) {
    const dir = join(root, cid);
    if (!lstatOrUndef(join(dir, sid))?.isDirectory() || !lstatOrUndef(dir)?.isDirectory()) continue;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    out.push(names.length === 1 ? dir : join(dir, sid));
  }
  return out;
}

/** Remove one container's stores, under the sandbox lock. */
export async function removeContainer(roots: Roots, sid: string, cid: string, o: RemoveOptions): Promise<RemoveResult> {
  // An item file, raw/ or the lock is never a container, whatever a stray trash entry is called.
  if (!isContainerName(cid)) throw new UsageError(`${quote(cid)} cannot be a container ID (an item, raw/ or the lock of the sandbox)`);
  const h = openSandbox(roots, sid, o.trash);
  if (!containerTrash(h.paths, cid).length) requireContainer(h, cid);
  const onWait = o.onWait && ((holders: string) => o.onWait?.(sid, holders));
  return withLock(changeLock(h, 'remove', o.force), { mode: 'exclusive', wait: o.wait, signal: o.signal, label: label(sid), onWait }, () => {
    const w = readWitnesses();
    const now = openSandbox(roots, sid, o.trash);
    // Its directories go only if they are a container's now, under the lock; an unfinished removal alone is only that.
    const isContainer = (() => {
      try {
        requireContainer(now, cid);
        return true;
      } catch (e) {
        if (e instanceof NotFoundError) return false;
        throw e;
      }
    })();
    const paths = isContainer ? existing(now.layout.containerDirs(roots, sid, cid), o.force) : [];
    const trash = containerTrash(now.paths, cid).filter((t) => !trashBusy(t));
    if (!paths.length && !trash.length) throw new NotFoundError(`container ${cid} not found in sandbox ${sid} (removed meanwhile)`);
    const whom = `container ${cid} of sandbox ${sid}`;
    let warnings: string[] = [];
    if (!o.force && isContainer) {
      refuseIfLive(inspectScanned(roots, now.scan, { lockless: true }), 'remove', cid);
      warnings = refuseIfNamed(w.procs, cid, whom, 'remove', o.others ?? 'warn');
      refuseIfBundleMounted(w.mounts, [cid], whom);
    }
    refuseIfMounted(w.mounts, [...paths, ...trash], whom);
    refuseBeyondPlan(o.plan?.(sid), [...paths, ...trash], [], whom);
    requireWritable([...paths, ...trash]);
    if (!o.dryRun) act(paths, trash);
    return { id: sid, container: cid, paths: [...paths, ...trash], dryRun: Boolean(o.dryRun), warnings, unmounts: [] };
  });
}

/** Unfinished removals of a container, inside its sandbox's directories (entries no container can be named are not). */
export function containerTrash(p: { config: string; runtime: string }, cid: string): string[] {
  if (!isContainerName(cid)) return [];
  const out = new Map<string, string[]>();
  for (const dir of [p.config, p.runtime]) if (lstatOrUndef(dir)?.isDirectory()) trashIn(dir, kinds(dir), out);
  return out.get(cid) ?? [];
}
