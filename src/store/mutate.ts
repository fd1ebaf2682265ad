// Changing the store: remove sandboxes and containers, create raw items,
// replace items. Each runs under the sandbox's exclusive flock, refuses to
// disturb a live sandbox unless forced, never follows a symlink out of the
// store and never creates a store as a side effect.
import { closeSync, constants as C, fchmodSync, mkdirSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fromErrno, NotFoundError, RefusedError, StoreError, UsageError } from './errors.js';
import { atomicWrite, cleanStaleTrash, CorruptItemError, goJson, lstatOrUndef, parseJson, readJson, removeTree, storeDir } from './fsutil.js';
import { validateId } from './ids.js';
import type { ItemDef } from './items.js';
import { withLock } from './guard.js';
import { containerPaths, field, inspectSandbox, itemPath, layoutAndLock, lockTarget, sandboxPaths, STATES, type SandboxInfo } from './sandbox.js';
import type { Roots } from './roots.js';

export interface ChangeOptions {
  force?: boolean;
  dryRun?: boolean;
  wait: number;
  signal?: AbortSignal;
}

/** Refuse (exit 5) when the sandbox's hypervisor or a container process is alive. */
export function refuseIfLive(info: SandboxInfo, what: string, force?: boolean, cid?: string): void {
  if (force) return;
  const hv = info.hypervisor;
  if (hv.alive === true && cid === undefined)
    throw new RefusedError(`refusing to ${what} sandbox ${info.id}: its hypervisor (${hv.type ?? '?'}, pid ${hv.pid}) is alive; stop it first or use --force`);
  const live = info.containers.filter((c) => c.alive === true && (cid === undefined || c.id === cid));
  if (live.length)
    throw new RefusedError(`refusing to ${what} ${cid ? `container ${cid}` : `sandbox ${info.id}`}: process pid ${live[0]!.pid} is alive; use --force`);
}

function existing(paths: (string | null)[], force?: boolean): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!p) continue;
    const st = lstatOrUndef(p);
    if (!st) continue;
    if (st.isSymbolicLink() && !force)
      throw new StoreError(`refusing to remove ${p}: it is a symbolic link (--force removes the link itself, never its target)`, p);
    out.push(p);
  }
  return out;
}

function removeAll(paths: string[]): void {
  for (const p of paths) {
    const st = lstatOrUndef(p);
    if (st?.isSymbolicLink()) {
      // --force on a symlinked root: drop the link, never what it points to.
      removeLink(p);
    } else removeTree(p);
  }
}

function removeLink(p: string): void {
  try {
    unlinkSync(p); // unlink never follows the link
  } catch (e) {
    throw fromErrno(e, p, 'remove');
  }
}

/**
 * Finish removals a killed vcstore began (hidden `.vcstore-rm-*` dirs in the
 * roots). Once per command: a per-sandbox scan would make rm quadratic.
 */
export function finishInterruptedRemovals(roots: Roots): string[] {
  return [roots.config, roots.run, roots.vm, roots.kata].flatMap((d) => cleanStaleTrash(d));
}

/** raw and set work on the Kata 1.x item files only. Returns the sandbox's lock. */
function requireLegacy(roots: Roots, sid: string, what: string): string | null {
  const { layout, lock } = layoutAndLock(roots, sid);
  if (layout !== 'legacy') throw new UsageError(`${what}: sandbox ${sid} uses the ${layout} layout; only the Kata 1.x store has separate item files`);
  return lock;
}

export interface RemoveResult {
  id: string;
  container?: string;
  paths: string[];
  dryRun: boolean;
}

/**
 * Remove a sandbox: its config root, its VM dir, then its run-time root
 * (which holds the lock, so it goes last). Each root disappears atomically.
 */
export async function removeSandbox(roots: Roots, sid: string, o: ChangeOptions): Promise<RemoveResult> {
  const p = sandboxPaths(roots, sid);
  const kata = join(roots.kata, sid);
  if (!lstatOrUndef(p.config) && !lstatOrUndef(p.runtime) && !lstatOrUndef(p.vm) && !lstatOrUndef(kata))
    throw new NotFoundError(`sandbox ${sid} not found`);
  const { layout, lock } = layoutAndLock(roots, sid);
  return withLock(lock, { mode: 'exclusive', wait: o.wait, signal: o.signal, label: `sandbox ${sid}` }, () => {
    // Listed under the lock: the runtime may have added a VM dir while we waited.
    // The run-time root goes last: it holds the lock (legacy) or is the lock (persist).
    const paths = existing(layout === 'runtime-rs' ? [p.vm, kata] : [p.config, p.vm, p.runtime], o.force);
    if ([p.config, p.runtime, kata].some((d) => lstatOrUndef(d)?.isDirectory())) {
      refuseIfLive(inspectSandbox(roots, sid), 'remove', o.force);
    }
    if (!o.dryRun) removeAll(paths);
    return { id: sid, paths, dryRun: Boolean(o.dryRun) };
  });
}

