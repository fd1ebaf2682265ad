// The names vcstore gives what it leaves in the store while it works: temp
// files of an atomic write, and the hidden trash dirs of a removal. Readers
// (scan, inspect), writers and removers all recognise them from here.
//
// Each name carries its writer's pid and start time: a writer is at work
// only while that pid still has that start time, so a reused pid never keeps
// a leftover from being finished. A removal moves a tree into a trash dir of
// its own, `.vcstore-trash-<pid>-<start>-<hex>/<name>`, beside it: any name
// the store can hold (up to NAME_MAX) fits, and the name inside says whose
// removal it was.
import { readFileSync } from 'node:fs';
import { addon, ERRNO } from './addon.js';
import { inInitialPidNs, procStat, selfStart } from './procstat.js';

/** A trash dir: `.vcstore-trash-<pid>-<start>-<hex>`, holding the tree being removed under its own name. */
export const TRASH_DIR_RE = /^\.vcstore-trash-(\d+)-(\d+)-([0-9a-f]{8})$/;

/** vcstore 0.1.0 renamed the tree itself: `.vcstore-rm-<name>-<pid>-<hex>`. Still recognised and finished. */
export const OLD_TRASH_RE = /^\.vcstore-rm-(.+)-(\d+)-([0-9a-f]{8})$/;

/** Temp file of an atomic write: `.<file>.vcstore-<pid>-<start>-<hex>.tmp` (0.1.0: without the start). */
export const TMP_RE = /^\..+\.vcstore-(\d+)(?:-(\d+))?-[0-9a-f]+\.tmp$/;

/** Uniqueness for temp names (O_EXCL does the rest); no crypto module at start-up. */
export function randomHex(): string {
  return Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, '0');
}

export const trashDirName = (): string => `.vcstore-trash-${process.pid}-${selfStart()}-${randomHex()}`;
export const tempName = (file: string): string => `.${file}.vcstore-${process.pid}-${selfStart()}-${randomHex()}.tmp`;

/**
 * Is the writer of a leftover another process still at work? `start`
 * undefined: a 0.1.0 name, known by pid alone, so a live pid counts only
 * while its arguments name vcstore. In another pid namespace pids mean
 * nothing here: it counts as at work (a leftover is never finished on a guess).
 */
export function writerAlive(pid: number, start: number | undefined): boolean {
  if (pid === process.pid && (start === undefined || start === selfStart())) return false;
  if (!inInitialPidNs()) return true;
  if (start !== undefined) {
    const st = procStat(pid);
    return st !== null && st.start === start;
  }
  const fast = addon()?.kill0(pid);
  const alive = fast !== undefined ? fast === 0 || fast === ERRNO.EPERM : procStat(pid) !== null;
  return alive && isVcstore(pid);
}

/** Do the arguments of `pid` name vcstore (a 0.1.0 removal still running)? Unreadable counts as yes. */
function isVcstore(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('vcstore');
  } catch {
    return true;
  }
}

/** The writer of a trash dir name (new or 0.1.0 form), or null when it is no trash name. */
export function trashWriter(name: string): { pid: number; start: number | undefined } | null {
  const m = TRASH_DIR_RE.exec(name);
  if (m) return { pid: Number(m[1]), start: Number(m[2]) };
  const o = OLD_TRASH_RE.exec(name);
  return o ? { pid: Number(o[2]), start: undefined } : null;
}
