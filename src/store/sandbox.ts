// Reading sandboxes of the Kata 1.x store: paths, listing, and a summary of
// one sandbox with its containers, hypervisor liveness and lock state. Every
// read is tolerant: a bad item becomes a problem code on that sandbox.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, StoreError, type Holder } from './errors.js';
import { CorruptItemError, listDir, lstatOrUndef, readJson, readRegular, storeDir } from './fsutil.js';
import { isValidId, validateId } from './ids.js';
import { ITEMS, resolveItem, type ItemDef } from './items.js';
import { lockHolders, type LockReport } from './locks.js';
import type { Roots } from './roots.js';

export type Layout = 'legacy';

export interface SandboxPaths {
  config: string;
  runtime: string;
  vm: string;
  lock: string;
}

export function sandboxPaths(roots: Roots, sid: string): SandboxPaths {
  validateId(sid);
  const runtime = join(roots.run, sid);
  return { config: join(roots.config, sid), runtime, vm: join(roots.vm, sid), lock: join(runtime, 'lock') };
}

/** The sandbox lock, unless the run-time root is not a real directory (never lock through a symlink). */
export function safeLockPath(p: { runtime: string; lock: string }): string | null {
  return lstatOrUndef(p.runtime)?.isDirectory() ? p.lock : null;
}

export function containerPaths(roots: Roots, sid: string, cid: string): { config: string; runtime: string } {
  validateId(sid);
  validateId(cid, 'container ID');
  return { config: join(roots.config, sid, cid), runtime: join(roots.run, sid, cid) };
}

/** Path of an item file of a sandbox (cid undefined) or a container. */
export function itemPath(roots: Roots, item: ItemDef, sid?: string, cid?: string): string {
  if (item.root === 'uuid') return join(roots.uuid, item.file);
  if (sid === undefined) throw new NotFoundError(`item ${item.name} belongs to a sandbox: give a sandbox ID`);
  validateId(sid);
  if (cid !== undefined) validateId(cid, 'container ID');
  const base = item.root === 'config' ? roots.config : roots.run;
  return cid === undefined ? join(base, sid, item.file) : join(base, sid, cid, item.file);
}

export interface SandboxEntry {
  id: string;
  inConfig: boolean;
  inRuntime: boolean;
}

