// Removing a tree the safe way: renamed to a hidden trash name first (so
// readers see it whole or gone, and an interruption stays visible as an
// unfinished removal), then deleted without ever entering another mount.
import { mkdirSync, renameSync, rmdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { addon, CODE } from '../fs/addon.js';
import { kinds } from '../fs/dirs.js';
import { fromErrno, StoreError } from '../fs/errors.js';
import { TRASH_DIR_RE, trashDirName, trashWriter, writerAlive } from '../fs/names.js';
import { lstatOrUndef } from '../fs/read.js';
import { MountTable, mountIdAt, realish } from '../host/mounts.js';
import type { Roots } from '../fs/roots.js';
import { trashRootDirs } from '../read/scan.js';

/** Is the removal that left `path` (a tree inside a trash dir, or a 0.1.0 trash dir) still under way in another process? */
export function trashBusy(path: string): boolean {
  const w = trashWriter(basename(dirname(path))) ?? trashWriter(basename(path));
  return w !== null && writerAlive(w.pid, w.start);
}

/**
 * Move a tree into a trash dir of its own beside it, atomically: readers see
 * it whole or gone, and an interruption stays visible as an unfinished removal.
 */
export function moveToTrash(path: string): string {
  const dir = join(dirname(path), trashDirName());
  const trash = join(dir, basename(path));
  try {
    mkdirSync(dir, { mode: 0o700 });
    renameSync(path, trash);
  } catch (e) {
    try {
      rmdirSync(dir);
    } catch {
      /* never made */
    }
    throw fromErrno(e, path, 'remove');
  }
  return trash;
}

/** After a tree is gone: its trash dir, when empty (a 0.1.0 trash dir was the tree itself). */
function dropTrashDir(tree: string): void {
  const dir = dirname(tree);
  if (!TRASH_DIR_RE.test(basename(dir))) return;
  try {
    rmdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTEMPTY') throw fromErrno(e, dir, 'remove');
  }
}

/** Empty trash dirs whose writer is gone (killed between making one and moving a tree into it), in every root. */
export function cleanEmptyTrash(roots: Roots): void {
  for (const dir of trashRootDirs(roots)) if (lstatOrUndef(dir)?.isDirectory()) cleanEmptyTrashIn(dir);
}

function cleanEmptyTrashIn(dir: string): void {
  for (const [name, kind] of kinds(dir)) {
    const w = kind === 'dir' ? trashWriter(name) : null;
    if (!w || !TRASH_DIR_RE.test(name) || writerAlive(w.pid, w.start)) continue;
    try {
      rmdirSync(join(dir, name));
    } catch {
      /* not empty (an unfinished removal: listed and finished as such), or raced */
    }
  }
}

/** Paths longer than this are renamed up to the top of the tree before they are entered (PATH_MAX is 4096). */
const DEEP = 2048;

/**
 * Delete a tree without ever entering another mount, asking the kernel for
 * every directory as it is entered, whenever a mount was made: the addon's
 * walk opens each with openat2(RESOLVE_NO_XDEV); the careful walk compares
 * each directory's mount id with the top's (and with the mount table and
 * the device). Nesting deeper than PATH_MAX is handled by renaming deep
 * subtrees up to the top first. A failure leaves the rest in place.
 */
export function deleteTree(top: string, mounts: MountTable | Set<string>): void {
  deleteTreeOnly(top, mounts);
  dropTrashDir(top);
}

function deleteTreeOnly(top: string, mounts: MountTable | Set<string>): void {
  const st = lstatOrUndef(top);
  if (!st) return;
  if (!st.isDirectory()) {
    unlinkOrThrow(top);
    return;
  }
  const r = addon()?.removeTree(top);
  if (r === 0) return;
  if (r === CODE.EXDEV) throw new StoreError(`refusing to remove below ${top}: another file system is mounted there`, { path: top });
  // Anything else (no addon, no openat2, permission, an immutable file): the careful walk, for its exact message.
  const realTop = realish(top);
  const mountPoints = mounts instanceof MountTable ? mounts.points() : mounts;
  const topId = mountIdAt(top);
  const parentId = mountIdAt(dirname(top));
  if (mountPoints.has(realTop) || (topId !== null && parentId !== null && topId !== parentId))
    throw new StoreError(`refusing to remove ${top}: a file system is mounted there`, { path: top });
  const stack: { path: string; real: string; listed: boolean }[] = [{ path: top, real: realTop, listed: false }];
  let moved = 0;
  for (let cur = stack.at(-1); cur !== undefined; cur = stack.at(-1)) {
    if (cur.listed) {
      stack.pop();
      try {
        rmdirSync(cur.path);
      } catch (e) {
        throw fromErrno(e, cur.path, 'remove');
      }
      continue;
    }
    cur.listed = true;
    // Asked again right before listing: a mount made since the directory was pushed is not entered.
    const id = topId === null ? null : mountIdAt(cur.path);
    if (id !== null && id !== topId) throw new StoreError(`refusing to remove ${cur.path}: a file system is mounted there`, { path: cur.path });
    for (const [name, kind] of kinds(cur.path)) {
      let path = `${cur.path}/${name}`;
      let real = `${cur.real}/${name}`;
      if (kind !== 'dir') {
        unlinkOrThrow(path);
        continue;
      }
      if (mountPoints.has(real)) throw new StoreError(`refusing to remove ${path}: a file system is mounted there`, { path });
      const sub = lstatOrUndef(path);
      if (sub && sub.dev !== st.dev) throw new StoreError(`refusing to remove ${path}: it is on another file system (a mount)`, { path });
      if (path.length > DEEP) {
        const name = `.deep-${moved++}`;
        try {
          renameSync(path, join(top, name));
        } catch (e) {
          throw fromErrno(e, path, 'remove');
        }
        path = join(top, name);
        real = join(realTop, name);
      }
      stack.push({ path, real, listed: false });
    }
  }
}

function unlinkOrThrow(path: string): void {
  try {
    unlinkSync(path); // never follows a symlink
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fromErrno(e, path, 'remove');
  }
}

/** Remove a tree: rename it away, then delete it mount-safely. */
export function removeTree(path: string, mounts: MountTable | Set<string> = new MountTable()): void {
  const st = lstatOrUndef(path);
  if (!st) return;
  if (st.isSymbolicLink()) throw new StoreError(`refusing to remove ${path}: it is a symbolic link`, { path, symlink: true });
  deleteTree(moveToTrash(path), mounts);
}
