// The network namespace a sandbox's runtime made for it (1.x network.json,
// the persist layout's Network; only with NetNsCreated / NetworkCreated):
// an nsfs bind mount on a file under /run/netns, which the runtime's own
// delete unmounts (MNT_DETACH) and removes (network.go deleteNetNS). After
// the store is gone nothing records it, so it goes with the sandbox, through
// the same witnesses: never one the runtime did not make, never one a live
// process still uses (/proc/<pid>/ns/net), never outside <prefix>/run/netns
// or <prefix>/var/run/netns, never through a symbolic link.
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Mount } from './mounts.js';

export interface NetnsFile {
  /** Where it is under the roots (the prefix in front). */
  path: string;
  /** An nsfs mount is on it (what the runtime leaves). */
  mounted: boolean;
  /** Pids whose network namespace it is; null when that cannot be told. */
  users: number[] | null;
}

/** A namespace name as `ip netns` and the runtime make them: one path component. */
const NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.:-]*$/;

/**
 * The file a recorded path names under the roots: `/run/netns/<name>` or
 * `/var/run/netns/<name>` (the runtime writes the latter; /var/run is /run)
 * with the prefix in front; null for any other place (never followed).
 */
export function netnsFile(prefix: string, recorded: string): string | null {
  const m = /^\/(?:var\/)?run\/netns\/([^/]+)$/.exec(recorded);
  const name = m?.[1];
  if (!name || !NAME.test(name) || name === '.' || name === '..') return null;
  for (const dir of ['run/netns', 'var/run/netns']) {
    const path = join(prefix || '/', dir, name);
    try {
      // The directories on the way may be the host's own symlink (/var/run), the file itself never.
      if (lstatSync(path).isFile()) return path;
    } catch {
      /* not there: the next place */
    }
  }
  return null;
}

/** The pids whose network namespace has inode `ino`: one read of /proc/<pid>/ns/net each. */
function usersOf(ino: number): number[] {
  const out: number[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const want = `net:[${ino}]`;
  for (const pid of pids)
    try {
      if (readlinkSync(`/proc/${pid}/ns/net`) === want) out.push(Number(pid));
    } catch {
      /* gone, or not ours to read */
    }
  return out;
}

/**
 * The recorded namespace as it is on the host now: its file under the
 * roots, whether an nsfs mount is on it, and who uses it. Undefined when
 * it is not there (or not somewhere vcstore would touch).
 */
export function netnsNow(prefix: string, recorded: string, mounts: readonly Mount[] | null): NetnsFile | undefined {
  const path = netnsFile(prefix, recorded);
  if (path === null) return undefined;
  const mounted = (mounts ?? []).some((m) => m.mountPoint === path);
  let users: number[] | null = [];
  if (mounted)
    try {
      users = usersOf(statSync(path).ino);
    } catch {
      users = null;
    }
  return { path, mounted, users };
}