/** Remove one container's config and run-time stores, under the sandbox lock. */
export async function removeContainer(roots: Roots, sid: string, cid: string, o: ChangeOptions): Promise<RemoveResult> {
  const p = sandboxPaths(roots, sid);
  const c = containerPaths(roots, sid, cid);
  if (!storeDir(p.config) && !storeDir(p.runtime)) throw new NotFoundError(`sandbox ${sid} not found`);
  if (!lstatOrUndef(c.config) && !lstatOrUndef(c.runtime)) throw new NotFoundError(`container ${cid} not found in sandbox ${sid}`);
  return withLock(lockTarget(roots, sid), { mode: 'exclusive', wait: o.wait, signal: o.signal, label: `sandbox ${sid}` }, () => {
    const paths = existing([c.config, c.runtime], o.force);
    refuseIfLive(inspectSandbox(roots, sid), 'remove', o.force, cid);
    if (!o.dryRun) removeAll(paths);
    return { id: sid, container: cid, paths, dryRun: Boolean(o.dryRun) };
  });
}

// ---------------------------------------------------------------------------
// Raw items

export interface RawResult {
  path: string;
  url: string;
  created: boolean;
}

function goTempSuffix(): string {
  // Go's ioutil.TempFile: a random decimal uint32.
  return String(Math.floor(Math.random() * 0xffffffff));
}

/**
 * Create raw/<name> (empty, 0644 like os.Create) or raw/raw-<random> (0600
 * like ioutil.TempFile). An existing named item is left as it is.
 */
export async function createRaw(roots: Roots, sid: string, name: string | undefined, cid: string | undefined, o: ChangeOptions): Promise<RawResult> {
  const p = sandboxPaths(roots, sid);
  if (name !== undefined) validateId(name, 'raw item name');
  const base = cid === undefined ? p.runtime : containerPaths(roots, sid, cid).runtime;
  if (!storeDir(p.runtime)) throw new NotFoundError(`sandbox ${sid} has no run-time root ${p.runtime}`);
  if (!storeDir(base)) throw new NotFoundError(`container ${cid} not found in sandbox ${sid}`);
  return withLock(requireLegacy(roots, sid, 'raw items'), { mode: 'exclusive', wait: o.wait, signal: o.signal, label: `sandbox ${sid}` }, () => {
    const dir = join(base, 'raw');
    if (!storeDir(dir)) {
      try {
        mkdirSync(dir, { mode: 0o750 });
      } catch (e) {
        throw new StoreError(`cannot create ${dir}: ${(e as Error).message}`, dir);
      }
    }
    for (let attempt = 0; attempt < 100; attempt++) {
      const path = join(dir, name ?? `raw-${goTempSuffix()}`);
      const mode = name === undefined ? 0o600 : 0o644;
      let fd: number;
      try {
        fd = openSync(path, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, mode);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') {
          if (name === undefined) continue;
          const st = lstatOrUndef(path);
          if (!st?.isFile()) throw new StoreError(`refusing raw item ${path}: exists and is not a regular file`, path);
          return { path, url: `file://${path}`, created: false };
        }
        throw new StoreError(`cannot create ${path}: ${(e as Error).message}`, path);
      }
      fchmodSync(fd, mode);
      closeSync(fd);
      return { path, url: `file://${path}`, created: true };
    }
    throw new StoreError(`cannot find a free raw item name in ${dir}`);
  });
}

// ---------------------------------------------------------------------------
// Replacing items

const DEVICE_TYPES = new Set(['block', 'vfio', 'generic', 'vhost-user']);

