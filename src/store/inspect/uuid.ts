// The ACRN VM UUID store: 8 fixed UUIDs (acrn.go), a busy/free flag each in
// uuid.json. A slot leaked by a crashed sandbox stays busy for ever, and
// after 8 leaks no ACRN VM starts.
import { join } from 'node:path';
import { NotFoundError, StoreError, UsageError } from '../fs/errors.js';
import { lstatOrUndef, readJson } from '../fs/read.js';
import { field } from '../fs/gojson.js';
import { forEachSandbox, type SandboxInfo } from './inspect.js';
import type { Roots } from '../fs/roots.js';

export const ACRN_UUIDS = [
  'a7ada506-1ab0-4b6b-a0da-e513ca9b8c2f',
  'dbeae168-26e4-4084-9227-622193e56325',
  '18ed60cd-e9ea-4bf4-8f87-8523fc8347a3',
  '3f90b6f8-449a-4e72-b99c-063a889fc422',
  '1ae8587b-e599-4b59-8260-6d14ac166a55',
  '75f3b94b-49ed-48fc-b019-577ef45adf2b',
  'ca62cf3c-8359-47e8-a3f7-de2d682dfb02',
  'e3189497-c3f6-4b97-9e2c-18ac0ab9064d',
] as const;

export interface UuidSlot {
  slot: number;
  uuid: string;
  busy: boolean;
  /** Sandboxes whose hypervisor.json names this UUID. */
  sandboxes: { id: string; alive: boolean | null }[];
  /** Busy, and no sandbox uses it. */
  leaked: boolean;
}

export interface UuidStore {
  path: string;
  slots: UuidSlot[];
  /** Sandboxes that may be ACRN but whose UUID cannot be read: each may hold any busy slot. */
  unknown: { id: string; alive: boolean | null }[];
}

/** The 1.x store (/var/lib/vc/uuid) if present, else the persist one (/run/vc/uuid). */
export function uuidStorePath(roots: Roots): string {
  const legacy = join(roots.uuid, 'uuid.json');
  if (lstatOrUndef(legacy)) return legacy;
  const persist = join(roots.persistUuid, 'uuid.json');
  if (lstatOrUndef(persist)) return persist;
  return legacy;
}

export function availability(doc: unknown, path: string): number[] {
  const a = field(doc, 'UUIDAvailability');
  if (!Array.isArray(a) || a.length !== 8 || !a.every((x) => x === 0 || x === 1))
    throw new StoreError(`${path}: UUIDAvailability is not 8 slots of 0 or 1`, { path: path });
  return a as number[];
}

/** A sandbox holding an ACRN UUID, as a listing saw it; `uuid` null: it may be ACRN, but its UUID cannot be read. */
export interface AcrnUser {
  id: string;
  uuid: string | null;
  alive: boolean | null;
}

export function acrnUserOf(s: SandboxInfo): AcrnUser | null {
  if (s.acrnUuid) return { id: s.id, uuid: s.acrnUuid, alive: s.hypervisor.alive };
  return s.acrnUnknown ? { id: s.id, uuid: null, alive: s.hypervisor.alive } : null;
}

export function acrnUsers(roots: Roots): AcrnUser[] {
  const out: AcrnUser[] = [];
  forEachSandbox(roots, (s) => {
    const u = acrnUserOf(s);
    if (u) out.push(u);
  });
  return out;
}

export function readUuidStore(roots: Roots, users: AcrnUser[] = acrnUsers(roots)): UuidStore {
  const path = uuidStorePath(roots);
  let doc: unknown;
  try {
    doc = readJson(path);
  } catch (e) {
    if (e instanceof NotFoundError) throw new NotFoundError(`no ACRN UUID store at ${path}`);
    throw e;
  }
  const avail = availability(doc, path);
  const byUuid = new Map<string, { id: string; alive: boolean | null }[]>();
  const unknown: UuidStore['unknown'] = [];
  for (const u of users) {
    if (u.uuid === null) {
      unknown.push({ id: u.id, alive: u.alive });
      continue;
    }
    const list = byUuid.get(u.uuid) ?? [];
    list.push({ id: u.id, alive: u.alive });
    byUuid.set(u.uuid, list);
  }
  return {
    path,
    unknown,
    slots: ACRN_UUIDS.map((uuid, slot) => {
      const sbs = byUuid.get(uuid) ?? [];
      const busy = avail[slot] === 1;
      // Leaked only when no sandbox can hold it: one whose UUID cannot be read might.
      return { slot, uuid, busy, sandboxes: sbs, leaked: busy && sbs.length === 0 && unknown.length === 0 };
    }),
  };
}

export function parseSlot(arg: string): number {
  if (/^[0-7]$/.test(arg)) return Number(arg);
  const i = ACRN_UUIDS.indexOf(arg.toLowerCase() as (typeof ACRN_UUIDS)[number]);
  if (i >= 0) return i;
  throw new UsageError(`invalid slot ${JSON.stringify(arg.slice(0, 64))}: a slot number 0-7 or one of the 8 ACRN UUIDs`);
}
