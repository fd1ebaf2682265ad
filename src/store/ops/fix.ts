// check --fix: remove what a check found and what is provably safe to
// remove. The check's picture only chooses what to try: each action takes
// its sandbox's lock without waiting and decides again under it, and never
// touches what is live, held, mounted or cannot be told.
import { join } from 'node:path';
import { type InterruptedError, NotFoundError, RefusedError, StoreError, VcError } from '../fs/errors.js';
import { lstatOrUndef } from '../fs/read.js';
import type { Roots } from '../fs/roots.js';
import { withLock } from '../host/guard.js';
import { provablyDead } from '../host/liveness.js';
import type { MountTable } from '../host/mounts.js';
import type { HostIndex } from '../host/picture.js';
import type { ProcTable } from '../host/procs.js';
import { unmountAll, unmountOrder } from '../host/unmount.js';
import { finding, type CheckReport, type Finding } from '../inspect/check.js';
import { openSandbox } from '../inspect/handle.js';
import { inspectScanned } from '../inspect/inspect.js';
import { readUuidStore } from '../inspect/uuid.js';
import { yieldToSignals } from '../inspect/listing.js';
import { problem } from '../read/problems.js';
import { removeContainer, removeSandbox } from './remove.js';
import { removeTree } from './trash.js';
import { freeUuidSlot } from './uuid.js';
import { refuseIfMounted, refuseIfNamed } from './witness.js';

/** Findings settled by removing the whole sandbox. */
const REMOVAL = new Set(['hypervisor-dead', 'empty-shell', 'removal-unfinished']);

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
  /** After each fixable finding: done of total. */
  onProgress?: (done: number, total: number) => void;
  dryRun: boolean;
  signal?: AbortSignal;
  procs: ProcTable;
  mounts: MountTable;
}

/**
 * Remove what is provably safe: dead sandboxes, empty shells, orphan VM
 * dirs, unfinished removals, then leaked UUID slots. Stops between two
 * sandboxes on SIGINT/SIGTERM and says so (`interrupted`).
 */
export async function fix(roots: Roots, report: CheckReport, o: FixOptions): Promise<{ actions: FixAction[]; interrupted?: InterruptedError }> {
  const actions: FixAction[] = [];
  const done = new Set<string>();
  const act = (f: Finding, action: FixAction['action'], paths: string[], reason: string, unmounts: string[] = []) => {
    const a: FixAction = { code: f.code, id: f.id, action, paths, reason };
    if (f.container) a.container = f.container;
    if (unmounts.length) a.unmounts = unmounts;
    actions.push(a);
  };
  const would = (real: 'removed' | 'freed' | 'unmounted'): FixAction['action'] =>
    o.dryRun ? (`would-${real === 'removed' ? 'remove' : real === 'freed' ? 'free' : 'unmount'}` as FixAction['action']) : real;
  // A sandbox that is removed has its mounts detached by the removal itself.
  const removing = new Set(report.findings.filter((f) => REMOVAL.has(f.code) && !f.container).map((f) => f.id));
  const todo = report.findings.filter((f) => f.fixable && f.code !== 'uuid-leaked');
  let handled = 0;
  for (const f of todo) {
    o.onProgress?.(handled++, todo.length);
    const group = REMOVAL.has(f.code) || ((f.code === 'mounts-leaked' || f.code === 'shared-dir-leaked') && removing.has(f.id)) ? 'remove' : f.code;
    const key = `${group}:${f.id}/${f.container ?? ''}`;
    if (done.has(key)) continue;
    await yieldToSignals();
    if (o.signal?.aborted) return { actions, interrupted: o.signal.reason as InterruptedError };
    done.add(key);
    try {
      if (f.code === 'orphan-vm-dir') act(f, would('removed'), fixVmDir(roots, f.id, o), 'no sandbox store, hypervisor not running');
      else if (f.code === 'config-shell') act(f, would('removed'), await fixConfigShell(roots, f.id, o), 'empty config shell next to a persist sandbox');
      else if (group !== 'remove') {
        const r = await fixHostLeak(roots, f.id, report.host, o);
        act(
          f,
          r.paths.length ? would('removed') : would('unmounted'),
          r.paths,
          r.store ? 'hypervisor, shim and virtiofsd are gone' : 'no sandbox store and no process names it',
          r.unmounts,
        );
      } else {
        const opts = { wait: 0, dryRun: o.dryRun, signal: o.signal, procs: o.procs, mounts: o.mounts, others: 'refuse' as const, unmount: true };
        const r = f.container ? await removeContainer(roots, f.id, f.container, opts) : await removeSandbox(roots, f.id, opts);
        act(
          f,
          would('removed'),
          r.paths,
          f.code === 'removal-unfinished'
            ? 'finished an unfinished removal'
            : f.code === 'empty-shell'
              ? 'empty shell'
              : f.code === 'hypervisor-dead'
                ? 'hypervisor dead'
                : 'provably dead',
          r.unmounts,
        );
      }
    } catch (e) {
      if (o.signal?.aborted) return { actions, interrupted: o.signal.reason as InterruptedError };
      if (!(e instanceof VcError)) throw e;
      act(f, 'left', [], e instanceof NotFoundError ? 'already gone' : e.message);
    }
  }
  const removed = new Set(
    actions.filter((a) => (a.action === 'removed' || a.action === 'would-remove') && !a.container && a.code !== 'orphan-vm-dir').map((a) => a.id),
  );
  try {
    const u = readUuidStore(
      roots,
      report.acrnUsers.filter((x) => !removed.has(x.id)),
    );
    for (const slot of u.slots.filter((x) => x.leaked)) {
      const f = finding(`slot-${slot.slot}`, problem('uuid-leaked', { slot: slot.slot }));
      try {
        const r = await freeUuidSlot(roots, slot.slot, { wait: 0, dryRun: o.dryRun, signal: o.signal });
        if (r.changed) act(f, would('freed'), [u.path], 'no live sandbox uses it');
      } catch (e) {
        if (!(e instanceof VcError)) throw e;
        act(f, 'left', [u.path], e.message);
      }
    }
  } catch (e) {
    if (!(e instanceof VcError)) throw e;
  }
  for (const f of report.findings) {
    if (f.fixable || f.severity === 'info' || removed.has(f.id)) continue;
    act(f, 'left', [], 'needs a person: not safe to fix automatically');
  }
  return { actions };
}

