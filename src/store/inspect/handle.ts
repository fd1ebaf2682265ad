// The core's way in for commands: an ID is validated once, here, and a
// resolved handle (ID, layout, paths, lock target) flows downwards. What an
// operator typed is resolved to IDs first (targets.ts).
import { join } from 'node:path';
import { NotFoundError, StoreError, UsageError } from '../fs/errors.js';
import { lstatOrUndef } from '../fs/read.js';
import { quote, validateId } from '../fs/ids.js';
import { layoutOf, type ItemRef, type LayoutModule } from '../layouts/index.js';
import { sandboxPaths, type SandboxPaths } from '../fs/paths.js';
import type { Roots } from '../fs/roots.js';
import { scanSandbox, type Scan } from '../read/scan.js';

export interface SandboxHandle {
  roots: Roots;
  id: string;
  layout: LayoutModule;
  scan: Scan;
  paths: SandboxPaths;
  /** What the runtime flocks for it; null when it takes none or there is nothing to lock. */
  lock: string | null;
}

/** Look at a sandbox once; it may not exist. */
/** `trash`: an index of unfinished removals read once for many sandboxes (scan.trashIndex). */
export function openSandbox(roots: Roots, sid: string, trash?: Map<string, string[]>): SandboxHandle {
  validateId(sid);
  const scan = scanSandbox(roots, sid, undefined, trash);
  const layout = layoutOf(scan, roots);
  return { roots, id: sid, layout, scan, paths: sandboxPaths(roots, sid), lock: layout.lockTarget(roots, scan) };
}

const linkError = (path: string, what: string) => {
  return new StoreError(`refusing ${path}: the ${what} is a symbolic link, and vcstore never reads through one`, { path, symlink: true });
};

/**
 * A sandbox that exists and can be read without following a link: every
 * store directory of it is a real directory, or absent.
 */
export function requireSandbox(roots: Roots, sid: string): SandboxHandle {
  const h = openSandbox(roots, sid);
  const { config, runtime, kata } = h.scan.hint;
  // What ls lists, show shows: a sandbox that is only an unfinished removal too.
  if (config === undefined && runtime === undefined && kata === undefined && h.scan.hint.trash.length === 0)
    throw new NotFoundError(`sandbox ${sid} not found`);
  if (runtime === 'symlink') throw linkError(h.paths.runtime, 'run-time root');
  if (config === 'symlink') throw linkError(h.paths.config, 'config root');
  if (kata === 'symlink') throw linkError(join(roots.kata, sid), 'runtime-rs dir');
  return h;
}

/** A container of the sandbox: real directories that hold at least one container item. */
export function requireContainer(h: SandboxHandle, cid: string): string[] {
  validateId(cid, 'container ID');
  const dirs: string[] = [];
  for (const d of h.layout.containerDirs(h.roots, h.id, cid)) {
    const st = lstatOrUndef(d);
    if (!st) continue;
    if (st.isSymbolicLink()) throw linkError(d, 'container dir');
    if (st.isDirectory()) dirs.push(d);
  }
  if (!dirs.length || !isContainerOf(h, cid)) throw new NotFoundError(`container ${cid} not found in sandbox ${h.id}`);
  return dirs;
}

/** Does the sandbox have this container (a directory holding at least one container item)? */
export function isContainerOf(h: SandboxHandle, cid: string): boolean {
  return h.layout.containerDirs(h.roots, h.id, cid).some((d) => h.layout.itemFiles(true).some((f) => lstatOrUndef(join(d, f))));
}

export function itemOf(h: SandboxHandle, cid: string | undefined, name: string): ItemRef {
  const ref = h.layout.item(h.roots, h.id, cid, name);
  if (ref) return ref;
  const what = cid === undefined ? `sandbox ${h.id} has no container ${quote(name)}, and it is no item` : `no item ${quote(name)}`;
  throw new UsageError(`unknown item ${quote(name)}: ${what}; items of the ${h.layout.name} layout: ${h.layout.itemNames(cid !== undefined).join(', ')}`);
}

/**
 * The lock target of a sandbox the runtime locks: what `vcstore lock` holds.
 * A runtime-rs sandbox (no lock), a missing run-time root or lock file, a
 * symlinked or special lock are each refused with their own message.
 */
export function requireLockTarget(h: SandboxHandle): string {
  const target = h.lock;
  if (target === null) {
    if (h.scan.hint.runtime === undefined && h.scan.hint.kata !== undefined)
      // Pretending to lock would tell the operator the runtime is kept out; it is not.
      throw new UsageError(`sandbox ${h.id} uses the Kata 3.x runtime-rs layout, whose runtime takes no lock: vcstore cannot keep it out`);
    if (h.scan.hint.runtime === undefined)
      throw new NotFoundError(`sandbox ${h.id} has no run-time root (${h.paths.runtime}), so no lock: not started since boot?`);
    throw new NotFoundError(`sandbox ${h.id} has no lock file ${h.paths.lock}`);
  }
  const st = lstatOrUndef(target);
  if (!st) throw new NotFoundError(`sandbox ${h.id} has no lock file ${target}`);
  if (st.isSymbolicLink()) throw new StoreError(`refusing lock ${target}: it is a symbolic link`, { path: target });
  if (!st.isFile() && !st.isDirectory()) throw new StoreError(`refusing lock ${target}: not a regular file`, { path: target });
  return target;
}

export interface ItemFile {
  root: 'config' | 'runtime';
  /** The item's name in vcstore's words (State, Lock, persist…): what show and set take. */
  name: string;
  file: string;
  path: string;
  size: number;
  mtime: string;
}

/** The item files present (regular files only) in a sandbox's or container's directories. */
export function itemFiles(h: SandboxHandle, dirs: { root: 'config' | 'runtime'; dir: string | null }[], cid: string | undefined): ItemFile[] {
  const out: ItemFile[] = [];
  for (const { root, dir } of dirs) {
    if (!dir) continue;
    for (const file of h.layout.itemFiles(cid !== undefined)) {
      const path = join(dir, file);
      const st = lstatOrUndef(path);
      const name = h.layout.item(h.roots, h.id, cid, file)?.name ?? file;
      if (st?.isFile()) out.push({ root, name, file, path, size: st.size, mtime: st.mtime.toISOString() });
    }
  }
  return out;
}
