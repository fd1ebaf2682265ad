// The Node-API addon (src/native/addon.c): loading it, and the codes its
// calls return, by name. Every call has a careful JavaScript twin that the
// caller falls back to for anything but success and absence, so a message
// stays exact, and on hosts where the addon does not load. The wiring can
// turn every fast path off (VCSTORE_ADDON=0): then flock(1) takes every lock.
// The package ships one prebuild per Linux glibc architecture Kata runs on
// (dist/native/linux-{x64,arm64,s390x,ppc64}-glibc/vcstore.node, built by
// scripts/build.mjs); only the one for this process's platform, arch and C
// library is ever loaded.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's negative results that are not -errno. */
export const CODE = {
  ENOENT: -2,
  EXDEV: -18,
  NOT_REGULAR: -1000,
  TOO_BIG: -1001,
  NOT_UTF8: -1002,
  TOO_DEEP: -1003,
  NOT_JSON: -1004,
  /** The path holds a NUL byte, or does not fit PATH_MAX: the careful twin says which. */
  BAD_PATH: -1005,
  /** keyPairs: more than 64 KiB of members; read the item whole. */
  TOO_MANY: -1006,
} as const;

/** Linux errno values the addon's flock and kill0 return. */
export const ERRNO = { EPERM: 1, ESRCH: 3, EWOULDBLOCK: 11 } as const;

/** flock(2) operations. */
export const LOCK = { SH: 1, EX: 2, NB: 4, UN: 8 } as const;

export interface Addon {
  /** Non-blocking flock(2) (or LOCK_UN): 0 or the errno value. */
  flock(fd: number, op: number): number;
  /** One item read in one call: its text, or a negative code. */
  readItem(path: string, max: number): string | number;
  /**
   * An item read as readItem reads it, returning only '}' or '-' (does it end
   * an object?) and each `"<prefix>…":"…"` member textLookup would find, one
   * a line, as written: or a negative code.
   */
  keyPairs(path: string, max: number, prefix: string): string | number;
  /** kill(pid, 0) without an exception: 0 or the errno value. */
  kill0(pid: number): number;
  /** Delete a directory tree without leaving its device: 0 or a negative code (CODE.EXDEV: a mount). */
  removeTree(path: string): number;
  /** A directory's entries as "<type><name>\0..." (d, l, f, o, u), or a negative code. */
  listDir(path: string): string | number;
}

let loaded: Addon | null | undefined;
let enabled = true;
let file: string | undefined;
/** Why the addon found for this target did not load (a glibc too old, a damaged file), for --version --verbose. */
let failure: string | undefined;
/** The dist/native folder found, if any: where the other targets' prebuilds are. */
let nativeDir: string | undefined;

/** The wiring's switch (VCSTORE_ADDON=0 turns every fast path off); takes effect for the next call. */
export function useAddon(on: boolean): void {
  if (on !== enabled) loaded = undefined;
  enabled = on;
}

function here(): string {
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/** The target an addon is built for: linux-x64-glibc and the like (scripts/build.mjs uses the same rule). */
export function addonTarget(): string {
  return `${process.platform}-${process.arch}-${libc()}`;
}

/**
 * The C library this Node runs on. The loader mapped into this process says
 * it (musl's is ld-musl-*), in well under a millisecond; a diagnostic report,
 * which says it too, costs several at every start-up.
 */
function libc(): 'glibc' | 'musl' {
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'latin1');
  } catch {
    const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
    return header?.glibcVersionRuntime ? 'glibc' : 'musl';
  }
  return maps.includes('/ld-musl-') ? 'musl' : 'glibc';
}

/** The addon, or null when it is turned off or not built for this host. */
export function addon(): Addon | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (!enabled) return loaded;
  // dist/core.cjs and dist/src/store/fs/*.js both find dist/native/<target>/,
  // and only the addon built for this platform is ever loaded.
  const target = addonTarget();
  let dir = dirname(here());
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const f = join(dir, 'native', target, 'vcstore.node');
    if (!existsSync(f)) {
      if (!nativeDir && existsSync(join(dir, 'native'))) nativeDir = join(dir, 'native');
      continue;
    }
    try {
      loaded = createRequire(here())(f) as Addon;
      file = f;
      failure = undefined;
    } catch (e) {
      /* cannot load here: the careful paths it is */
      failure = `${f} did not load: ${String((e as Error).message).split('\n')[0]}`;
    }
    break;
  }
  return loaded;
}

/** The targets that have a prebuild beside the one looked for (linux-arm64-glibc, ...), for a message. */
function prebuilds(): string[] {
  const dir = nativeDir;
  if (!dir) return [];
  try {
    return readdirSync(dir)
      .filter((t) => existsSync(join(dir, t, 'vcstore.node')))
      .sort();
  } catch {
    return [];
  }
}

/** Which lock backend this process uses, for `vcstore --version --verbose`. */
export function lockBackend(): string {
  if (addon()) return `flock(2) through the Node-API addon ${file}; waits through util-linux flock(1)`;
  if (!enabled) return 'util-linux flock(1) for every lock (VCSTORE_ADDON=0: every fast path off)';
  if (failure) return `util-linux flock(1) for every lock (the addon ${failure})`;
  const others = prebuilds();
  return `util-linux flock(1) for every lock (no addon for ${addonTarget()}${others.length ? `; prebuilt for ${others.join(', ')}` : ''})`;
}
