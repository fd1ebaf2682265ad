// Changing items: raw items (1.x) and replacing an item or a state. Each
// change runs under the sandbox's exclusive flock, refuses a live sandbox or
// one whose liveness cannot be told (unless forced), and writes atomically in
// the runtime's own format.
import { closeSync, constants as C, fchmodSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fromErrno, StoreError, UsageError } from '../fs/errors.js';
import { lstatOrUndef, storeDir } from '../fs/read.js';
import { litDuplicate, parseLit, type Lit } from '../fs/jsonlit.js';
import { LitSyntaxError } from '../fs/jsonscan.js';
import { jqPath, verdictText } from '../layouts/validate.js';
import type { Change } from '../layouts/rewrite.js';
import { atomicWrite } from '../fs/write.js';
import { withLock } from '../host/guard.js';
import { openSandbox, requireContainer, type SandboxHandle } from '../inspect/handle.js';
import { validateId } from '../fs/ids.js';
import { inspectScanned } from '../inspect/inspect.js';
import { STATES } from '../layouts/items.js';
import type { ItemRef } from '../layouts/index.js';
import { ProcTable } from '../host/procs.js';
import { changeLock, refuseIfLive, refuseIfNamed } from './witness.js';

export interface EditOptions {
  force?: boolean;
  dryRun?: boolean;
  wait: number;
  signal?: AbortSignal;
  /** Told once, with the holders, when the lock wait lasts longer than a moment. */
  onWait?: (holders: string) => void;
}

export interface RawResult {
  path: string;
  url: string;
  created: boolean;
}

function requireRaw(h: SandboxHandle): void {
  if (!h.layout.raw) throw new UsageError(`raw items: sandbox ${h.id} uses the ${h.layout.name} layout, which has no raw/ directories`);
}

/** The raw/ directory of the sandbox's or a container's run-time root. */
export function rawDir(h: SandboxHandle, cid?: string): string {
  requireRaw(h);
  if (!storeDir(h.paths.runtime)) throw new StoreError(`sandbox ${h.id} has no run-time root ${h.paths.runtime}`);
  const base = cid === undefined ? h.paths.runtime : requireContainer(h, cid).find((d) => d.startsWith(h.paths.runtime));
  if (!base) throw new StoreError(`container ${cid} has no run-time root`);
  return join(base, 'raw');
}

export interface RawItem {
  name: string;
  path: string;
  url: string;
  size: number;
}

/** Raw items: the regular files in raw/ (never a subdirectory, never through a link). */
export function rawItems(dir: string): RawItem[] {
  if (!storeDir(dir)) return [];
  const out: RawItem[] = [];
  for (const name of listNames(dir)) {
    const st = lstatOrUndef(join(dir, name));
    if (!st?.isFile() || name.startsWith('.')) continue;
    const path = join(dir, name);
    out.push({ name, path, url: `file://${path}`, size: st.size });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

function listNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    throw fromErrno(e, dir, 'list');
  }
}

/**
 * Create raw/<name> (empty, 0644 like os.Create) or raw/raw-<random> (0600
 * like ioutil.TempFile). An existing named item is left as it is.
 */
export async function createRaw(h: SandboxHandle, name: string | undefined, cid: string | undefined, o: EditOptions): Promise<RawResult> {
  if (name !== undefined) validateId(name, 'raw item name');
  const dir = rawDir(h, cid);
  return withLock(changeLock(h, 'change'), { mode: 'exclusive', wait: o.wait, signal: o.signal, label: `sandbox ${h.id}`, onWait: o.onWait }, () => {
    if (!storeDir(dir)) {
      try {
        mkdirSync(dir, { mode: 0o750 });
      } catch (e) {
        throw fromErrno(e, dir, 'create');
      }
    }
    for (let attempt = 0; attempt < 100; attempt++) {
      const path = join(dir, name ?? `raw-${Math.floor(Math.random() * 0xffffffff)}`);
      const mode = name === undefined ? 0o600 : 0o644;
      let fd: number;
      try {
        fd = openSync(path, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, mode);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
          if (name === undefined) continue;
          if (!lstatOrUndef(path)?.isFile()) throw new StoreError(`refusing raw item ${path}: exists and is not a regular file`, { path: path });
          return { path, url: `file://${path}`, created: false };
        }
        throw fromErrno(e, path, 'create');
      }
      fchmodSync(fd, mode);
      closeSync(fd);
      return { path, url: `file://${path}`, created: true };
    }
    throw new StoreError(`cannot find a free raw item name in ${dir}`);
  });
}

