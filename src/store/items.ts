// The store's items, as virtcontainers/store names them: enum value, file
// name, and which root the file lives in.
import { UsageError } from './errors.js';
import { quote } from './ids.js';

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

/** Resolve a user-given item name: Go enum name, file name or short form, any case. */
export function resolveItem(name: string): ItemDef {
  const n = name.toLowerCase();
  const hit = ITEMS.find(
    (i) => i.name.toLowerCase() === n || i.file === n || i.aliases.includes(n) || String(i.value) === n,
  );
  if (!hit) {
    throw new UsageError(
      `unknown item ${quote(name)}: expected one of ${ITEMS.map((i) => i.name).join(', ')}`,
    );
  }
  return hit;
}
