// Reading sandboxes in all three layouts (Kata 1.x store, persist, runtime-rs):
// paths, listing, and a summary of one sandbox with its containers, hypervisor
// liveness and lock state. Every read is tolerant: a bad item becomes a
// problem code on that sandbox, never a failed listing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, UsageError, type Holder } from './errors.js';
import { CorruptItemError, listDir, lstatOrUndef, pidAlive, readJson, readJsonVia, readRegular, storeDir, type JsonCache } from './fsutil.js';
import { isValidId, validateId } from './ids.js';
import { ITEMS, resolveItem, type ItemDef } from './items.js';
import { LockIndex, type LockReport } from './locks.js';
import type { Roots } from './roots.js';

/**
 * legacy: Kata 1.x up to 1.10 (state.json + lock); persist: 1.11+ and 2.x
 * (persist.json, flock on the sandbox dir); runtime-rs: 3.x (/run/kata/<sid>/state.json, no lock).
 */
export type Layout = 'legacy' | 'persist' | 'runtime-rs';

/** Which layout a sandbox is in, from the files present. A store may mix them. */
export function detectLayout(roots: Roots, sid: string): Layout {
  validateId(sid);
  return scanSandbox(roots, sid).layout;
}

/**
 * What the runtime flocks for this sandbox: the run-time `lock` file (legacy),
 * the run-time directory itself (persist), nothing (runtime-rs). Null also
 * when the run-time root is missing or not a real directory: never lock
 * through a symlink.
 */
export function lockTarget(roots: Roots, sid: string): string | null {
  return layoutAndLock(roots, sid).lock;
}

