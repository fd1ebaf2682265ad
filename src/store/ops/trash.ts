// Removing a tree the safe way: renamed to a hidden trash name first (so
// readers see it whole or gone, and an interruption stays visible as an
// unfinished removal), then deleted without ever entering another mount.
import { renameSync, rmdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { addon, CODE } from '../fs/addon.js';
import { kinds } from '../fs/dirs.js';
import { fromErrno, StoreError } from '../fs/errors.js';
import { TRASH_RE, trashName, writerAlive } from '../fs/names.js';
import { lstatOrUndef } from '../fs/read.js';
import { MountTable, realish } from '../host/mounts.js';

/** Is this trash dir's writer another live process (a removal still under way)? */
export function trashBusy(path: string): boolean {
  const m = TRASH_RE.exec(basename(path));
  return m !== null && writerAlive(Number(m[2]));
}

/** Rename a tree to its hidden trash name, atomically: readers see it whole or gone. */
export function moveToTrash(path: string): string {
  const trash = join(dirname(path), trashName(basename(path)));
  try {
    renameSync(path, trash);
  } catch (e) {
    throw fromErrno(e, path, 'remove');
  }
  return trash;
}

/** Paths longer than this are renamed up to the top of the tree before they are entered (PATH_MAX is 4096). */
const DEEP = 2048;

/**
 * Delete a tree without ever entering another mount: every directory is
 * checked against the mount points (bind mounts share the device) and the
 * device of the top. Nesting deeper than PATH_MAX is handled by renaming
 * deep subtrees up to the top first. A failure leaves the rest in place.
 */
export function deleteTree(top: string, mounts: MountTable | Set<string>): void {
  const st = lstatOrUndef(top);
  if (!st) return;
  if (!st.isDirectory()) {
    unlinkOrThrow(top);
    return;
  }
  const realTop = realish(top);
  const mountPoints = mounts instanceof MountTable ? mounts.points() : mounts;
  // A readable mountinfo with nothing below the tree: no bind mount can hide
  // there, and the addon's walk (openat/unlinkat, any depth) stops at any
  // other device. Otherwise every directory is compared here, in JavaScript.
  const clear = mounts instanceof MountTable && mounts.mounts !== null && !mounts.mounts.some((m) => m.mountPoint.startsWith(`${realTop}/`));
  if (clear) {
    const r = addon()?.removeTree(top);
    if (r === 0) return;
    if (r === CODE.EXDEV) throw new StoreError(`refusing to remove below ${top}: another file system is mounted there`, { path: top });
    // Anything else (no addon, permission, an immutable file): the careful walk, for its exact message.
  }
  const devCheck = !clear;
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
    for (const [name, kind] of kinds(cur.path)) {
      let path = `${cur.path}/${name}`;
      let real = `${cur.real}/${name}`;
      if (kind !== 'dir') {
        unlinkOrThrow(path);
        continue;
      }
      if (mountPoints.has(real)) throw new StoreError(`refusing to remove ${path}: a file system is mounted there`, { path });
      const sub = devCheck ? lstatOrUndef(path) : undefined;
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
