// One pass over the whole store for leaked and stuck state: what operators
// otherwise find by comparing `ls /run/vc/sbs /var/lib/vc/sbs /run/vc/vm`
// with `ps`. Per-sandbox findings are the problems inspection produced; this
// adds only the store-wide ones (orphan VM dirs, the UUID store). Looking
// takes no lock; fixing takes each sandbox's lock without waiting and never
// touches what is live, held, mounted or cannot be told.
import { join } from 'node:path';
import { InterruptedError, NotFoundError, RefusedError, VcError } from '../fs/errors.js';
import { lstatOrUndef } from '../fs/read.js';
import { removeTree } from '../ops/trash.js';
import { withLock } from '../host/guard.js';
import { STATES } from '../layouts/items.js';
import { forEachSandboxAsync, inspectScanned, type AsyncListing, type SandboxInfo } from './inspect.js';
import { rootListing } from '../read/scan.js';
import { parallelListing, runListWorker, yieldToSignals, type ListJob } from './listing.js';
import { HostIndex } from '../host/picture.js';
import { unmountAll, unmountOrder } from '../host/unmount.js';
import { readPidFile, cmdlineMark } from '../layouts/legacy.js';
import { probePid, processAgeSecs, provablyDead } from '../host/liveness.js';
import { MountTable } from '../host/mounts.js';
import { problem, type Problem } from '../read/problems.js';
import type { ProcTable } from '../host/procs.js';
import { openSandbox } from './handle.js';
import { removeContainer, removeSandbox } from '../ops/remove.js';
import type { Roots } from '../fs/roots.js';
import { acrnUserOf, freeUuidSlot, readUuidStore, type AcrnUser } from './uuid.js';
import { refuseIfMounted, refuseIfNamed } from '../ops/witness.js';

export interface Finding extends Problem {
  /** Sandbox ID, or `slot-N` / `uuid` for the UUID store. */
  id: string;
  fixable: boolean;
}

const FIXABLE = new Set(['hypervisor-dead', 'empty-shell', 'config-shell', 'orphan-vm-dir', 'uuid-leaked', 'removal-unfinished', 'mounts-leaked', 'shared-dir-leaked']);
/** Findings settled by removing the whole sandbox. */
const REMOVAL = new Set(['hypervisor-dead', 'empty-shell', 'removal-unfinished']);

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

const finding = (id: string, p: Problem): Finding => ({ ...p, id, fixable: FIXABLE.has(p.code) });

/** Young generation of a check worker, in MiB. */
const YOUNG_MB = Number(process.env.VCSTORE_WORKER_YOUNG_MB) || 6;

/** What check keeps of one inspected sandbox (the worker sends the same back). */
export interface Checked {
  id: string;
  layout: string;
  state: string | null;
  problems: Problem[];
  acrn: AcrnUser | null;
  lockHeld: boolean;
  holders: { waiting: boolean; age: number }[];
}

export function checked(s: SandboxInfo): Checked {
  return {
    id: s.id,
    layout: s.layout,
    state: s.state,
    problems: s.problems,
    acrn: acrnUserOf(s),
    lockHeld: s.lock.held,
    holders: s.lock.holders.map((h) => ({ waiting: h.waiting, age: processAgeSecs(h.pid) ?? 0 })),
  };
}