/** detectLayout and lockTarget from one look at the sandbox's directories. */
export function layoutAndLock(roots: Roots, sid: string): { layout: Layout; lock: string | null } {
  validateId(sid);
  const sc = scanSandbox(roots, sid);
  return { layout: sc.layout, lock: scanLockTarget(roots, sc) };
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
  if (sid === undefined) throw new UsageError(`item ${item.name} belongs to a sandbox: give a sandbox ID`);
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

/** What a directory entry is, from readdir or lstat; undefined when absent. */
export type Kind = 'dir' | 'symlink' | 'other' | undefined;

function kindOf(d: { isDirectory(): boolean; isSymbolicLink(): boolean } | undefined): Kind {
  if (!d) return undefined;
  return d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'symlink' : 'other';
}

/** Entries of a directory by name, with their kinds (one getdents, no stat). */
function kinds(dir: string): Map<string, Kind> {
  const m = new Map<string, Kind>();
  for (const d of listDir(dir)) m.set(d.name, kindOf(d));
  return m;
}

/** Sandbox IDs found under either root, sorted. Hidden and invalid names are skipped. */
export function listSandboxes(roots: Roots): SandboxEntry[] {
  return rootListing(roots).map(({ id, hint }) => {
    const e: SandboxEntry = { id, inConfig: hint.config !== undefined, inRuntime: hint.runtime !== undefined };
    if (hint.kata !== undefined) e.inKata = true;
    return e;
  });
}

interface Hint {
  config: Kind;
  runtime: Kind;
  kata: Kind;
  vm: Kind;
}

/** One readdir per root: every sandbox with what its directories are. */
function rootListing(roots: Roots): { id: string; hint: Hint }[] {
  const cfg = kinds(roots.config);
  const run = kinds(roots.run);
  const kata = kinds(roots.kata);
  const vm = kinds(roots.vm);
  const ids = new Set<string>();
  for (const m of [cfg, run, kata])
    for (const [name, k] of m) if ((k === 'dir' || k === 'symlink') && isValidId(name)) ids.add(name);
  const pick = (m: Map<string, Kind>, id: string): Kind => {
    const k = m.get(id);
    return k === 'dir' || k === 'symlink' ? k : undefined;
  };
  return [...ids]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((id) => ({ id, hint: { config: pick(cfg, id), runtime: pick(run, id), kata: pick(kata, id), vm: vm.get(id) } }));
}

/** What one sandbox's directories hold: enough to tell its layout and containers without more stats. */
interface Scan {
  sid: string;
  hint: Hint;
  layout: Layout;
  run: Map<string, Kind> | null;
  cfg: Map<string, Kind> | null;
}

function scanSandbox(roots: Roots, sid: string, hint?: Hint): Scan {
  const h: Hint = hint ?? {
    config: kindOf(lstatOrUndef(join(roots.config, sid))),
    runtime: kindOf(lstatOrUndef(join(roots.run, sid))),
    kata: kindOf(lstatOrUndef(join(roots.kata, sid))),
    vm: kindOf(lstatOrUndef(join(roots.vm, sid))),
  };
  const safeKinds = (dir: string): Map<string, Kind> | null => {
    try {
      return kinds(dir);
    } catch {
      return null;
    }
  };
  const run = h.runtime === 'dir' ? safeKinds(join(roots.run, sid)) : null;
  let layout: Layout = 'legacy';
  if (run?.has('persist.json')) layout = 'persist';
  else if (h.kata !== undefined && ((h.config === undefined && h.runtime === undefined) || lstatOrUndef(join(roots.kata, sid, 'state.json'))))
    layout = 'runtime-rs';
  const cfg = layout === 'legacy' && h.config === 'dir' ? safeKinds(join(roots.config, sid)) : null;
  return { sid, hint: h, layout, run, cfg };
}

function scanLockTarget(roots: Roots, sc: Scan): string | null {
  if (sc.layout === 'runtime-rs' || sc.hint.runtime !== 'dir') return null;
  if (sc.layout === 'persist') return join(roots.run, sc.sid);
  return sc.run?.has('lock') ? join(roots.run, sc.sid, 'lock') : null;
}

function scanContainers(sc: Scan): string[] {
  const ids = new Set<string>();
  const add = (m: Map<string, Kind> | null) => {
    for (const [name, k] of m ?? []) if (k === 'dir' && name !== 'raw' && isValidId(name)) ids.add(name);
  };
  if (sc.layout === 'legacy') add(sc.cfg);
  if (sc.layout !== 'runtime-rs') add(sc.run);
  return [...ids].sort();
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

/**
 * Is `pid` alive and still the process we expect? `mark` is a string its
 * /proc/<pid>/cmdline must contain (qemu and acrn run with -name
 * sandbox-<sid>; firecracker and cloud-hypervisor sockets carry the sid).
 */
export function probePid(pid: number | null | undefined, mark: string): Liveness {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0)
    return { pid: typeof pid === 'number' ? pid : null, alive: null, verified: false, reused: false };
  if (!pidAlive(pid)) return { pid, alive: false, verified: false, reused: false };
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
function tryItem(path: string, problems: string[], file: string, cache?: JsonCache): unknown {
  try {
    return readJsonVia(path, cache);
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

/** A container from its state and process pid (whatever file they came from). */
function containerInfo(id: string, stateValue: unknown, pid: number | null, problems: string[]): ContainerInfo {
  const state = typeof stateValue === 'string' ? stateValue : null;
  const alive = probePid(pid, id).alive;
  if (alive === false && (state === 'running' || state === 'paused')) problems.push('process-dead');
  return { id, state, pid, alive, problems };
}

/** A 1.x container: state.json and process.json in its run-time dir, if it has one. */
function inspectContainer(runtimeDir: string | null, cid: string, cache?: JsonCache): ContainerInfo {
  const problems: string[] = [];
  if (!runtimeDir) return { id: cid, state: null, pid: null, alive: null, problems };
  const dir = join(runtimeDir, cid); // the listing saw it as a real directory
  const st = tryItem(join(dir, 'state.json'), problems, 'state.json', cache);
  const proc = tryItem(join(dir, 'process.json'), problems, 'process.json', cache);
  return containerInfo(cid, field(st, 'state'), asInt(field(proc, 'Pid')), problems);
}

/** qemu and acrn run with `-name sandbox-<sid>`; the others carry the sid in socket paths. */
function cmdlineMark(type: string | null, sid: string): string {
  return type === 'qemu' || type === 'acrn' ? `sandbox-${sid}` : sid;
}

/** The parts every layout shares: container problems rolled up, lock report, paths. */
function assemble(
  ctx: InspectContext,
  base: { id: string; layout: Layout; state: string | null; type: string | null; live: Liveness; containers: ContainerInfo[]; problems: string[]; acrnUuid?: string | undefined },
  paths: { config: string | null; runtime: string | null; vm: string | null },
  target: string | null,
): SandboxInfo {
  const problems = base.problems;
  for (const c of base.containers) problems.push(...c.problems.map((x) => `container:${c.id}:${x}`));
  const info: SandboxInfo = {
    id: base.id,
    layout: base.layout,
    state: base.state,
    hypervisor: { type: base.type, pid: base.live.pid, alive: base.live.alive, verified: base.live.verified },
    containers: base.containers,
    lock: { ...lockReport(target, ctx), path: target },
    paths: { ...paths, lock: target },
    problems,
  };
  if (base.acrnUuid) info.acrnUuid = base.acrnUuid;
  return info;
}

export interface InspectContext {
  /** One /proc/locks read shared by many sandboxes. */
  locks?: LockIndex;
  /** Keeps what was read, for a caller (check) that reads the same items again. */
  cache?: JsonCache;
}

export function inspectSandbox(roots: Roots, sid: string, ctx: InspectContext = {}): SandboxInfo {
  validateId(sid);
  return inspectScanned(roots, scanSandbox(roots, sid), ctx);
}

function inspectScanned(roots: Roots, sc: Scan, ctx: InspectContext): SandboxInfo {
  const sid = sc.sid;
  if (sc.layout !== 'legacy') return inspectOther(roots, sc, ctx);
  const p = sandboxPaths(roots, sid);
  const problems: string[] = [];
  const checkDir = (k: Kind, code: string): boolean => {
    if (k === 'symlink') problems.push(`symlink:${code}`);
    else if (k === 'other') problems.push(`not-a-dir:${code}`);
    return k === 'dir';
  };
  const hasConfig = checkDir(sc.hint.config, 'config');
  const hasRuntime = checkDir(sc.hint.runtime, 'runtime') && sc.run !== null;
  const hasVm = sc.hint.vm === 'dir';
  if (!hasConfig && !hasRuntime && !problems.length) throw new NotFoundError(`sandbox ${sid} not found`);
  if (!hasConfig && hasRuntime) problems.push('config-missing');
  if (hasConfig && !hasRuntime && !problems.some((x) => x.endsWith(':runtime'))) problems.push('runtime-missing');

  let state: string | null = null;
  let hvType: string | null = null;
  let live: Liveness = { pid: null, alive: null, verified: false, reused: false };
  let acrnUuid: string | undefined;
  if (hasRuntime) {
    const st = tryItem(join(p.runtime, 'state.json'), problems, 'state.json', ctx.cache);
    const s = field(st, 'state');
    state = typeof s === 'string' ? s : null;
    if (st !== undefined && state === null) problems.push('bad-shape:state.json');
    const hv = tryItem(join(p.runtime, 'hypervisor.json'), problems, 'hypervisor.json', ctx.cache);
    hvType = hypervisorTypeOf(hv);
    let pid: number | null | undefined = asInt(field(hv, 'PID'));
    let markType = hvType;
    if (hvType === 'qemu' || (hv === undefined && pid === null)) {
      markType = 'qemu';
      // qemu keeps no pid in hypervisor.json: /run/vc/vm/<sid>/pid, or the
      // built-in proxy's agent.json ProxyPid (the cmdline check tells qemu
      // apart from a kata-proxy there).
      pid = hasVm ? readPidFile(join(p.vm, 'pid'), problems) : undefined;
      if (pid === undefined) {
        const agent = tryItem(join(p.runtime, 'agent.json'), problems, 'agent.json', ctx.cache);
        pid = asInt(field(agent, 'ProxyPid'));
      }
    }
    live = probePid(pid, cmdlineMark(markType, sid));
    livenessProblems(live, state, hvType, problems);
    if (hvType === 'acrn') {
      const u = field(hv, 'UUID');
      if (typeof u === 'string') acrnUuid = u;
    }
  }

  const containers = scanContainers(sc).map((cid) => inspectContainer(hasRuntime && sc.run?.get(cid) === 'dir' ? p.runtime : null, cid, ctx.cache));
  return assemble(
    ctx,
    { id: sid, layout: 'legacy', state, type: hvType, live, containers, problems, acrnUuid },
    { config: hasConfig ? p.config : null, runtime: hasRuntime ? p.runtime : null, vm: hasVm ? p.vm : null },
    scanLockTarget(roots, sc),
  );
}

function lockReport(target: string | null, ctx: InspectContext): LockReport {
  const none = { held: false, holders: [] as Holder[], visible: true };
  if (target === null) return none;
  return (ctx.locks ?? new LockIndex()).report(target) ?? none;
}

function livenessProblems(live: Liveness, state: string | null, hvType: string | null, problems: string[]): void {
  if (live.reused && state && ACTIVE.has(state)) problems.push('pid-reused');
  if (state && ACTIVE.has(state) && live.alive !== true) {
    if (live.alive === false || hvType !== null) problems.push('hypervisor-dead');
  }
}

/**
 * Inspect sandboxes one at a time, in ID order, holding none of them: a
 * listing of 10,000 sandboxes streams in constant memory.
 */
export function forEachSandbox(roots: Roots, fn: (s: SandboxInfo, items: JsonCache) => void): number {
  const entries = rootListing(roots);
  const locks = new LockIndex();
  for (const e of entries) {
    const cache: JsonCache = new Map();
    fn(inspectScanned(roots, scanSandbox(roots, e.id, e.hint), { locks, cache }), cache);
  }
  return entries.length;
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

function inspectOther(roots: Roots, sc: Scan, ctx: InspectContext): SandboxInfo {
  const sid = sc.sid;
  const layout = sc.layout as 'persist' | 'runtime-rs';
  const problems: string[] = [];
  const p = sandboxPaths(roots, sid);
  const dir = layout === 'persist' ? p.runtime : join(roots.kata, sid);
  const k = layout === 'persist' ? sc.hint.runtime : sc.hint.kata;
  const real = k === 'dir';
  if (k === 'symlink') problems.push('symlink:runtime');
  else if (k === 'other') problems.push('not-a-dir:runtime');
  if (!real && !problems.length) throw new NotFoundError(`sandbox ${sid} not found`);
  const hasVm = sc.hint.vm === 'dir';
  const hasConfig = sc.hint.config === 'dir';
  if (sc.hint.config === 'symlink') problems.push('symlink:config');
  const file = layout === 'persist' ? 'persist.json' : 'state.json';
  const doc = real ? tryItem(join(dir, file), problems, file, ctx.cache) : undefined;
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
  const live = probePid(pid, cmdlineMark(type, sid));
  livenessProblems(live, state, type, problems);
  // runtime-rs records no state: a dead hypervisor is a problem on its own.
  if (layout === 'runtime-rs' && live.alive === false && !problems.includes('hypervisor-dead')) problems.push('hypervisor-dead');

  const containers = (layout === 'persist' ? scanContainers(sc) : []).map((cid) => {
    const cp: string[] = [];
    const cdoc = tryItem(join(dir, cid, 'persist.json'), cp, 'persist.json', ctx.cache);
    return containerInfo(cid, field(cdoc, 'State'), asInt(field(field(cdoc, 'Process'), 'Pid')), cp);
  });
  return assemble(
    ctx,
    { id: sid, layout, state, type, live, containers, problems, acrnUuid },
    { config: hasConfig ? p.config : null, runtime: real ? dir : null, vm: hasVm ? p.vm : null },
    real ? scanLockTarget(roots, sc) : null,
  );
}

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
