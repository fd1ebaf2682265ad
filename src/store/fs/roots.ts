// Where the store lives. Mirrors the Go runtime: every root is
// <rootless dir>/<VCStorePrefix>/<fixed path>, and the prefix is applied to
// every root alike (the Go helper that forgot it is a bug we do not copy).
import { readFileSync, statSync } from 'node:fs';
import { NotFoundError } from './errors.js';
import { lstatOrUndef } from './read.js';
import { join, resolve } from 'node:path';

export interface Roots {
  /** Absolute prefix joined in front of every root ('' for none). */
  prefix: string;
  /** $XDG_RUNTIME_DIR when running rootless, else ''. */
  rootlessDir: string;
  /** Sandbox and container configuration: /var/lib/vc/sbs */
  config: string;
  /** Sandbox and container run-time state and the lock: /run/vc/sbs */
  run: string;
  /** ACRN VM UUID store of the 1.x layout: /var/lib/vc/uuid */
  uuid: string;
  /** ACRN VM UUID store of the persist layout (1.11+): /run/vc/uuid */
  persistUuid: string;
  /** Guest VM dirs (qemu pid, sockets): /run/vc/vm */
  vm: string;
  /** Kata 3.x runtime-rs state: /run/kata */
  kata: string;
  /** Shared dirs served to the guest: /run/kata-containers/shared/sandboxes */
  shared: string;
  /** Where the cgroup file systems are mounted: /sys/fs/cgroup (under --prefix, never under the rootless dir: cgroups are the host's). */
  cgroup: string;
}

export interface RootOptions {
  prefix?: string | undefined;
  /** The environment the wiring was given (VCSTORE_ROOTLESS, XDG_RUNTIME_DIR). */
  env: NodeJS.ProcessEnv;
  /** For tests: the text of /proc/self/uid_map. */
  uidMap?: string | null;
  euid?: number;
}

/**
 * Rootless as the Go runtime decides it: we are root inside a user namespace
 * whose uid 0 maps to a non-zero host uid. The euid alone is not enough.
 */
export function isRootless(uidMap: string | null, euid: number): boolean {
  if (euid !== 0 || uidMap === null) return false;
  for (const line of uidMap.split('\n')) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length !== 3 || f.some((n) => !Number.isFinite(n))) continue;
    const [inside, outside, count] = f as [number, number, number];
    if (inside <= 0 && 0 < inside + count) return outside + (0 - inside) !== 0;
  }
  return false;
}

function readUidMap(): string | null {
  try {
    return readFileSync('/proc/self/uid_map', 'utf8');
  } catch {
    return null;
  }
}

export function resolveRoots(opts: RootOptions): Roots {
  const env = opts.env;
  const prefix = opts.prefix ? resolve(opts.prefix) : '';
  let rootless: boolean;
  const forced = env.VCSTORE_ROOTLESS;
  if (forced === '1' || forced === 'true') rootless = true;
  else if (forced === '0' || forced === 'false') rootless = false;
  else rootless = isRootless(opts.uidMap !== undefined ? opts.uidMap : readUidMap(), opts.euid ?? process.geteuid?.() ?? 0);
  const rootlessDir = rootless ? (env.XDG_RUNTIME_DIR ?? '') : '';
  const at = (p: string) => join(rootlessDir || '/', prefix || '/', p);
  return {
    prefix,
    rootlessDir,
    config: at('var/lib/vc/sbs'),
    run: at('run/vc/sbs'),
    uuid: at('var/lib/vc/uuid'),
    persistUuid: at('run/vc/uuid'),
    vm: at('run/vc/vm'),
    kata: at('run/kata'),
    shared: at('run/kata-containers/shared/sandboxes'),
    cgroup: join(prefix || '/', 'sys/fs/cgroup'),
  };
}

/** A --prefix that does not exist: not found (3), naming it, before anything is looked at. */
export function requirePrefix(roots: Roots): void {
  if (!roots.prefix) return;
  let st;
  try {
    st = statSync(roots.prefix);
  } catch {
    throw new NotFoundError(`--prefix ${roots.prefix}: no such directory`);
  }
  if (!st.isDirectory()) throw new NotFoundError(`--prefix ${roots.prefix}: not a directory`);
}

/** The sandbox roots a listing looks at; none existing is no Kata store at all, not an empty one. */
export function requireSomeRoot(roots: Roots): void {
  const looked = [roots.config, roots.run, roots.kata, roots.vm, roots.shared];
  if (looked.some((d) => lstatOrUndef(d) !== undefined)) return;
  throw new NotFoundError(
    `no Kata store here: none of ${looked.join(', ')} exists${roots.prefix ? '' : ' (not a Kata node, or no sandbox since boot? --prefix DIR for a copy)'}`,
  );
}