/** Sandbox IDs found under either root, sorted. Hidden and invalid names are skipped. */
export function listSandboxes(roots: Roots): SandboxEntry[] {
  const seen = new Map<string, SandboxEntry>();
  const scan = (dir: string, key: 'inConfig' | 'inRuntime') => {
    for (const d of listDir(dir)) {
      if (!(d.isDirectory() || d.isSymbolicLink()) || !isValidId(d.name)) continue;
      let e = seen.get(d.name);
      if (!e) seen.set(d.name, (e = { id: d.name, inConfig: false, inRuntime: false }));
      e[key] = true;
    }
  };
  scan(roots.config, 'inConfig');
  scan(roots.run, 'inRuntime');
  return [...seen.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Container IDs of a sandbox, from both roots; `raw` is not a container. */
export function listContainers(roots: Roots, sid: string): string[] {
  const p = sandboxPaths(roots, sid);
  const ids = new Set<string>();
  for (const dir of [p.config, p.runtime]) {
    for (const d of safeDirEntries(dir)) {
      if (d.isDirectory() && d.name !== 'raw' && isValidId(d.name)) ids.add(d.name);
    }
  }
  return [...ids].sort();
}

function safeDirEntries(dir: string) {
  try {
    if (!storeDir(dir)) return [];
    return listDir(dir);
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------
// Liveness

export interface Liveness {
  pid: number | null;
  alive: boolean | null;
  /** The pid's /proc cmdline names this sandbox (guards against pid reuse). */
  verified: boolean;
  /** The pid is alive but belongs to some other program now. */
  reused: boolean;
}

function signal0(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Is `pid` alive and still the process we expect? `mark` is a string its
 * /proc/<pid>/cmdline must contain (qemu and acrn run with -name
 * sandbox-<sid>; firecracker and cloud-hypervisor sockets carry the sid).
 */
export function probePid(pid: number | null | undefined, mark: string): Liveness {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0)
    return { pid: typeof pid === 'number' ? pid : null, alive: null, verified: false, reused: false };
  if (!signal0(pid)) return { pid, alive: false, verified: false, reused: false };
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return { pid, alive: true, verified: false, reused: false };
  }
  if (cmdline.includes(mark)) return { pid, alive: true, verified: true, reused: false };
  return { pid, alive: false, verified: false, reused: true };
}

/** Hypervisor type from the shape of hypervisor.json (cheap: no 8–50 KB config.json read). */
export function hypervisorTypeOf(hv: unknown): string | null {
  if (!hv || typeof hv !== 'object' || Array.isArray(hv)) return null;
  const k = new Set(Object.keys(hv).map((x) => x.toLowerCase()));
  if (k.has('bridges') || k.has('hotpluggedvcpus') || k.has('hotplugvfioonrootbus')) return 'qemu';
  if (k.has('uuid') && k.has('pid')) return 'acrn';
  if (k.has('pid') && k.has('virtiofsdpid')) return 'clh';
  if (k.has('pid')) return 'firecracker';
  return null;
}

/** Go decodes JSON keys case-insensitively; so do we. */
export function field(obj: unknown, name: string): unknown {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const rec = obj as Record<string, unknown>;
  if (name in rec) return rec[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(rec)) if (k.toLowerCase() === lower) return rec[k];
  return undefined;
}

// ---------------------------------------------------------------------------
// Summary of one sandbox

export interface ContainerInfo {
  id: string;
  state: string | null;
  pid: number | null;
  alive: boolean | null;
  problems: string[];
}

export interface SandboxInfo {
  id: string;
  layout: Layout;
  state: string | null;
  hypervisor: { type: string | null; pid: number | null; alive: boolean | null; verified: boolean };
  containers: ContainerInfo[];
  lock: LockReport & { path: string };
  paths: { config: string | null; runtime: string | null; vm: string | null; lock: string };
  problems: string[];
}

/** Reads an item; returns undefined if absent and records a problem if bad. */
function tryItem(path: string, problems: string[], file: string): unknown {
  try {
    return readJson(path);
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    problems.push(e instanceof CorruptItemError ? `corrupt:${file}` : `unreadable:${file}`);
    return undefined;
  }
}

function readPidFile(path: string, problems: string[]): number | undefined {
  try {
    const n = Number(readRegular(path, 64).toString('latin1').trim());
    if (Number.isInteger(n) && n > 0) return n;
    problems.push('corrupt:vm-pid');
  } catch (e) {
    if (!(e instanceof NotFoundError)) problems.push('unreadable:vm-pid');
  }
  return undefined;
}

export const STATES = ['ready', 'running', 'paused', 'stopped'] as const;
const ACTIVE = new Set(['ready', 'running', 'paused']);

function asInt(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) ? v : null;
}

function inspectContainer(runtimeDir: string | null, cid: string): ContainerInfo {
  const problems: string[] = [];
  let state: string | null = null;
  let pid: number | null = null;
  let alive: boolean | null = null;
  if (runtimeDir) {
    const dir = join(runtimeDir, cid);
    let ok = true;
    try {
      ok = storeDir(dir) !== undefined;
    } catch {
      problems.push('symlink');
      ok = false;
    }
    if (ok) {
      const st = tryItem(join(dir, 'state.json'), problems, 'state.json');
      const s = field(st, 'state');
      state = typeof s === 'string' ? s : null;
      const proc = tryItem(join(dir, 'process.json'), problems, 'process.json');
      pid = asInt(field(proc, 'Pid'));
      const live = probePid(pid, cid);
      alive = live.alive;
      if (alive === false && state && ACTIVE.has(state) && state !== 'ready') problems.push('process-dead');
    }
  }
  return { id: cid, state, pid, alive, problems };
}

export interface InspectContext {
  /** Lock reports for many sandboxes at once (from one /proc/locks read). */
  locks?: Map<string, LockReport>;
}

export function inspectSandbox(roots: Roots, sid: string, ctx: InspectContext = {}): SandboxInfo {
  const p = sandboxPaths(roots, sid);
  const problems: string[] = [];
  const checkDir = (dir: string, code: string): boolean => {
    try {
      return storeDir(dir) !== undefined;
    } catch (e) {
      problems.push(lstatOrUndef(dir)?.isSymbolicLink() ? `symlink:${code}` : `not-a-dir:${code}`);
      if (!(e instanceof StoreError)) throw e;
      return false;
    }
  };
  const hasConfig = checkDir(p.config, 'config');
  const hasRuntime = checkDir(p.runtime, 'runtime');
  const hasVm = lstatOrUndef(p.vm)?.isDirectory() === true;
  if (!hasConfig && !hasRuntime && !problems.length) throw new NotFoundError(`sandbox ${sid} not found`);
  if (!hasConfig && hasRuntime) problems.push('config-missing');
  if (hasConfig && !hasRuntime && !problems.some((x) => x.endsWith(':runtime'))) problems.push('runtime-missing');

  let state: string | null = null;
  let hvType: string | null = null;
  let live: Liveness = { pid: null, alive: null, verified: false, reused: false };
  if (hasRuntime) {
    const st = tryItem(join(p.runtime, 'state.json'), problems, 'state.json');
    const s = field(st, 'state');
    state = typeof s === 'string' ? s : null;
    if (st !== undefined && state === null) problems.push('bad-shape:state.json');
    const hv = tryItem(join(p.runtime, 'hypervisor.json'), problems, 'hypervisor.json');
    hvType = hypervisorTypeOf(hv);
    let pid: number | null | undefined = asInt(field(hv, 'PID'));
    let mark = sid;
    if (hvType === 'qemu' || hvType === 'acrn') mark = `sandbox-${sid}`;
    if (hvType === 'qemu' || (hv === undefined && pid === null)) {
      // qemu keeps no pid in hypervisor.json: /run/vc/vm/<sid>/pid, or the
      // built-in proxy's agent.json ProxyPid (the cmdline check tells qemu
      // apart from a kata-proxy there).
      mark = `sandbox-${sid}`;
      pid = hasVm ? readPidFile(join(p.vm, 'pid'), problems) : undefined;
      if (pid === undefined) {
        const agent = tryItem(join(p.runtime, 'agent.json'), problems, 'agent.json');
        pid = asInt(field(agent, 'ProxyPid'));
      }
    }
    live = probePid(pid, mark);
    if (live.reused && state && ACTIVE.has(state)) problems.push('pid-reused');
    if (state && ACTIVE.has(state) && live.alive !== true) {
      if (live.alive === false || hvType !== null) problems.push('hypervisor-dead');
    }
  }

  const containers = listContainers(roots, sid).map((cid) => inspectContainer(hasRuntime ? p.runtime : null, cid));
  for (const c of containers) if (c.problems.length) problems.push(...c.problems.map((x) => `container:${c.id}:${x}`));

  const lock = (ctx.locks ?? lockHolders([p.lock])).get(p.lock) ?? { held: false, holders: [] as Holder[], visible: true };
  return {
    id: sid,
    layout: 'legacy',
    state,
    hypervisor: { type: hvType, pid: live.pid, alive: live.alive, verified: live.verified },
    containers,
    lock: { ...lock, path: p.lock },
    paths: { config: hasConfig ? p.config : null, runtime: hasRuntime ? p.runtime : null, vm: hasVm ? p.vm : null, lock: p.lock },
    problems,
  };
}

/** Inspect every sandbox, with one /proc/locks read for all of them. */
export function inspectAll(roots: Roots): SandboxInfo[] {
  const entries = listSandboxes(roots);
  const locks = lockHolders(entries.map((e) => join(roots.run, e.id, 'lock')));
  return entries.map((e) => inspectSandbox(roots, e.id, { locks }));
}

export { resolveItem };
const ITEMS_FOR_LISTING = ITEMS.filter((i) => i.root !== 'uuid');

// ---------------------------------------------------------------------------
// Item files and raw items present in a store directory

export interface ItemFile {
  root: 'config' | 'runtime';
  name: string;
  file: string;
  path: string;
  size: number;
  mtime: string;
}

/** The known item files present in `dir` (one store root of a sandbox or container). */
export function presentItems(dir: string | null, root: 'config' | 'runtime'): ItemFile[] {
  if (!dir) return [];
  const out: ItemFile[] = [];
  const seen = new Set<string>();
  for (const def of ITEMS_FOR_LISTING) {
    if (seen.has(def.file)) continue;
    seen.add(def.file);
    const path = join(dir, def.file);
    const st = lstatOrUndef(path);
    if (!st) continue;
    out.push({ root, name: def.name, file: def.file, path, size: st.size, mtime: st.mtime.toISOString() });
  }
  return out;
}

export interface RawItem {
  name: string;
  path: string;
  url: string;
  size: number;
}

export function rawItems(storeRoot: string | null): RawItem[] {
  if (!storeRoot) return [];
  const dir = join(storeRoot, 'raw');
  try {
    if (!storeDir(dir)) return [];
  } catch {
    return [];
  }
  return listDir(dir)
    .filter((d) => !d.name.startsWith('.'))
    .map((d) => {
      const path = join(dir, d.name);
      return { name: d.name, path, url: `file://${path}`, size: lstatOrUndef(path)?.size ?? 0 };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

export interface Target {
  sid: string;
  cid?: string;
  item?: ItemDef;
}

/**
 * `SID [CID] [ITEM]`: with two arguments the second is a container when one
 * of that name exists, else an item name, else a (missing) container.
 */
export function resolveTarget(roots: Roots, sid: string, a?: string, b?: string): Target {
  validateId(sid);
  if (a === undefined) return { sid };
  if (b !== undefined) return { sid, cid: validateId(a, 'container ID'), item: resolveItem(b) };
  const isContainer =
    isValidId(a) &&
    (lstatOrUndef(join(roots.config, sid, a))?.isDirectory() || lstatOrUndef(join(roots.run, sid, a))?.isDirectory());
  if (isContainer) return { sid, cid: a };
  try {
    return { sid, item: resolveItem(a) };
  } catch (e) {
    if (isValidId(a)) return { sid, cid: a };
    throw e;
  }
}
