// One look at the store's roots: which sandboxes exist, what their
// directories are (without a stat per path), and which removals were left
// unfinished. The layouts decide from a Scan what a sandbox is.
import { join } from 'node:path';
import { listDir, lstatOrUndef } from '../fs/read.js';
import { nativeFlock } from '../host/locks.js';
import { TRASH_RE } from '../ops/trash.js';
import { isValidId } from '../fs/ids.js';
import type { Roots } from '../fs/roots.js';

/** What a directory entry is, from readdir or lstat; undefined when absent. */
export type Kind = 'dir' | 'symlink' | 'other' | undefined;

export function kindOf(d: { isDirectory(): boolean; isSymbolicLink(): boolean } | undefined): Kind {
  if (!d) return undefined;
  return d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'symlink' : 'other';
}

const KIND: Record<string, Kind> = { d: 'dir', l: 'symlink', f: 'other', o: 'other' };

/** Entries of a directory by name, with their kinds (one getdents, no stat). */
export function kinds(dir: string): Map<string, Kind> {
  const m = new Map<string, Kind>();
  // The addon hands the whole listing back as one string: no Dirent per entry.
  const fast = nativeFlock()?.listDir?.(dir);
  if (typeof fast === 'string') {
    let plain = !/[^\x20-\x7e\0]/.test(fast);
    for (const e of fast.split('\0')) {
      if (!e) continue;
      if (e[0] === 'u') plain = false;
      m.set(e.slice(1), KIND[e[0]!]);
    }
    // A file system that gives no types (DT_UNKNOWN), or a name that is not
    // plain ASCII: Node's own listing decides.
    if (plain) return m;
    m.clear();
  } else if (fast === -2) return m;
  for (const d of listDir(dir)) m.set(d.name, kindOf(d));
  return m;
}

export interface Hint {
  config: Kind;
  runtime: Kind;
  kata: Kind;
  vm: Kind;
  /** Hidden `.vcstore-rm-<sid>-*` dirs of an unfinished removal, in any root. */
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

/** One readdir per root: every sandbox with what its directories are, in ID order. */
export function rootListing(roots: Roots): { id: string; hint: Hint }[] {
  const dirs = { config: roots.config, runtime: roots.run, kata: roots.kata, vm: roots.vm, shared: roots.shared } as const;
  const maps = { config: kinds(roots.config), runtime: kinds(roots.run), kata: kinds(roots.kata), vm: kinds(roots.vm), shared: kinds(roots.shared) };
  const ids = new Set<string>();
  const trash = new Map<string, string[]>();
  for (const key of ['config', 'runtime', 'kata', 'vm', 'shared'] as const)
    for (const [name, k] of maps[key]) {
      const t = TRASH_RE.exec(name);
      if (t && k === 'dir' && isValidId(t[1]!)) {
        ids.add(t[1]!);
        trash.set(t[1]!, [...(trash.get(t[1]!) ?? []), join(dirs[key], name)]);
      } else if (key !== 'vm' && key !== 'shared' && (k === 'dir' || k === 'symlink') && isValidId(name)) ids.add(name);
    }
  const pick = (m: Map<string, Kind>, id: string): Kind => {
    const k = m.get(id);
    return k === 'dir' || k === 'symlink' ? k : undefined;
  };
  return [...ids].sort(byName).map((id) => ({
    id,
    hint: { config: pick(maps.config, id), runtime: pick(maps.runtime, id), kata: pick(maps.kata, id), vm: maps.vm.get(id), trash: trash.get(id) ?? [] },
  }));
}

/**
 * Unfinished removals in every root, by sandbox ID: one readdir per root for
 * a whole command (a bulk rm asks for each of its sandboxes).
 */
export function trashIndex(roots: Roots): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const root of [roots.config, roots.run, roots.kata, roots.vm, roots.shared])
    for (const d of listDir(root)) {
      const t = TRASH_RE.exec(d.name);
      if (t && d.isDirectory()) out.set(t[1]!, [...(out.get(t[1]!) ?? []), join(root, d.name)]);
    }
  return out;
}

/** Unfinished removals of one sandbox, in every root. */
export function trashOf(roots: Roots, sid: string): string[] {
  const out: string[] = [];
  for (const root of [roots.config, roots.run, roots.kata, roots.vm, roots.shared])
    for (const d of listDir(root)) {
      const t = TRASH_RE.exec(d.name);
      if (t && t[1] === sid && d.isDirectory()) out.push(join(root, d.name));
    }
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
    trash: trash ? (trash.get(sid) ?? []) : trashOf(roots, sid),
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
export function containerCandidates(...maps: (Map<string, Kind> | null)[]): { dirs: string[]; links: string[] } {
  const dirs = new Set<string>();
  const links = new Set<string>();
  for (const m of maps)
    for (const [name, k] of m ?? []) {
      if (name === 'raw' || !isValidId(name) || /\.json$/.test(name)) continue;
      if (k === 'dir') dirs.add(name);
      else if (k === 'symlink') links.add(name);
    }
  return { dirs: [...dirs].sort(byName), links: [...links].filter((l) => !dirs.has(l)).sort(byName) };
}
