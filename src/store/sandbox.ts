// Reading sandboxes of the Kata 1.x store: paths, listing, and a summary of
// one sandbox with its containers, hypervisor liveness and lock state. Every
// read is tolerant: a bad item becomes a problem code on that sandbox.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, StoreError, UsageError, type Holder } from './errors.js';
import { CorruptItemError, listDir, lstatOrUndef, readJson, readRegular, storeDir } from './fsutil.js';
import { isValidId, validateId } from './ids.js';
import { ITEMS, resolveItem, type ItemDef } from './items.js';
import { lockHolders, type LockReport } from './locks.js';
import type { Roots } from './roots.js';

/**
 * legacy: Kata 1.x up to 1.10 (state.json + lock); persist: 1.11+ and 2.x
 * (persist.json, flock on the sandbox dir); runtime-rs: 3.x (/run/kata/<sid>/state.json, no lock).
 */
export type Layout = 'legacy' | 'persist' | 'runtime-rs';

/** Which layout a sandbox is in, from the files present. A store may mix them. */
export function detectLayout(roots: Roots, sid: string): Layout {
  validateId(sid);
  if (lstatOrUndef(join(roots.run, sid, 'persist.json'))) return 'persist';
  const kata = join(roots.kata, sid);
  if (lstatOrUndef(join(kata, 'state.json')) || (lstatOrUndef(kata) && !lstatOrUndef(join(roots.run, sid)) && !lstatOrUndef(join(roots.config, sid))))
    return 'runtime-rs';
  return 'legacy';
}

/**
 * What the runtime flocks for this sandbox: the run-time `lock` file (legacy),
 * the run-time directory itself (persist), nothing (runtime-rs). Null also
 * when the run-time root is missing or not a real directory: never lock
 * through a symlink.
 */
export function lockTarget(roots: Roots, sid: string, layout: Layout = detectLayout(roots, sid)): string | null {
  if (layout === 'runtime-rs') return null;
  const run = join(roots.run, sid);
  if (lstatOrUndef(run)?.isDirectory() !== true) return null;
  return layout === 'persist' ? run : join(run, 'lock');
}

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
  inKata?: boolean;
}

