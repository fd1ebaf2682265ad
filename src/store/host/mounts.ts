// The mount witness: /proc/self/mountinfo, read once before removing
// anything, so that no removal ever deletes what another mount holds.
import { readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface Mount {
  mountPoint: string;
  source: string;
  fstype: string;
}

/** Octal escapes mountinfo uses for space, tab, newline and backslash. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (f.length < 10 || dash < 6) continue;
    out.push({ mountPoint: unescape(f[4] ?? ''), fstype: unescape(f[dash + 1] ?? ''), source: unescape(f[dash + 2] ?? '') });
  }
  return out;
}

export class MountTable {
  /** Null when mountinfo cannot be read: then nothing may be removed. */
  readonly mounts: Mount[] | null;
  /** `text`: mountinfo's text; `parsed`: mounts another table read (a worker thread's copy). */
  constructor(text?: string, parsed?: Mount[] | null) {
    if (parsed !== undefined) {
      this.mounts = parsed;
      return;
    }
    let t = text;
    if (t === undefined) {
      try {
        t = readFileSync('/proc/self/mountinfo', 'utf8');
      } catch {
        t = undefined;
      }
    }
    this.mounts = t === undefined ? null : parseMountinfo(t);
  }

  /** Mounts at or below `path` (compared by real path: a prefix may sit behind a symlink). */
  under(path: string): Mount[] {
    if (!this.mounts) return [];
    const real = realish(path);
    return this.mounts.filter((m) => m.mountPoint === real || m.mountPoint.startsWith(`${real}/`));
  }

  /** Mount points as a set, for the removal walk. */
  points(): Set<string> {
    return new Set((this.mounts ?? []).map((m) => m.mountPoint));
  }
}

/** The real path of `path`'s parent joined with its own name (the path itself may be gone or a link). */
export function realish(path: string): string {
  try {
    return join(realpathSync.native(dirname(path)), basename(path));
  } catch {
    return path;
  }
}
