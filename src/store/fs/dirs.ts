// Directory listings: what each entry is, from one getdents, without a stat
// per entry where the file system says; and one wording for what a path is.
import { readdirSync, type Dirent } from 'node:fs';
import { addon, CODE } from './addon.js';
import { fromErrno } from './errors.js';

/** What a directory entry is, from readdir or lstat; undefined when absent. */
export type Kind = 'dir' | 'symlink' | 'other' | undefined;

interface Typed {
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFile(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
}

export function kindOf(d: Typed | undefined): Kind {
  if (!d) return undefined;
  return d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'symlink' : 'other';
}

/** What a path is, for a message: "a directory", "a FIFO", … */
export function describeKind(st: Typed): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device';
  if (st.isFile()) return 'a regular file';
  return 'not a regular file';
}

/** Directory entries; [] when the directory does not exist. */
export function listDir(path: string): Dirent[] {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromErrno(e, path, 'list');
  }
}

const KIND: Record<string, Kind> = { d: 'dir', l: 'symlink', f: 'other', o: 'other' };

/** Entries of a directory by name, with their kinds (one getdents, no stat); empty when it does not exist. */
export function kinds(dir: string): Map<string, Kind> {
  const m = new Map<string, Kind>();
  // The addon hands the whole listing back as one string: no Dirent per entry.
  const fast = addon()?.listDir(dir);
  if (typeof fast === 'string') {
    let plain = !/[^\x20-\x7e\0]/.test(fast);
    for (const e of fast.split('\0')) {
      if (!e) continue;
      if (e[0] === 'u') plain = false;
      m.set(e.slice(1), KIND[e[0] ?? 'o']);
    }
    // A file system that gives no types (DT_UNKNOWN), or a name that is not
    // plain ASCII: Node's own listing decides.
    if (plain) return m;
    m.clear();
  } else if (fast === CODE.ENOENT) return m;
  for (const d of listDir(dir)) m.set(d.name, kindOf(d));
  return m;
}
