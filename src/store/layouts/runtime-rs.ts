// Kata 3.x runtime-rs: one pretty-printed snake_case /run/kata/<sid>/state.json,
// no per-container files, no lock. Read-only: the runtime takes no lock, so
// vcstore cannot keep it out while writing.
import { join } from 'node:path';
import { UsageError } from '../fs/errors.js';
import { lstatOrUndef } from '../fs/read.js';
import { asInt, field } from '../fs/gojson.js';
import { cmdlineMark, hypervisorLiveness } from '../host/liveness.js';
import { sandboxPaths } from '../fs/paths.js';
import { dirProblems } from './common.js';

import { readSection, sectionRef, type Sections } from './sections.js';
import type { Inspected, InspectInput, LayoutModule } from './types.js';

export const RUNTIME_RS_SECTIONS: Sections = { hypervisor: 'hypervisor', resource: 'resource' };

function inspect(i: InspectInput): Inspected {
  const { roots, sc, reads, problems } = i;
  const dir = join(roots.kata, sc.sid);
  dirProblems(problems, sc.hint.kata, dir, 'runtime-rs dir');
  const real = sc.hint.kata === 'dir';
  const file = join(dir, 'state.json');
  const doc = real ? reads.json(file) : undefined;
  const hv = field(doc, 'hypervisor');
  const t = field(hv, 'hypervisor_type');
  const type = typeof t === 'string' && t ? t : null;
  const st = field(doc, 'state');
  const state = typeof st === 'string' ? st : null;
  // runtime-rs records no sandbox state: a pid is all there is to go by.
  const src = doc === undefined ? { pid: null, bad: `${file} is corrupt, unreadable or missing` } : { pid: asInt(field(hv, 'pid')) };
  const live = real ? hypervisorLiveness(src, state ?? 'running', cmdlineMark(type, sc.sid)) : { pid: null, alive: null, verified: false, reused: false };
  const vm = sc.hint.vm === 'dir' ? sandboxPaths(roots, sc.sid).vm : null;
  const cg = field(field(doc, 'resource'), 'cgroup_state');
  const cgroups = [field(cg, 'path'), field(cg, 'overhead_path')].filter((v): v is string => typeof v === 'string' && v !== '');
  return {
    exists: sc.hint.kata !== undefined,
    active: real,
    state,
    type,
    live,
    containers: [],
    paths: { config: null, runtime: real ? dir : null, vm },
    cgroups,
  };
}

const readOnly = (): never => {
  throw new UsageError('the Kata 3.x runtime-rs layout is read-only in vcstore: its runtime takes no lock, so no write could be kept safe');
};

export const runtimeRs: LayoutModule = {
  name: 'runtime-rs',
  raw: false,
  detect: (sc, roots) => sc.hint.kata !== undefined && ((sc.hint.config === undefined && sc.hint.runtime === undefined) || lstatKataState(roots.kata, sc.sid)),
  lockTarget: () => null,
  inspect,
  removal: (roots, sid) => [sandboxPaths(roots, sid).vm, join(roots.shared, sid), join(roots.kata, sid)],
  containerDirs: () => [],
  itemFiles: (container) => (container ? [] : ['state.json']),
  itemNames: () => ['state', ...Object.keys(RUNTIME_RS_SECTIONS), 'state.json'],
  item: (roots, sid, cid, name) => (cid === undefined ? sectionRef(join(roots.kata, sid, 'state.json'), name, RUNTIME_RS_SECTIONS, ['state.json']) : null),
  readItem: (ref) => readSection(ref, RUNTIME_RS_SECTIONS, false),
  judgeInput: readOnly,
  rewrite: readOnly,
  stateRef: readOnly,
};

function lstatKataState(kata: string, sid: string): boolean {
  return lstatOrUndef(join(kata, sid, 'state.json')) !== undefined;
}
