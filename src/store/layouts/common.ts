// Pieces every layout shares: directory problems, missing roots, debris
// shells, the state field, reading an item's current value for a rewrite.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listDir } from '../fs/dirs.js';
import { CorruptItemError, lstatOrUndef, readJson } from '../fs/read.js';
import { NotFoundError } from '../fs/errors.js';
import { field } from '../fs/gojson.js';
import { problem, type Problem } from '../read/problems.js';
import type { Kind } from '../read/scan.js';
import type { Liveness } from '../host/liveness.js';
import type { ContainerInfo, NetnsRecord } from './types.js';

/** A store directory that is a symlink or not a directory: a problem, never followed. */
export function dirProblems(problems: Problem[], kind: Kind, path: string, what: string, container?: string): void {
  const o = container === undefined ? {} : { container };
  if (kind === 'symlink') problems.push(problem('symlink', { path, what }, o));
  else if (kind === 'other') problems.push(problem('not-a-store-dir', { path, what }, o));
}

export function configMissing(problems: Problem[], runtime: string): void {
  problems.push(problem('config-missing', { runtime }));
}

let boot: number | null | undefined;
function bootTimeMs(): number | null {
  if (boot === undefined) {
    try {
      const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
      boot = m ? Number(m[1]) * 1000 : null;
    } catch {
      boot = null;
    }
  }
  return boot;
}

/** A config root without a run-time root: normal after a reboot (info), a leak otherwise. */
export function runtimeMissing(problems: Problem[], config: string): void {
  const st = lstatOrUndef(config);
  const b = bootTimeMs();
  const beforeBoot = b !== null && st !== undefined && st.mtimeMs < b;
  problems.push(problem('runtime-missing', { config, beforeBoot }, beforeBoot ? { severity: 'info' } : {}));
}

/** Only `lock` and an empty `raw/`: what the Go store leaves when it opens a store and writes nothing. */
export function isShell(dir: string | null): boolean {
  if (!dir) return true;
  const names = listDir(dir).map((d) => d.name);
  if (names.some((n) => n !== 'lock' && n !== 'raw')) return false;
  const raw = join(dir, 'raw');
  return !lstatOrUndef(raw) || listDir(raw).length === 0;
}

/** A container's record from its state and its process's liveness. */
export function containerInfo(id: string, state: string | null, live: Liveness): ContainerInfo {
  const c: ContainerInfo = { id, state, pid: live.pid, alive: live.alive };
  if (live.reused) c.reused = true;
  if (live.unknown) c.unknown = live.unknown;
  return c;
}

export function stateOf(doc: unknown): string | null {
  const s = field(doc, 'state');
  return typeof s === 'string' ? s : null;
}

/** The current value of a file about to be rewritten: absent and corrupt files are written anew. */
export function readCurrent(path: string): { value: unknown; current: 'ok' | 'absent' | 'corrupt' } {
  try {
    return { value: readJson(path), current: 'ok' };
  } catch (e) {
    if (e instanceof NotFoundError) return { value: undefined, current: 'absent' };
    if (e instanceof CorruptItemError) return { value: undefined, current: 'corrupt' };
    throw e;
  }
}

/**
 * The network namespace a store's network record names: 1.x network.json
 * and the 1.11 to 2.3 persist driver say NetNsPath and NetNsCreated, 2.4
 * and later NetworkID and NetworkCreated (persist/api/network.go). Only a
 * namespace the runtime made is its to remove (CNI's and containerd's are
 * theirs: the CRI passes its path in the spec and the flag stays false).
 */
export function netnsOf(network: unknown): NetnsRecord | undefined {
  const path = field(network, 'NetNsPath') ?? field(network, 'NetworkID');
  const created = field(network, 'NetNsCreated') ?? field(network, 'NetworkCreated');
  if (typeof path !== 'string' || path === '') return undefined;
  return { path, created: created === true };
}
