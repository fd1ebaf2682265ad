// The store's items, as virtcontainers/store names them: enum value, file
// name, and which root the file lives in.
import { join } from 'node:path';
import { UsageError } from '../fs/errors.js';
import { validateId } from '../fs/ids.js';
import type { Roots } from '../fs/roots.js';

export type RootKind = 'config' | 'run' | 'uuid';

export interface ItemDef {
  /** Go enum name. */
  name: string;
  value: number;
  file: string;
  root: RootKind;
  /** Short forms accepted on the command line (lower case). */
  aliases: string[];
}

export const ITEMS: readonly ItemDef[] = [
  { name: 'Configuration', value: 0, file: 'config.json', root: 'config', aliases: ['config', 'cfg'] },
  { name: 'State', value: 1, file: 'state.json', root: 'run', aliases: ['state'] },
  { name: 'Network', value: 2, file: 'network.json', root: 'run', aliases: ['network', 'net'] },
  { name: 'Hypervisor', value: 3, file: 'hypervisor.json', root: 'run', aliases: ['hypervisor', 'hv'] },
  { name: 'Agent', value: 4, file: 'agent.json', root: 'run', aliases: ['agent'] },
  { name: 'Process', value: 5, file: 'process.json', root: 'run', aliases: ['process', 'proc'] },
  { name: 'Lock', value: 6, file: 'lock', root: 'run', aliases: ['lock'] },
  { name: 'Mounts', value: 7, file: 'mounts.json', root: 'run', aliases: ['mounts'] },
  // Devices and DeviceIDs share one file in the Go code.
  { name: 'Devices', value: 8, file: 'devices.json', root: 'run', aliases: ['devices', 'dev'] },
  { name: 'DeviceIDs', value: 9, file: 'devices.json', root: 'run', aliases: ['deviceids'] },
  { name: 'UUID', value: 10, file: 'uuid.json', root: 'uuid', aliases: ['uuid'] },
];

/** An item by its Go enum name (a name from the table above). */
export function itemNamed(name: 'State' | 'Hypervisor' | 'Agent' | 'Process' | 'Configuration'): ItemDef {
  const def = ITEMS.find((i) => i.name === name);
  if (!def) throw new Error(`no item ${name} in the table`);
  return def;
}

/** The item a user-given name means, or null. */
export function resolveItemOrNull(name: string): ItemDef | null {
  const n = name.toLowerCase();
  return ITEMS.find((i) => i.name.toLowerCase() === n || i.file === n || i.aliases.includes(n) || String(i.value) === n) ?? null;
}

export const STATES = ['ready', 'running', 'paused', 'stopped'] as const;

/** Files a 1.x sandbox's directories hold (both roots). */
export const SANDBOX_FILES: readonly string[] = [...new Set(ITEMS.filter((i) => i.root !== 'uuid').map((i) => i.file))];

/** Files a 1.x container's directories hold (config root: config.json; run-time root: the rest). */
export const CONTAINER_FILES: readonly string[] = ['config.json', 'state.json', 'process.json', 'mounts.json', 'devices.json', 'lock'];

/** Path of an item file of a sandbox (cid undefined) or a container. */
export function itemPath(roots: Roots, item: ItemDef, sid?: string, cid?: string): string {
  if (item.root === 'uuid') return join(roots.uuid, item.file);
  if (sid === undefined) throw new UsageError(`item ${item.name} belongs to a sandbox: give a sandbox ID`);
  validateId(sid);
  if (cid !== undefined) validateId(cid, 'container ID');
  const base = item.root === 'config' ? roots.config : roots.run;
  return cid === undefined ? join(base, sid, item.file) : join(base, sid, cid, item.file);
}
