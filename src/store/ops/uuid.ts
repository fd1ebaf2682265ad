// Freeing an ACRN VM UUID slot: atomically, under the UUID store's own
// lock, and never while a sandbox that uses it is alive or cannot be told dead.
import { join } from 'node:path';
import { NotFoundError, RefusedError, StoreError, UsageError } from '../fs/errors.js';
import { goJson } from '../fs/gojson.js';
import { lstatOrUndef, readJson } from '../fs/read.js';
import type { Roots } from '../fs/roots.js';
import { atomicWrite } from '../fs/write.js';
import { withLock } from '../host/guard.js';
import { availability, readUuidStore, uuidStorePath } from '../inspect/uuid.js';

export interface FreeResult {
  path: string;
  slot: number;
  uuid: string;
  changed: boolean;
  note?: string;
}

/** Mark a slot free, atomically, under the UUID store's own flock. */
export async function freeUuidSlot(
  roots: Roots,
  slot: number,
  o: { force?: boolean; wait: number; signal?: AbortSignal; dryRun?: boolean },
): Promise<FreeResult> {
  const path = uuidStorePath(roots);
  const dir = path.slice(0, path.lastIndexOf('/'));
  if (!lstatOrUndef(path)) throw new NotFoundError(`no ACRN UUID store at ${path}`);
  // The same discipline as a sandbox lock: the runtime's own lock file, or nothing changes.
  const lock = join(dir, 'lock');
  const st = lstatOrUndef(lock);
  if (!st) throw new StoreError(`refusing to change ${path}: its lock ${lock} is missing, so the runtime could not be kept out`, { path: lock });
  if (st.isSymbolicLink()) throw new StoreError(`refusing to lock ${lock}: it is a symbolic link`, { path: lock });
  if (!st.isFile()) throw new StoreError(`refusing to lock ${lock}: not a regular file`, { path: lock });
  return withLock(lock, { mode: 'exclusive', wait: o.wait, signal: o.signal, label: 'the ACRN UUID store' }, () => {
    const store = readUuidStore(roots);
    const s = store.slots[slot];
    if (!s) throw new UsageError(`invalid slot ${slot}: 0-7`);
    const live = s.sandboxes.find((x) => x.alive !== false); // alive, or cannot tell
    if (live && !o.force)
      throw new RefusedError(
        `refusing to free UUID slot ${slot}: sandbox ${live.id} uses it and is ${live.alive ? 'alive' : 'not provably dead'}; use --force`,
      );
    if (!s.busy) return { path, slot, uuid: s.uuid, changed: false, note: 'already free' };
    const doc = readJson(path) as Record<string, unknown>;
    const key = Object.keys(doc).find((k) => k.toLowerCase() === 'uuidavailability') ?? 'UUIDAvailability';
    const avail = [...availability(doc, path)];
    avail[slot] = 0;
    if (!o.dryRun) atomicWrite(path, goJson({ ...doc, [key]: avail }));
    const r: FreeResult = { path, slot, uuid: s.uuid, changed: true };
    if (s.sandboxes.length) r.note = `used by dead sandbox ${s.sandboxes.map((x) => x.id).join(', ')}`;
    return r;
  });
}
