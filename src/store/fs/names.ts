// The names vcstore gives what it leaves in the store while it works: temp
// files of an atomic write, and the hidden trash dirs of a removal. Readers
// (scan, inspect), writers and removers all recognise them from here.
import { addon, ERRNO } from './addon.js';

/** Hidden name of a tree being removed: `.vcstore-rm-<name>-<pid>-<hex>`, listed as an unfinished removal of <name>. */
export const TRASH_RE = /^\.vcstore-rm-(.+)-(\d+)-([0-9a-f]{8})$/;

/** Temp file of an atomic write: `.<file>.vcstore-<pid>-<hex>.tmp`. */
export const TMP_RE = /^\..+\.vcstore-(\d+)-[0-9a-f]+\.tmp$/;

/** Uniqueness for temp names (O_EXCL does the rest); no crypto module at start-up. */
export function randomHex(): string {
  return Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, '0');
}

export const trashName = (name: string): string => `.vcstore-rm-${name}-${process.pid}-${randomHex()}`;
export const tempName = (file: string): string => `.${file}.vcstore-${process.pid}-${randomHex()}.tmp`;

/** The sandbox (or container) ID a trash dir name belongs to, or null when it is no trash name. */
export function trashOwnerId(name: string): string | null {
  return TRASH_RE.exec(name)?.[1] ?? null;
}

/** Is the writer `pid` of a leftover another live process (still at work)? */
export function writerAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  const fast = addon()?.kill0(pid);
  if (fast !== undefined) return fast === 0 || fast === ERRNO.EPERM;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
