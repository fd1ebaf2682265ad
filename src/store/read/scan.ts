// One look at the store's roots: which sandboxes exist, what their
// directories are (without a stat per path), and which removals were left
// unfinished. The layouts decide from a Scan what a sandbox is.
import { join } from 'node:path';
import { kinds, kindOf, type Kind } from '../fs/dirs.js';
import { isValidId } from '../fs/ids.js';
import { OLD_TRASH_RE, TRASH_DIR_RE } from '../fs/names.js';
import { lstatOrUndef } from '../fs/read.js';
import type { Roots } from '../fs/roots.js';

export type { Kind } from '../fs/dirs.js';

export interface Hint {
  config: Kind;
  runtime: Kind;
  kata: Kind;
  vm: Kind;
  /** What an unfinished removal left of the sandbox, in any root (inside `.vcstore-trash-*` dirs). */
  trash: string[];
}

/** What one sandbox's directories hold: enough to tell its layout and containers without more stats. */
export interface Scan {
  sid: string;
  hint: Hint;
  /** The run-time root's entries, when it is a real directory that could be listed. */
  run: Map<string, Kind> | null;
  /** The config root's entries, likewise; listed on first use. */
  readonly cfg: Map<string, Kind> | null;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The roots a removal may leave trash in, as the Scan calls them. */
const TRASH_ROOTS = ['config', 'runtime', 'kata', 'vm', 'shared'] as const;
/** The directories of the roots a removal may leave trash in. */
export const trashRootDirs = (roots: Roots): string[] => TRASH_ROOTS.map((k) => rootDirs(roots)[k]);
const rootDirs = (roots: Roots) => ({ config: roots.config, runtime: roots.run, kata: roots.kata, vm: roots.vm, shared: roots.shared });

/**
 * Unfinished removals among a directory's entries, by the ID they belong to:
 * the one place trash names are recognised in a listing. A trash dir holds
 * the tree under its own name (one more readdir, only where trash is); a
 * 0.1.0 trash dir is the tree itself, renamed.
 */
export function trashIn(dir: string, entries: Map<string, Kind> | null, into = new Map<string, string[]>()): Map<string, string[]> {
  const add = (id: string, path: string) => {
    if (!isValidId(id)) return;
    const list = into.get(id);
    if (list) list.push(path);
    else into.set(id, [path]);
  };
  for (const [name, k] of entries ?? []) {
    if (k !== 'dir') continue;
    if (TRASH_DIR_RE.test(name)) {
      for (const inner of safeKinds(`${dir}/${name}`)?.keys() ?? []) add(inner, `${dir}/${name}/${inner}`);
      continue;
    }
    const old = OLD_TRASH_RE.exec(name);
    if (old?.[1] !== undefined) add(old[1], join(dir, name));
  }
  return into;
}

/** One readdir per root: every sandbox with what its directories are, in ID order. */
export function rootListing(roots: Roots): { id: string; hint: Hint }[] {
  const dirs = rootDirs(roots);
  const maps = { config: kinds(roots.config), runtime: kinds(roots.run), kata: kinds(roots.kata), vm: kinds(roots.vm), shared: kinds(roots.shared) };
  const trash = new Map<string, string[]>();
  for (const key of TRASH_ROOTS) trashIn(dirs[key], maps[key], trash);
  const ids = new Set<string>(trash.keys());
  for (const key of ['config', 'runtime', 'kata'] as const)
    for (const [name, k] of maps[key]) if ((k === 'dir' || k === 'symlink') && isValidId(name)) ids.add(name);
  // A sandbox is named by a directory (or a link) in some root; in the others,
  // whatever is there under its name is its to report (a file: not-a-store-dir).
  const pick = (m: Map<string, Kind>, id: string): Kind => m.get(id);
  return [...ids].sort(byName).map((id) => ({
    id,
    hint: { config: pick(maps.config, id), runtime: pick(maps.runtime, id), kata: pick(maps.kata, id), vm: maps.vm.get(id), trash: trash.get(id) ?? [] },
  }));
}

/** Unfinished removals in every root, by sandbox ID: one readdir per root for a whole command. */
export function trashIndex(roots: Roots): Map<string, string[]> {
  const dirs = rootDirs(roots);
  const out = new Map<string, string[]>();
  for (const key of TRASH_ROOTS) trashIn(dirs[key], kinds(dirs[key]), out);
  return out;
}

function safeKinds(dir: string): Map<string, Kind> | null {
  try {
    return kinds(dir);
  } catch {
    return null;
  }
}

export function scanSandbox(roots: Roots, sid: string, hint?: Hint, trash?: Map<string, string[]>): Scan {
  const h: Hint = hint ?? {
    config: kindOf(lstatOrUndef(join(roots.config, sid))),
    runtime: kindOf(lstatOrUndef(join(roots.run, sid))),
    kata: kindOf(lstatOrUndef(join(roots.kata, sid))),
    vm: kindOf(lstatOrUndef(join(roots.vm, sid))),
    trash: (trash ?? trashIndex(roots)).get(sid) ?? [],
  };
  // The config root is listed only when asked for: a listing needs the
  // run-time root alone (one readdir per sandbox, as the runtime's own code).
  let cfg: Map<string, Kind> | null | undefined;
  return {
    sid,
    hint: h,
    run: h.runtime === 'dir' ? safeKinds(`${roots.run}/${sid}`) : null,
    get cfg() {
      if (cfg === undefined) cfg = h.config === 'dir' ? safeKinds(`${roots.config}/${sid}`) : null;
      return cfg;
    },
  };
}

/** Candidate container directories: ID-named real dirs (not raw/); symlinked ones are reported apart. */
/** Can an entry of a sandbox directory be a container? Not `raw`, `lock`, an item file or anything no ID can be. */
export const isContainerName = (name: string): boolean => name !== 'raw' && name !== 'lock' && isValidId(name) && !name.endsWith('.json');

export function containerCandidates(...maps: (Map<string, Kind> | null)[]): { dirs: string[]; links: string[] } {
  const dirs = new Set<string>();
  const links = new Set<string>();
  for (const m of maps)
    for (const [name, k] of m ?? []) {
      if (!isContainerName(name)) continue;
      if (k === 'dir') dirs.add(name);
      else if (k === 'symlink') links.add(name);
    }
  // A container dir that is a link in one root is reported even when the other root has it for real.
  return { dirs: [...dirs].sort(byName), links: [...links].sort(byName) };
}