function fixVmDir(roots: Roots, sid: string, o: FixOptions): string[] {
  const h = openSandbox(roots, sid);
  const dir = h.paths.vm;
  if (lstatOrUndef(h.paths.config) || lstatOrUndef(h.paths.runtime)) throw new RefusedError('a sandbox store appeared meanwhile');
  const st = lstatOrUndef(dir);
  if (!st) throw new NotFoundError(`${dir} is gone`);
  if (!st.isDirectory()) throw new StoreError(`${dir} is not a directory (a symbolic link?)`, { path: dir });
  refuseIfNamed(o.procs, sid, `VM dir ${dir}`, 'remove', 'refuse');
  refuseIfMounted(o.mounts, [dir], `VM dir ${dir}`);
  if (!o.dryRun) removeTree(dir);
  return [dir];
}

async function fixConfigShell(roots: Roots, sid: string, o: FixOptions): Promise<string[]> {
  const h = openSandbox(roots, sid);
  return withLock(h.lock, { mode: 'exclusive', wait: 0, signal: o.signal, label: `sandbox ${sid}` }, () => {
    if (!lstatOrUndef(h.paths.config)?.isDirectory()) throw new NotFoundError('gone');
    refuseIfMounted(o.mounts, [h.paths.config], `config shell ${h.paths.config}`);
    if (!o.dryRun) removeTree(h.paths.config);
    return [h.paths.config];
  });
}

/**
 * Leaked mounts and shared dirs, when provably dead: no process at all names
 * the sandbox, and either it has no store, or its liveness is known dead
 * under its lock (taken without waiting). Mounts go deepest first; then the
 * shared dir of a sandbox without a store, never entering a mount left.
 */
async function fixHostLeak(roots: Roots, sid: string, host: HostIndex, o: FixOptions): Promise<{ store: boolean; unmounts: string[]; paths: string[] }> {
  const h = openSandbox(roots, sid);
  const store = [h.paths.config, h.paths.runtime, join(roots.kata, sid)].some((p) => lstatOrUndef(p));
  refuseIfNamed(o.procs, sid, `sandbox ${sid}`, 'clean up', 'refuse');
  // Without mountinfo, which mounts there are cannot be told: nothing is touched.
  if (o.mounts.mounts === null) throw new RefusedError(`leaving sandbox ${sid}: /proc/self/mountinfo cannot be read, so its mounts cannot be told`);
  const leak = async () => {
    const pic = host.of(sid);
    const unmounts = unmountOrder(pic.mounts.map((m) => m.mountPoint));
    const shared = !store && pic.shared ? [pic.shared.path] : [];
    if (!o.dryRun) {
      if (unmounts.length) await unmountAll(unmounts, o.signal);
      for (const p of shared) removeTree(p);
    }
    return { store, unmounts, paths: shared };
  };
  if (!store) return leak();
  return withLock(h.lock, { mode: 'exclusive', wait: 0, signal: o.signal, label: `sandbox ${sid}` }, () => {
    const live = inspectScanned(roots, openSandbox(roots, sid).scan, { lockless: true }).hypervisor;
    if (!provablyDead(live))
      throw new RefusedError(live.alive ? `its hypervisor pid ${live.pid} is alive` : `cannot tell whether its hypervisor is alive (${live.unknown})`);
    return leak();
  });
}
