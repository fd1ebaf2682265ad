// Kata 3.x runtime-rs: one pretty-printed snake_case /run/kata/<sid>/state.json,
// no per-container files, no lock. Read-only: the runtime takes no lock, so
// vcstore cannot keep it out while writing.
import { join } from 'node:path';
import { UsageError } from '../fs/errors.js';
import { asInt, field } from '../fs/gojson.js';
import { cmdlineMark, hypervisorLiveness, type Liveness } from '../host/liveness.js';
import type { ProcTable } from '../host/procs.js';
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
  // runtime-rs records no sandbox state and no pid (hypervisor.pid is always null: HypervisorState's
  // pid is never set, crates/hypervisor/src/*/inner*.rs), and writes state.json once, after the VM
  // started: its processes are the witness. The shim (-id <sid>) runs dragonball inside itself and
  // starts qemu (-name sandbox-<sid>), cloud-hypervisor, firecracker and virtiofsd with paths that
  // name the sandbox. A pid it does record is probed as any other.
  const pid = asInt(field(hv, 'pid'));
  const recorded = real && pid !== null && pid > 0 ? hypervisorLiveness({ pid }, state ?? 'running', cmdlineMark(type, sc.sid)) : null;
  // A recorded pid that is alive settles it; otherwise its processes do (the shim outlives a recorded pid).
  const live: Liveness = !real ? { pid: null, alive: null, verified: false, reused: false } : recorded?.alive ? recorded : byProcesses(i.procs(), sc.sid);
  const vm = sc.hint.vm === 'dir' ? sandboxPaths(roots, sc.sid).vm : null;
  const cg = field(field(doc, 'resource'), 'cgroup_state');
  // No state.json yet (made, not started) records nothing; one that cannot be read leaves them untold.
  const cgroups =
    real && doc === undefined && reads.present(file)
      ? null
      : [field(cg, 'path'), field(cg, 'overhead_path')].filter((v): v is string => typeof v === 'string' && v !== '');
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

/** Alive while a runtime process names the sandbox (the hypervisor's pid first); dead when none does; unknown when /proc cannot tell. */
function byProcesses(procs: ProcTable, sid: string): Liveness {
  const blind = procs.blind;
  if (blind) return { pid: null, alive: null, verified: false, reused: false, unknown: blind };
  const blank = procs.blank[0];
  const runtime = procs.naming(sid).filter((p) => p.role !== 'other');
  const first = runtime.find((p) => p.role === 'hypervisor') ?? runtime[0];
  if (first) return { pid: first.pid, alive: true, verified: true, reused: false };
  if (blank)
    return {
      pid: null,
      alive: null,
      verified: false,
      reused: false,
      unknown: `runtime process pid ${blank.pid} (${blank.role}) may serve it: its arguments cannot be read`,
    };
  return { pid: null, alive: false, verified: false, reused: false };
}

const readOnly = (): never => {
  throw new UsageError('the Kata 3.x runtime-rs layout is read-only in vcstore: its runtime takes no lock, so no write could be kept safe');
};

export const runtimeRs: LayoutModule = {
  name: 'runtime-rs',
  raw: false,
  // Only where no 1.x or persist root has the ID: a stray /run/kata/<sid> beside one must not make vcstore ignore that runtime's lock.
  detect: (sc) => sc.hint.kata !== undefined && sc.hint.config === undefined && sc.hint.runtime === undefined,
  lockTarget: () => null,
  inspect,
  // runtime-rs keeps no pod annotations.
  pod: () => null,
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