/** One streaming pass over every sandbox, then the VM dirs and the UUID store. */
export async function check(roots: Roots, o: { stuckAfter: number; host?: HostIndex; onWorkerFailure?: (e: Error) => void } & AsyncListing): Promise<CheckReport> {
  const findings: Finding[] = [];
  const host = o.host ?? new HostIndex(roots);
  const stats: CheckStats = { sandboxes: new Map(), locksHeld: 0, lockWaiters: 0, oldestHolderAge: 0, oldestWaiterAge: 0, uuid: null };
  const known = new Set<string>();
  const users: AcrnUser[] = [];
  const add = (c: Checked) => {
    known.add(c.id);
    const key = `${c.layout} ${c.state === null ? 'none' : KNOWN_STATES.has(c.state) ? c.state : 'other'}`;
    stats.sandboxes.set(key, (stats.sandboxes.get(key) ?? 0) + 1);
    if (c.lockHeld) stats.locksHeld++;
    for (const h of c.holders) {
      if (h.waiting) {
        stats.lockWaiters++;
        stats.oldestWaiterAge = Math.max(stats.oldestWaiterAge, h.age);
      } else stats.oldestHolderAge = Math.max(stats.oldestHolderAge, h.age);
    }
    if (c.acrn) users.push(c.acrn);
    for (const p of c.problems) findings.push(finding(c.id, p));
  };
  // From PARALLEL_MIN sandboxes on, two worker threads check a half each on
  // the two cores (reading every config.json is most of the work), each with
  // a small young generation, and this thread only merges, in the listing's
  // order: measured faster than one thread and smaller than this thread
  // taking a half itself (its own young generation is Node's default).
  const entries = rootListing(roots);
  if (parallelListing(entries.length)) {
    const half = Math.ceil(entries.length / 2);
    const job = (slice: typeof entries): ListJob => ({ roots, entries: slice, mode: 'check', host: host.snapshot(), stuckAfter: o.stuckAfter });
    const done = [0, 0];
    const tell = (k: number) => (n: number) => {
      done[k] = n;
      o.onProgress?.(done[0]! + done[1]!, entries.length);
    };
    const slices = [entries.slice(0, half), entries.slice(half)];
    // A small young generation: each worker streams thousands of config.json
    // through it, and a large one only costs resident memory (BENCHMARKS.md).
    const inWorker = (k: number) => runListWorker<Checked>(job(slices[k]!), { signal: o.signal, onProgress: tell(k), youngMb: YOUNG_MB });
    const parts = [inWorker(0), inWorker(1)];
    parts.forEach((p) => p.catch(() => {}));
    for (let k = 0; k < 2; k++) {
      let got: (Checked | null)[] | null;
      try {
        got = await parts[k]!;
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
    await forEachSandboxAsync(roots, (s) => add(checked(s)), { deep: true, stuckAfter: o.stuckAfter, host, signal: o.signal, entries, onProgress: o.onProgress });
  const count = entries.length;
  // What is left on the host of sandboxes that have no store at all.
  for (const sid of host.strays(known)) {
    const pic = host.of(sid);
    const runtime = pic.processes.filter((p) => p.role !== 'other');
    if (runtime.length) findings.push(finding(sid, problem('processes-orphaned', { processes: runtime.map((p) => ({ pid: p.pid, role: p.role, command: p.command })) })));
    // Mounts a live shim or virtiofsd still serves are in use: the orphaned process is the finding.
    if (pic.mounts.length && !runtime.length) findings.push(finding(sid, problem('mounts-leaked', { count: pic.mounts.length, mountPoints: pic.mounts.slice(0, 5).map((m) => m.mountPoint), shared: pic.shared?.path ?? null })));
    else if (!pic.mounts.length && pic.shared && !pic.processes.length) findings.push(finding(sid, problem('shared-dir-leaked', { path: pic.shared.path })));
  }
  for (const sid of host.vmIds()) {
    if (known.has(sid)) continue;
    const dir = join(roots.vm, sid);
    const src = readPidFile(join(dir, 'pid'));
    const live = src?.pid ? probePid(src.pid, cmdlineMark('qemu', sid)) : undefined;
    if (live?.alive !== false && live !== undefined) findings.push(finding(sid, problem('orphan-vm-live', { path: dir, pid: live.pid, ...(live.unknown ? { why: live.unknown } : {}) })));
    else findings.push(finding(sid, problem('orphan-vm-dir', { path: dir })));
  }
  try {
    const u = readUuidStore(roots, users);
    stats.uuid = { busy: u.slots.filter((x) => x.busy).length, leaked: u.slots.filter((x) => x.leaked).length, free: u.slots.filter((x) => !x.busy).length };
    for (const slot of u.slots.filter((x) => x.leaked)) findings.push(finding(`slot-${slot.slot}`, problem('uuid-leaked', { path: u.path, slot: slot.slot, uuid: slot.uuid })));
  } catch (e) {
    if (!(e instanceof NotFoundError)) findings.push(finding('uuid', problem('uuid-store-bad', { detail: (e as Error).message })));
  }
  return { sandboxes: count, findings, acrnUsers: users, host, stats };
}

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
  const would = (real: 'removed' | 'freed' | 'unmounted'): FixAction['action'] => (o.dryRun ? (`would-${real === 'removed' ? 'remove' : real === 'freed' ? 'free' : 'unmount'}` as FixAction['action']) : real);
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
        act(f, r.paths.length ? would('removed') : would('unmounted'), r.paths, r.store ? 'hypervisor, shim and virtiofsd are gone' : 'no sandbox store and no process names it', r.unmounts);
      } else {
        const opts = { wait: 0, dryRun: o.dryRun, signal: o.signal, procs: o.procs, mounts: o.mounts, others: 'refuse' as const, unmount: true };
        const r = f.container ? await removeContainer(roots, f.id, f.container, opts) : await removeSandbox(roots, f.id, opts);
        act(f, would('removed'), r.paths, f.code === 'removal-unfinished' ? 'finished an unfinished removal' : f.code === 'empty-shell' ? 'empty shell' : f.code === 'hypervisor-dead' ? 'hypervisor dead' : 'provably dead', r.unmounts);
      }
    } catch (e) {
      if (o.signal?.aborted) return { actions, interrupted: o.signal.reason as InterruptedError };
      if (!(e instanceof VcError)) throw e;
      act(f, 'left', [], e instanceof NotFoundError ? 'already gone' : e.message);
    }
  }
  const removed = new Set(actions.filter((a) => (a.action === 'removed' || a.action === 'would-remove') && !a.container && a.code !== 'orphan-vm-dir').map((a) => a.id));
  try {
    const u = readUuidStore(roots, report.acrnUsers.filter((x) => !removed.has(x.id)));
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
  if (lstatOrUndef(h.paths.config) || lstatOrUndef(h.paths.runtime)) throw new VcError('a sandbox store appeared meanwhile', 5);
  const st = lstatOrUndef(dir);
  if (!st) throw new NotFoundError(`${dir} is gone`);
  if (!st.isDirectory()) throw new VcError(`${dir} is not a directory (a symbolic link?)`, 1);
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
  const leak = () => {
    const pic = host.of(sid);
    const unmounts = unmountOrder(pic.mounts.map((m) => m.mountPoint));
    const shared = !store && pic.shared ? [pic.shared.path] : [];
    if (!o.dryRun) {
      if (unmounts.length) unmountAll(unmounts);
      for (const p of shared) removeTree(p);
    }
    return { store, unmounts, paths: shared };
  };
  if (!store) return leak();
  return withLock(h.lock, { mode: 'exclusive', wait: 0, signal: o.signal, label: `sandbox ${sid}` }, () => {
    const live = inspectScanned(roots, openSandbox(roots, sid).scan, { lockless: true }).hypervisor;
    if (!provablyDead(live))
      throw new VcError(live.alive ? `its hypervisor pid ${live.pid} is alive` : `cannot tell whether its hypervisor is alive (${live.unknown})`, 5);
    return leak();
  });
}
