// Writing: only by atomic rename, in the mode and owner the file had, and
// cleaning up the temp files a killed writer left behind.
import { closeSync, constants as C, fchmodSync, fchownSync, fsyncSync, openSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeKind, listDir } from './dirs.js';
import { fromErrno, StoreError } from './errors.js';
import { tempName, TMP_RE, writerAlive } from './names.js';
import { lstatOrUndef } from './read.js';

/** Temp files of killed writers (`.<item>.vcstore-<pid>-<hex>.tmp`) in `dir`; what was removed. */
export function cleanStaleTemps(dir: string): string[] {
  const removed: string[] = [];
  for (const d of listDir(dir)) {
    const m = TMP_RE.exec(d.name);
    if (!m || !d.isFile() || writerAlive(Number(m[1]), m[2] === undefined ? undefined : Number(m[2]))) continue;
    try {
      rmSync(join(dir, d.name), { force: true });
      removed.push(join(dir, d.name));
    } catch {
      /* raced with another cleaner: fine */
    }
  }
  return removed;
}

export interface WriteOptions {
  /** Mode for a new file; an existing file keeps its own. */
  mode?: number;
}

/**
 * Atomic replace: temp file in the same directory, write, fsync, rename,
 * fsync the directory. The file keeps its mode and owner. A reader sees the
 * old bytes or the new ones, never a mix, even if we are killed.
 */
export function atomicWrite(path: string, data: string | Buffer, opts: WriteOptions = {}): void {
  const dir = dirname(path);
  const old = lstatOrUndef(path);
  if (old && !old.isFile()) throw new StoreError(`refusing to replace ${path}: ${describeKind(old)}`, { path });
  cleanStaleTemps(dir);
  const tmp = join(dir, tempName(basename(path)));
  let fd: number | undefined;
  try {
    fd = openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fchmodSync(fd, old ? old.mode & 0o7777 : (opts.mode ?? 0o644));
    if (old && process.geteuid?.() === 0) fchownSync(fd, old.uid, old.gid);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* never created */
    }
    throw fromErrno(e, path, 'write');
  }
  fsyncDir(dir);
}

function fsyncDir(dir: string): void {
  try {
    const dfd = openSync(dir, C.O_RDONLY | C.O_DIRECTORY);
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* best effort: some file systems refuse fsync on a directory */
  }
}

/** Remove a regular file if it is there (a textfile whose writer stops); anything else is left and said. */
export function removeFileIfAny(path: string): void {
  const st = lstatOrUndef(path);
  if (!st) return;
  if (!st.isFile()) throw new StoreError(`${path} is not a regular file; left in place`, { path });
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fromErrno(e, path, 'remove');
  }
}
