// Careful reads of a store that a root-owned runtime writes while we read:
// never follow a symlink at the last component, never open a FIFO in a way
// that blocks, bound what we read, and say exactly what was wrong.
import { accessSync, closeSync, constants as C, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';
import { basename } from 'node:path';
import { addon, CODE } from './addon.js';
import { describeKind } from './dirs.js';
import { fromErrno, NotFoundError, StoreError, UsageError } from './errors.js';
import { parseLit } from './jsonlit.js';

/** Items are 7–50 KB in practice; anything past this is not a store item. */
export const MAX_ITEM_BYTES = 16 * 1024 * 1024;

/** An item that is empty, truncated, not UTF-8 or not JSON. */
export class CorruptItemError extends StoreError {}

/** lstat that returns undefined for a missing path and throws a one-line error otherwise. */
export function lstatOrUndef(path: string): Stats | undefined {
  try {
    // No exception for the common "absent" case: they cost more than the syscall.
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
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
  if (st.isSymbolicLink())
    throw new StoreError(`refusing ${path}: it is a symbolic link, and vcstore never follows one out of the store`, { path, symlink: true });
  if (!st.isDirectory()) throw new StoreError(`refusing ${path}: ${describeKind(st)}, not a directory`, { path });
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
    if (!st.isFile()) throw new StoreError(`refusing to read ${path}: ${describeKind(st)}`, { path });
    if (st.size > maxBytes) throw new StoreError(`refusing to read ${path}: ${st.size} bytes, over the ${maxBytes}-byte limit`, { path });
    const buf = Buffer.allocUnsafe(Math.max(st.size, 1));
    let off = 0;
    while (off < buf.length) {
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

// ignoreBOM: keep a leading U+FEFF (Go's decoder refuses it), as the addon's read does.
// Not fatal: Go's decoder takes bytes that are not UTF-8 inside a string,
// each read as U+FFFD (the runtime loads such an item); anywhere else they
// are a syntax error either way, and JSON.parse says so.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Parse JSON bytes; a typed error naming the file on anything wrong. */
export function parseJson(buf: Buffer, path: string): unknown {
  if (buf.length === 0) throw new CorruptItemError(`${path}: empty file (a truncated write?)`, { path });
  return parseText(utf8.decode(buf), path);
}

/** Parse JSON text already known to be valid UTF-8 (and, with deepCheck false, not nested too deep). */
export function parseText(text: string, path: string, deepCheck = true): unknown {
  if (text.length === 0) throw new CorruptItemError(`${path}: empty file (a truncated write?)`, { path });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0] ?? '';
    throw new CorruptItemError(`${path}: corrupt JSON (${msg}; a truncated write?)`, { path });
  }
  if (deepCheck && text.length > MAX_DEPTH && nestingDepth(text) > MAX_DEPTH)
    throw new CorruptItemError(`${path}: JSON nested deeper than ${MAX_DEPTH} levels: not a store item`, { path });
  return value;
}

/**
 * The first JSON value of `text`, as json.Decoder.Decode reads it (the persist
 * driver): bytes after it are never looked at, an empty file is an error.
 */
export function parseFirst(text: string, path: string, deepCheck = true): unknown {
  try {
    return parseText(text, path, deepCheck);
  } catch (e) {
    if (!(e instanceof CorruptItemError) || text.trim() === '') throw e;
    let end: number;
    try {
      end = parseLit(text, false).end;
    } catch {
      throw e;
    }
    return parseText(text.slice(0, end), path, deepCheck);
  }
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
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) max = depth;
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

/** Does readJson go through the addon (absence costs no exception)? */
export function hasFastRead(): boolean {
  return addon() !== null;
}

export function readJson(path: string, max = readLimit(basename(path))): unknown {
  const t = readText(path, max);
  return parseText(t.text, path, !t.depthChecked);
}

/**
 * An item's text: valid UTF-8, at most `max` bytes, from a regular file.
 * Fast path: open, fstat, read, close, the UTF-8 and the nesting check in one
 * addon call. Anything but success and absence is redone the careful way, for
 * its exact message (a FIFO, the size limit, permission).
 */
export function readText(path: string, max = readLimit(basename(path))): { text: string; depthChecked: boolean } {
  const fast = addon()?.readItem(path, max);
  if (typeof fast === 'string') return { text: fast, depthChecked: true };
  if (fast === CODE.ENOENT) throw new NotFoundError(`${path}: no such file`);
  // Not UTF-8 (the addon reads strictly): read again and decode as Go does.
  return { text: utf8.decode(readRegular(path, max)), depthChecked: false };
}

/**
 * Only the `"<prefix>…":"…"` members of an item and whether its text ends an
 * object, through the addon (the text never becomes a string): undefined
 * when the careful path must read it whole (no addon, not UTF-8, too many
 * members, any error but absence).
 */
export function readKeyPairs(path: string, prefix: string): { pairs: string; endsObject: boolean } | 'absent' | undefined {
  const fast = addon()?.keyPairs(path, readLimit(basename(path)), prefix);
  if (typeof fast === 'string') return { pairs: fast.slice(1), endsObject: fast.charCodeAt(0) === 125 };
  return fast === CODE.ENOENT ? 'absent' : undefined;
}

/**
 * How large an item the runtime writes may be, by file: what reading may hold
 * in memory (a read past it is an unreadable-item, never a crash). config.json
 * carries every container's OCI spec and annotations: big pods reach tens of
 * MB. `set`'s input keeps its own 16 MiB limit.
 */
export function readLimit(file: string): number {
  if (file === 'config.json') return 256 * 1024 * 1024;
  if (file === 'persist.json') return 64 * 1024 * 1024;
  return MAX_ITEM_BYTES;
}

/** A small text file (a previous metrics file, say), or null when it is absent or cannot be read as one. */
export function readTextIfAny(path: string, max = 1024 * 1024): string | null {
  try {
    return readRegular(path, max).toString('utf8');
  } catch {
    return null;
  }
}

/**
 * An item's new value from a file or standard input (`-` or none), read with
 * the item limit: past it, and for a FILE that does not exist, it is a usage
 * error (exit 2), before more than the limit is held in memory.
 */
export function readInput(file: string | undefined, limit = MAX_ITEM_BYTES): Buffer {
  const stdin = file === undefined || file === '-';
  const name = stdin ? 'standard input' : file;
  let fd: number;
  try {
    fd = stdin ? 0 : openSync(file, 'r');
  } catch (e) {
    // A FILE argument that is not there is a bad argument, not a missing item.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`cannot read ${file}: no such file`);
    throw fromErrno(e, file, 'read');
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(65536, limit + 1 - total));
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        if ((e as NodeJS.ErrnoException).code === 'EOF') break;
        throw fromErrno(e, stdin ? undefined : file, `read ${stdin ? 'standard input' : ''}`.trim());
      }
      if (n === 0) break;
      total += n;
      if (total > limit) throw new UsageError(`${name} is over the ${limit}-byte limit for an item`);
      chunks.push(buf.subarray(0, n));
    }
  } finally {
    if (!stdin) closeSync(fd);
  }
  return Buffer.concat(chunks);
}

/** Is `name` an executable on $PATH? (crictl decides how a stuck pod is torn down.) */
export function onPath(name: string, path: string): boolean {
  return path.split(':').some((d) => {
    if (!d) return false;
    try {
      accessSync(`${d}/${name}`, C.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