/** Check a value has the shape the runtime's Go loader expects for this item. */
export function validateItemValue(item: ItemDef, value: unknown, container: boolean): void {
  const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new UsageError(`invalid ${item.name} item: ${what}`);
  };
  switch (item.name) {
    case 'State': {
      need(isObj(value), 'must be a JSON object');
      const s = field(value, 'state');
      need(typeof s === 'string' && (STATES as readonly string[]).includes(s), `"state" must be one of ${STATES.join(', ')}`);
      break;
    }
    case 'Mounts':
      need(Array.isArray(value), 'must be a JSON array');
      break;
    case 'Devices':
    case 'DeviceIDs':
      need(Array.isArray(value), 'must be a JSON array');
      if (!container)
        for (const d of value as unknown[])
          need(isObj(d) && DEVICE_TYPES.has(String(field(d, 'Type'))), `every device needs "Type" one of ${[...DEVICE_TYPES].join(', ')} (the runtime refuses others)`);
      break;
    case 'Process':
      need(isObj(value) && typeof field(value, 'Pid') === 'number', 'must be an object with a numeric "Pid"');
      break;
    case 'UUID': {
      const a = field(value, 'UUIDAvailability');
      need(isObj(value) && Array.isArray(a) && a.length === 8 && a.every((x) => x === 0 || x === 1), '"UUIDAvailability" must be 8 slots of 0 or 1');
      break;
    }
    case 'Lock':
      throw new UsageError('the Lock item is an empty file, not JSON: nothing to set');
    default:
      need(isObj(value), 'must be a JSON object');
  }
}

export interface SetResult {
  path: string;
  item: string;
  bytes: number;
  note?: string;
}

export interface SetOptions extends ChangeOptions {
  /** Raw JSON text to store (validated, then written compact). */
  input?: Buffer;
  /** Rewrite only state.json's "state". */
  state?: string;
}

export async function setItem(roots: Roots, sid: string, cid: string | undefined, item: ItemDef, o: SetOptions): Promise<SetResult> {
  const p = sandboxPaths(roots, sid);
  if (item.root === 'uuid') throw new UsageError('the UUID store is not a sandbox item: use "vcstore uuid free"');
  const path = itemPath(roots, item, sid, cid);
  const root = item.root === 'config' ? 'config' : 'runtime';
  const dir = cid === undefined ? p[root] : containerPaths(roots, sid, cid)[root];
  if (!storeDir(p.config) && !storeDir(p.runtime)) throw new NotFoundError(`sandbox ${sid} not found`);
  if (!storeDir(dir)) throw new NotFoundError(`${cid ? `container ${cid}` : `sandbox ${sid}`} has no ${root === 'config' ? 'config' : 'run-time'} root ${dir}`);
  let value: unknown;
  if (o.state !== undefined) {
    if (item.name !== 'State') throw new UsageError('--state only applies to the State item');
    if (!(STATES as readonly string[]).includes(o.state)) throw new UsageError(`invalid --state ${JSON.stringify(o.state)}: one of ${STATES.join(', ')}`);
  } else {
    try {
      value = parseJson(o.input ?? Buffer.alloc(0), 'input');
    } catch (e) {
      throw new UsageError(`invalid ${item.name} input: ${(e as Error).message.replace(/^input: /, '')}`);
    }
    validateItemValue(item, value, cid !== undefined);
  }
  return withLock(requireLegacy(roots, sid, 'set'), { mode: 'exclusive', wait: o.wait, signal: o.signal, label: `sandbox ${sid}` }, () => {
    refuseIfLive(inspectSandbox(roots, sid), 'change', o.force);
    let note: string | undefined;
    if (o.state !== undefined) {
      let cur: unknown;
      try {
        cur = readJson(path);
      } catch (e) {
        if (!(e instanceof NotFoundError) && !(e instanceof CorruptItemError)) throw e;
        note = e instanceof NotFoundError ? `${path} did not exist; wrote a new one` : `${path} was corrupt; wrote a new one`;
        cur = {};
      }
      const obj = cur && typeof cur === 'object' && !Array.isArray(cur) ? { ...(cur as Record<string, unknown>) } : {};
      const key = Object.keys(obj).find((k) => k.toLowerCase() === 'state') ?? 'state';
      obj[key] = o.state;
      value = obj;
    }
    const text = goJson(value);
    if (!o.dryRun) atomicWrite(path, text, { mode: 0o644 });
    const r: SetResult = { path, item: item.name, bytes: Buffer.byteLength(text) };
    if (note) r.note = note;
    return r;
  });
}
