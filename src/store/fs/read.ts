// Careful file access for a store that a root-owned runtime writes while we
// read: never follow a symlink at the last component, never open a FIFO in a
// way that blocks, bound what we read, and write only by atomic rename.
import {
  closeSync,
  constants as C,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
  type Dirent,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fromErrno, NotFoundError, StoreError } from './errors.js';
import { nativeFlock } from '../host/locks.js';

/** Items are 7–50 KB in practice; anything past this is not a store item. */
export const MAX_ITEM_BYTES = 16 * 1024 * 1024;

export class CorruptItemError extends StoreError {}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device';
  return 'not a regular file';
}

/** lstat that returns undefined for a missing path and throws a one-line error otherwise. */
export function lstatOrUndef(path: string): Stats | undefined {
  try {
    // No exception for the common "absent" case: they cost more than the syscall.
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw fromErrno(e, path, 'stat');
  }
}

/**
 * A store directory (sandbox root, container root, raw/): undefined if absent,
 * an error if it is a symlink or not a directory, so that nothing we build
 * under it can lead out of the store.
 */
export function storeDir(path: string): Stats | undefined {
  const st = lstatOrUndef(path);
  if (!st) return undefined;
  if (st.isSymbolicLink()) {
    const e = new StoreError(`refusing ${path}: it is a symbolic link, and vcstore never follows one out of the store`, path);
    e.symlink = true;
    throw e;
  }
  if (!st.isDirectory()) throw new StoreError(`refusing ${path}: ${kindOf(st)}, not a directory`, path);
  return st;
}

/** Read a regular file: no symlink, no FIFO hang, bounded size. */
export function readRegular(path: string, maxBytes = MAX_ITEM_BYTES): Buffer {
  let fd: number;
  try {
    fd = openSync(path, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`${path}: no such file`);
    throw fromErrno(e, path, 'read');
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new StoreError(`refusing to read ${path}: ${kindOf(st)}`, path);
    if (st.size > maxBytes)
      throw new StoreError(`refusing to read ${path}: ${st.size} bytes, over the ${maxBytes}-byte limit`, path);
    const buf = Buffer.allocUnsafe(Math.max(st.size, 1));
    let off = 0;
    for (;;) {
      if (off === buf.length) break;
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } catch (e) {
    throw fromErrno(e, path, 'read');
  } finally {
    closeSync(fd);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parse JSON bytes; a typed error naming the file on anything wrong. */
export function parseJson(buf: Buffer, path: string): unknown {
  if (buf.length === 0) throw new CorruptItemError(`${path}: empty file (a truncated write?)`, path);
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    throw new CorruptItemError(`${path}: not valid UTF-8`, path);
  }
  return parseText(text, path);
}

/** Parse JSON text already known to be valid UTF-8 (and, with deepCheck false, not nested too deep). */
export function parseText(text: string, path: string, deepCheck = true): unknown {
  if (text.length === 0) throw new CorruptItemError(`${path}: empty file (a truncated write?)`, path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    throw new CorruptItemError(`${path}: corrupt JSON (${msg}; a truncated write?)`, path);
  }
  if (deepCheck && text.length > MAX_DEPTH && nestingDepth(text) > MAX_DEPTH)
    throw new CorruptItemError(`${path}: JSON nested deeper than ${MAX_DEPTH} levels: not a store item`, path);
  return value;
}

/** Go's encoding/json stops at 10000; no runtime item comes near 1000. */
export const MAX_DEPTH = 1000;

/** Deepest [ / { nesting of valid JSON text, skipping strings. Iterative: no stack to overflow. */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) max = depth;
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

export type JsonKind = 'object' | 'array' | 'null' | 'value';
const KINDS: Record<number, JsonKind> = { 1: 'object', 2: 'array', 3: 'null', 4: 'value' };
const kindOfValue = (v: unknown): JsonKind => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : 'value');

/**
 * What kind of JSON document an item holds, without building it: for a
 * check whose value is never used (config.json, 7 to 50 KB each). The addon
 * validates; anything it rejects is parsed here for the exact error (or, if
 * JSON.parse takes it after all, its kind).
 */
export function jsonKind(path: string): JsonKind {
  const fast = nativeFlock()?.checkJson?.(path, MAX_ITEM_BYTES);
  if (fast !== undefined && fast > 0) return KINDS[fast]!;
  if (fast === -2) throw new NotFoundError(`${path}: no such file`);
  return kindOfValue(readJson(path));
}

/** Does readJson go through the addon (absence costs no exception)? */
export function hasFastRead(): boolean {
  return typeof nativeFlock()?.readItem === 'function';
}

export function readJson(path: string): unknown {
  // Fast path: open, fstat, read, close and the UTF-8 check in one addon call.
  // Anything but success and absence is redone the careful way below, for its
  // exact message (a FIFO, the size limit, permission).
  const fast = nativeFlock()?.readItem?.(path, MAX_ITEM_BYTES);
  if (typeof fast === 'string') return parseText(fast, path, false); // the addon checked the nesting
  if (fast === -2) throw new NotFoundError(`${path}: no such file`);
  if (fast === -1002) throw new CorruptItemError(`${path}: not valid UTF-8`, path);
  return parseJson(readRegular(path), path);
}

/** Parsed items (or the error reading them) by path: one sandbox's reads, shared by inspect and check. */
export type JsonCache = Map<string, { value: unknown } | { error: unknown }>;

/** readJson through a cache: a file inspected once is not read again. */
export function readJsonVia(path: string, cache?: JsonCache): unknown {
  if (!cache) return readJson(path);
  let hit = cache.get(path);
  if (!hit) {
    try {
      hit = { value: readJson(path) };
    } catch (error) {
      hit = { error };
    }
    cache.set(path, hit);
  }
  if ('error' in hit) throw hit.error;
  return hit.value;
}

/** Directory entries; [] when the directory does not exist. */
export function listDir(path: string): Dirent[] {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw fromErrno(e, path, 'list');
  }
}

/** Uniqueness for temp names (O_EXCL does the rest); no crypto module at start-up. */
export function randomHex(): string {
  return Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
}
const TMP_RE = /^\..+\.vcstore-(\d+)-[0-9a-f]+\.tmp$/;

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove what a killed vcstore left in `dir`: entries whose name matches `re`
 * (group 1 is the writer's pid) and whose writer is gone.
 */
function cleanLeftovers(dir: string, re: RegExp, wantDir: boolean): string[] {
  const removed: string[] = [];
  for (const d of listDir(dir)) {
    const m = re.exec(d.name);
    if (!m || (wantDir ? !d.isDirectory() : !d.isFile())) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && pidAlive(pid)) continue;
    try {
      rmSync(join(dir, d.name), { recursive: wantDir, force: true });
      removed.push(join(dir, d.name));
    } catch {
      /* raced with another cleaner: fine */
    }
  }
  return removed;
}

/** Temp files of killed writers (`.<item>.vcstore-<pid>-<hex>.tmp`). */
export function cleanStaleTemps(dir: string): string[] {
  return cleanLeftovers(dir, TMP_RE, false);
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
  if (old && !old.isFile()) throw new StoreError(`refusing to replace ${path}: ${kindOf(old)}`, path);
  cleanStaleTemps(dir);
  const tmp = join(dir, `.${basename(path)}.vcstore-${process.pid}-${randomHex()}.tmp`);
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

export { goJson } from './gojson.js';