/** Sandbox IDs found under either root, sorted. Hidden and invalid names are skipped. */
export function listSandboxes(roots: Roots): SandboxEntry[] {
  const seen = new Map<string, SandboxEntry>();
  const scan = (dir: string, key: 'inConfig' | 'inRuntime' | 'inKata') => {
    for (const d of listDir(dir)) {
      if (!(d.isDirectory() || d.isSymbolicLink()) || !isValidId(d.name)) continue;
      let e = seen.get(d.name);
      if (!e) seen.set(d.name, (e = { id: d.name, inConfig: false, inRuntime: false }));
      e[key] = true;
    }
  };
  scan(roots.config, 'inConfig');
  scan(roots.run, 'inRuntime');
  scan(roots.kata, 'inKata');
  for (const e of seen.values()) if (!e.inKata) delete e.inKata;
  return [...seen.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Container IDs of a sandbox, from both roots; `raw` is not a container. */
export function listContainers(roots: Roots, sid: string, layout: Layout = 'legacy'): string[] {
  const p = sandboxPaths(roots, sid);
  const ids = new Set<string>();
  if (layout === 'runtime-rs') return [];
  for (const dir of layout === 'persist' ? [p.runtime] : [p.config, p.runtime]) {
    for (const d of safeDirEntries(dir)) {
      if (!d.isDirectory() || d.name === 'raw' || !isValidId(d.name)) continue;
      if (layout === 'persist' && !lstatOrUndef(join(dir, d.name, 'persist.json'))) continue;
      ids.add(d.name);
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
  /** `path` is what the runtime flocks (file or directory), null when it takes none. */
  lock: LockReport & { path: string | null };
  paths: { config: string | null; runtime: string | null; vm: string | null; lock: string | null };
  problems: string[];
  /** ACRN: the VM UUID slot this sandbox holds (not in the JSON output). */
  acrnUuid?: string;
}

/** Reads an item; returns undefined if absent and records a problem if bad. */
export function tryItem(path: string, problems: string[], file: string): unknown {
  try {
    return readJson(path);
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    problems.push(e instanceof CorruptItemError ? `corrupt:${file}` : `unreadable:${file}`);
    return undefined;
  }
}

export function readPidFile(path: string, problems: string[]): number | undefined {
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
export const ACTIVE = new Set(['ready', 'running', 'paused']);

export function asInt(v: unknown): number | null {
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
  const layout = detectLayout(roots, sid);
  if (layout !== 'legacy') return inspectOther(roots, sid, layout, ctx);
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
  let acrnUuid: string | undefined;
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
    livenessProblems(live, state, hvType, problems);
    if (hvType === 'acrn') {
      const u = field(hv, 'UUID');
      if (typeof u === 'string') acrnUuid = u;
    }
  }

  const containers = listContainers(roots, sid).map((cid) => inspectContainer(hasRuntime ? p.runtime : null, cid));
  for (const c of containers) if (c.problems.length) problems.push(...c.problems.map((x) => `container:${c.id}:${x}`));

  const target = hasRuntime ? p.lock : null;
  const info: SandboxInfo = {
    id: sid,
    layout: 'legacy',
    state,
    hypervisor: { type: hvType, pid: live.pid, alive: live.alive, verified: live.verified },
    containers,
    lock: { ...lockReport(target, ctx), path: target },
    paths: { config: hasConfig ? p.config : null, runtime: hasRuntime ? p.runtime : null, vm: hasVm ? p.vm : null, lock: target },
    problems,
  };
  if (acrnUuid) info.acrnUuid = acrnUuid;
  return info;
}

function lockReport(target: string | null, ctx: InspectContext): LockReport {
  const none = { held: false, holders: [] as Holder[], visible: true };
  if (target === null) return none;
  return (ctx.locks ?? lockHolders([target])).get(target) ?? none;
}

export function livenessProblems(live: Liveness, state: string | null, hvType: string | null, problems: string[]): void {
  if (live.reused && state && ACTIVE.has(state)) problems.push('pid-reused');
  if (state && ACTIVE.has(state) && live.alive !== true) {
    if (live.alive === false || hvType !== null) problems.push('hypervisor-dead');
  }
}

/** Inspect every sandbox, with one /proc/locks read for all of them. */
export function inspectAll(roots: Roots): SandboxInfo[] {
  const entries = listSandboxes(roots);
  const targets = entries.map((e) => lockTarget(roots, e.id)).filter((t): t is string => t !== null);
  const locks = lockHolders(targets);
  return entries.map((e) => inspectSandbox(roots, e.id, { locks }));
}

// ---------------------------------------------------------------------------
// Persist (Kata 1.11+, 2.x) and runtime-rs (Kata 3.x)

/** The sections of persist.json that `show SID ITEM` accepts as items. */
export const PERSIST_SECTIONS: Record<string, string> = {
  hypervisor: 'HypervisorState',
  agent: 'AgentState',
  network: 'Network',
  devices: 'Devices',
  config: 'Config',
};
export const PERSIST_CONTAINER_SECTIONS: Record<string, string> = {
  process: 'Process',
  mounts: 'Mounts',
  devices: 'DeviceMaps',
  rootfs: 'Rootfs',
};
export const RUNTIME_RS_SECTIONS: Record<string, string> = { hypervisor: 'hypervisor', resource: 'resource' };

function inspectOther(roots: Roots, sid: string, layout: 'persist' | 'runtime-rs', ctx: InspectContext): SandboxInfo {
  const problems: string[] = [];
  const p = sandboxPaths(roots, sid);
  const dir = layout === 'persist' ? p.runtime : join(roots.kata, sid);
  let real = false;
  try {
    real = storeDir(dir) !== undefined;
  } catch {
    problems.push(lstatOrUndef(dir)?.isSymbolicLink() ? 'symlink:runtime' : 'not-a-dir:runtime');
  }
  if (!real && !problems.length) throw new NotFoundError(`sandbox ${sid} not found`);
  const hasVm = lstatOrUndef(p.vm)?.isDirectory() === true;
  let hasConfig = false;
  try {
    hasConfig = storeDir(p.config) !== undefined;
  } catch {
    problems.push('symlink:config');
  }
  const file = layout === 'persist' ? 'persist.json' : 'state.json';
  const doc = real ? tryItem(join(dir, file), problems, file) : undefined;
  let state: string | null = null;
  let type: string | null = null;
  let pid: number | null | undefined = null;
  let acrnUuid: string | undefined;
  if (layout === 'persist') {
    const st = field(doc, 'State');
    state = typeof st === 'string' ? st : null;
    const hv = field(doc, 'HypervisorState');
    const t = field(hv, 'Type');
    type = typeof t === 'string' && t ? t : null;
    pid = asInt(field(hv, 'Pid'));
    if ((pid === null || pid <= 0) && hasVm) pid = readPidFile(join(p.vm, 'pid'), problems);
    const u = field(hv, 'UUID');
    if (type === 'acrn' && typeof u === 'string' && u) acrnUuid = u;
  } else {
    const hv = field(doc, 'hypervisor');
    const t = field(hv, 'hypervisor_type');
    type = typeof t === 'string' && t ? t : null;
    pid = asInt(field(hv, 'pid'));
    const st = field(doc, 'state');
    state = typeof st === 'string' ? st : null;
  }
  if (doc !== undefined && layout === 'persist' && state === null) problems.push(`bad-shape:${file}`);
  const live = probePid(pid, type === 'qemu' || type === 'acrn' ? `sandbox-${sid}` : sid);
  livenessProblems(live, state, type, problems);
  // runtime-rs records no state: a dead hypervisor is a problem on its own.
  if (layout === 'runtime-rs' && live.alive === false && !problems.includes('hypervisor-dead')) problems.push('hypervisor-dead');

  const containers: ContainerInfo[] = listContainers(roots, sid, layout).map((cid) => {
    const cp: string[] = [];
    const cdoc = tryItem(join(dir, cid, 'persist.json'), cp, 'persist.json');
    const cs = field(cdoc, 'State');
    const cstate = typeof cs === 'string' ? cs : null;
    const cpid = asInt(field(field(cdoc, 'Process'), 'Pid'));
    const clive = probePid(cpid, cid);
    if (clive.alive === false && (cstate === 'running' || cstate === 'paused')) cp.push('process-dead');
    return { id: cid, state: cstate, pid: cpid, alive: clive.alive, problems: cp };
  });
  for (const c of containers) if (c.problems.length) problems.push(...c.problems.map((x) => `container:${c.id}:${x}`));

  const target = real ? lockTarget(roots, sid, layout) : null;
  const info: SandboxInfo = {
    id: sid,
    layout,
    state,
    hypervisor: { type, pid: live.pid, alive: live.alive, verified: live.verified },
    containers,
    lock: { ...lockReport(target, ctx), path: target },
    paths: { config: hasConfig ? p.config : null, runtime: real ? dir : null, vm: hasVm ? p.vm : null, lock: target },
    problems,
  };
  if (acrnUuid) info.acrnUuid = acrnUuid;
  return info;
}

export { resolveItem };
const ITEMS_FOR_LISTING = ITEMS.filter((i) => i.root !== 'uuid');

/**
 * One section of a persist.json or runtime-rs state.json, as `show SID ITEM`
 * prints it. `state` is the document without its big sections; `persist`
 * (or the file name) is the whole document.
 */
export function readSection(roots: Roots, sid: string, cid: string | undefined, layout: 'persist' | 'runtime-rs', name: string): { path: string; value: unknown } {
  const dir = layout === 'persist' ? join(roots.run, sid) : join(roots.kata, sid);
  const file = layout === 'persist' ? 'persist.json' : 'state.json';
  const path = cid === undefined ? join(dir, file) : join(dir, cid, file);
  let key = name.toLowerCase();
  try {
    key = resolveItem(name).aliases[0] ?? key;
  } catch {
    /* a section name that is no 1.x item: rootfs, resource, persist */
  }
  const sections = layout === 'runtime-rs' ? RUNTIME_RS_SECTIONS : cid === undefined ? PERSIST_SECTIONS : PERSIST_CONTAINER_SECTIONS;
  const whole = key === file || key === 'persist' || (layout === 'runtime-rs' && key === 'state');
  if (!whole && key !== 'state' && !(key in sections))
    throw new UsageError(`unknown item ${JSON.stringify(name)} for the ${layout} layout: one of state, ${Object.keys(sections).join(', ')}, ${layout === 'persist' ? 'persist' : 'state.json'}`);
  let doc: unknown;
  try {
    doc = readJson(path);
  } catch (e) {
    if (e instanceof NotFoundError) throw new NotFoundError(`${cid ? `container ${cid}` : `sandbox ${sid}`}: ${path} not found`);
    throw e;
  }
  if (whole) return { path, value: doc };
  if (key === 'state') {
    const rest: Record<string, unknown> = {};
    const big = new Set(Object.values(sections).map((x) => x.toLowerCase()));
    for (const [k, v] of Object.entries((doc ?? {}) as Record<string, unknown>)) if (!big.has(k.toLowerCase())) rest[k] = v;
    return { path, value: rest };
  }
  const v = field(doc, sections[key]!);
  if (v === undefined) throw new NotFoundError(`${path} has no ${sections[key]} section`);
  return { path, value: v };
}

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
export function presentItems(dir: string | null, root: 'config' | 'runtime', layout: Layout = 'legacy'): ItemFile[] {
  if (!dir) return [];
  const out: ItemFile[] = [];
  const seen = new Set<string>();
  const defs =
    layout === 'legacy' ? ITEMS_FOR_LISTING : [{ name: layout === 'persist' ? 'Persist' : 'State', file: layout === 'persist' ? 'persist.json' : 'state.json' }];
  for (const def of defs) {
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
