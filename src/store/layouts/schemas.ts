// The item schemas: loaded on first use from schemas.json (generated from the
// Kata Go sources by scripts/schemas/derive.go, copied into dist/ by the
// build), and which one applies to an item: by file and level for the 1.x
// store, by hypervisor for hypervisor.json, and by keys for persist.json,
// whose old and new drivers share PersistVersion 2.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { field, isObject } from '../fs/gojson.js';
import type { SchemaItem, SchemaSet } from './schema-types.js';

let loaded: Record<string, SchemaSet> | undefined;

function here(): string {
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/** Every layout's schema set. */
export function schemaSets(): Record<string, SchemaSet> {
  if (loaded) return loaded;
  let dir = dirname(here());
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    const f = join(dir, 'schemas.json');
    if (existsSync(f)) {
      loaded = (JSON.parse(readFileSync(f, 'utf8')) as { layouts: Record<string, SchemaSet> }).layouts;
      return loaded;
    }
  }
  throw new Error('schemas.json is missing from this installation');
}

export function schemaSet(name: 'legacy' | 'persist-1.11' | 'persist-3'): SchemaSet {
  const s = schemaSets()[name];
  if (!s) throw new Error(`no schema set ${name}`);
  return s;
}

/** The 1.x item for `file` at this level, or null when the runtime has no such item there. */
export function legacyItem(file: string, container: boolean, hypervisor?: string): SchemaItem | null {
  const set = schemaSet('legacy');
  const key = `${container ? 'container' : 'sandbox'}/${file}${file === 'hypervisor.json' ? `#${hypervisor ?? 'qemu'}` : ''}`;
  return set.items[key] ?? (file === 'uuid.json' ? (set.items['uuid.json'] ?? null) : null);
}

/** The hypervisors of the 1.x store, for a hypervisor.json whose hypervisor is not known. */
export const LEGACY_HYPERVISORS = ['qemu', 'firecracker', 'acrn', 'clh'] as const;

/**
 * Which persist driver wrote a document, by the keys only one of them has
 * (both write PersistVersion 2): 'both' when nothing tells them apart.
 */
export function persistFlavor(doc: unknown, container: boolean): 'persist-1.11' | 'persist-3' | 'both' {
  if (!isObject(doc)) return 'both';
  const has = (o: unknown, k: string) => isObject(o) && field(o, k) !== undefined;
  if (container) return 'both'; // ContainerState did not change
  const hv = field(doc, 'HypervisorState');
  const net = field(doc, 'Network');
  const cfg = field(doc, 'Config');
  const newer =
    has(doc, 'SandboxCgroupPath') ||
    has(doc, 'OverheadCgroupPath') ||
    has(hv, 'VirtiofsDaemonPid') ||
    has(hv, 'HotPlugVFIO') ||
    has(net, 'NetworkID') ||
    has(net, 'NetworkCreated') ||
    has(field(cfg, 'HypervisorConfig'), 'NumVCPUsF');
  const older =
    has(doc, 'CgroupPath') ||
    has(hv, 'VirtiofsdPid') ||
    has(hv, 'HotplugVFIOOnRootBus') ||
    has(net, 'NetNsPath') ||
    has(net, 'NetmonPID') ||
    has(field(doc, 'AgentState'), 'ProxyPid') ||
    has(cfg, 'ProxyType');
  if (newer && !older) return 'persist-3';
  if (older && !newer) return 'persist-1.11';
  return 'both';
}