export interface SetResult {
  path: string;
  item: string;
  bytes: number;
  warnings: string[];
}

export interface SetOptions extends EditOptions {
  /** JSON text to store (validated, then written in the runtime's format). */
  input?: Buffer;
  /** Rewrite only the state. */
  state?: string;
  /** Write keys the runtime's types do not have. */
  allowUnknownKeys?: boolean;
}

/** The input as text: UTF-8, or a usage error. */
function inputText(buf: Buffer, name: string): string {
  if (buf.length === 0) throw new UsageError(`invalid ${name} input: empty`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf);
  } catch {
    throw new UsageError(`invalid ${name} input: not valid UTF-8`);
  }
}

export async function setItem(h: SandboxHandle, cid: string | undefined, ref: ItemRef | undefined, o: SetOptions): Promise<SetResult> {
  let input: Lit | undefined;
  if (o.state !== undefined) {
    if (!(STATES as readonly string[]).includes(o.state)) throw new UsageError(`invalid --state ${JSON.stringify(o.state)}: one of ${STATES.join(', ')}`);
    const sref = h.layout.stateRef(h.roots, h.id, cid);
    if (ref && ref.path !== sref.path && ref.section !== 'state' && ref.name !== 'State') throw new UsageError('--state only applies to the state item');
    ref = sref;
  } else {
    if (!ref) throw new UsageError('missing ITEM');
    const text = inputText(o.input ?? Buffer.alloc(0), ref.name);
    try {
      input = parseLit(text, true).value;
    } catch (e) {
      if (!(e instanceof LitSyntaxError)) throw e;
      throw new UsageError(`invalid ${ref.name} input: not JSON (${e.message})`);
    }
    // What the runtime could not load is refused before any lock is waited for (exit 2).
    const dup = litDuplicate(input);
    if (dup)
      throw new UsageError(
        `invalid ${ref.name} input: ${jqPath(dup.path)}: key ${JSON.stringify(dup.key)} given twice${dup.key === dup.first ? '' : ` (first as ${JSON.stringify(dup.first)})`}; the runtime takes the last: write it once`,
      );
    const j = h.layout.judgeInput(ref, input, cid !== undefined);
    if (j?.verdict) throw new UsageError(`invalid ${ref.name} item: ${verdictText(j.verdict)}; nothing was written`);
  }
  if (cid !== undefined) requireContainer(h, cid);
  const target = ref;
  return withLock(changeLock(h, 'change', o.force), { mode: 'exclusive', wait: o.wait, signal: o.signal, label: `sandbox ${h.id}`, onWait: o.onWait }, () => {
    // What the runtime could not load is refused first (exit 2), whatever else is true.
    const change: Change = o.state !== undefined ? { state: o.state } : { input: input ?? { t: 'null' } };
    const rw = h.layout.rewrite(target, change, cid !== undefined, { allowUnknownKeys: o.allowUnknownKeys });
    let warnings: string[] = [];
    if (!o.force) {
      // Decided on what is true now that the lock is held.
      refuseIfLive(inspectScanned(h.roots, openSandbox(h.roots, h.id).scan, { lockless: true }), 'change');
      warnings = refuseIfNamed(new ProcTable(), h.id, `sandbox ${h.id}`, 'change', 'warn');
    }
    if (o.state !== undefined && rw.current !== 'ok') warnings.push(`${target.path} was ${rw.current === 'absent' ? 'missing' : 'corrupt'}; writing a new one`);
    if (!o.dryRun) atomicWrite(target.path, rw.text, { mode: rw.mode });
    return { path: target.path, item: target.name, bytes: Buffer.byteLength(rw.text), warnings };
  });
}
