// Kata 1.x up to 1.10 (virtcontainers/store): one JSON file per item, config
// under /var/lib/vc/sbs, run-time state and the `lock` file under /run/vc/sbs.
import { join } from 'node:path';
import { UsageError, VcError } from '../fs/errors.js';
import { lstatOrUndef, readLimit, readText } from '../fs/read.js';
import { asInt, field } from '../fs/gojson.js';
import { CONTAINER_FILES, ITEMS, itemNamed, itemPath, SANDBOX_FILES, resolveItemOrNull } from './items.js';
import { goLit, litValue, type Lit } from '../fs/jsonlit.js';
import { readSection } from './sections.js';
import { readCurrentLit, refuseUnless, withStateLit } from './rewrite.js';
import { asJudge, judgeLegacy, listingShape } from './judge.js';
import { topLevelString } from './validate.js';
import { cmdlineMark, containerLiveness, hypervisorLiveness, isActive, readPidFile, type PidSource } from '../host/liveness.js';
import { containerPaths, sandboxPaths } from '../fs/paths.js';
import type { Reader } from '../read/reader.js';
import { containerCandidates, type Scan } from '../read/scan.js';
import { configMissing, containerInfo, dirProblems, isShell, netnsOf, runtimeMissing, stateOf } from './common.js';
import type { ContainerInfo, Inspected, InspectInput, ItemRef, LayoutModule } from './types.js';
import { containerNameOf, podOf, rfc3339, textLookup, type Identity, type Pod } from './pod.js';

/** Hypervisor type from the shape of hypervisor.json (cheap: no 8–50 KB config.json read). */
export function hypervisorTypeOf(hv: unknown): string | null {
  if (!hv || typeof hv !== 'object' || Array.isArray(hv)) return null;
  const k = new Set(Object.keys(hv).map((x) => x.toLowerCase()));
  if (k.has('bridges') || k.has('hotpluggedvcpus') || k.has('hotplugvfioonrootbus')) return 'qemu';
  if (k.has('uuid') && k.has('pid')) return 'acrn';
  if (k.has('pid') && k.has('virtiofsdpid')) return 'clh';
  if (k.has('pid')) return 'firecracker';
  return null;
}

const STATE = itemNamed('State');

/** The item files the runtime reads at each level (and where): what check validates. */
const DEEP = {
  sandbox: [
    ['config', 'config.json'],
    ['run', 'state.json'],
    ['run', 'hypervisor.json'],
    ['run', 'agent.json'],
    ['run', 'network.json'],
    ['run', 'devices.json'],
  ],
  container: [
    ['config', 'config.json'],
    ['run', 'state.json'],
    ['run', 'process.json'],
    ['run', 'mounts.json'],
    ['run', 'devices.json'],
  ],
} as const;

/** The hypervisors whose hypervisor.json the 1.x store knows. */
const KNOWN_HV = new Set(['qemu', 'firecracker', 'acrn', 'clh']);

function hypervisorPid(reads: Reader, runtime: string, vm: string | null, hv: unknown, hvBad: boolean): { src: PidSource; markType: string | null } {
  const type = hypervisorTypeOf(hv);
  if (hvBad) return { src: { pid: null, bad: `${`${runtime}/hypervisor.json`} is corrupt or unreadable` }, markType: type };
  if (type !== 'qemu' && hv !== undefined) return { src: { pid: asInt(field(hv, 'PID')) }, markType: type };
  // qemu keeps no pid in hypervisor.json: /run/vc/vm/<sid>/pid, or the
  // built-in proxy's agent.json ProxyPid (the cmdline check tells qemu apart
  // from a kata-proxy there).
  const fromFile = vm ? readPidFile(`${vm}/pid`) : undefined;
  if (fromFile) return { src: fromFile, markType: 'qemu' };
  const agentPath = `${runtime}/agent.json`;
  const agent = reads.json(agentPath, { shape: listingShape('agent') });
  if (agent === undefined && reads.present(agentPath)) return { src: { pid: null, bad: `${agentPath} is corrupt or unreadable` }, markType: 'qemu' };
  return { src: { pid: asInt(field(agent, 'ProxyPid')) }, markType: 'qemu' };
}

function inspectContainers(i: InspectInput, hasRuntime: boolean, hasConfig: boolean): ContainerInfo[] {
  const { roots, sc, reads } = i;
  // A listing takes containers from the run-time root alone; check (deep) and
  // a sandbox without a run-time root look at the config root too.
  const cfgList = hasConfig && (i.deep || !hasRuntime) ? sc.cfg : null;
  const { dirs, links } = containerCandidates(cfgList, hasRuntime ? sc.run : null);
  for (const cid of links)
    for (const [m, root] of [
      [hasRuntime ? sc.run : null, roots.run],
      [cfgList, roots.config],
    ] as const)
      if (m?.get(cid) === 'symlink') dirProblems(i.problems, 'symlink', join(root, sc.sid, cid), 'container dir', cid);
  const out: ContainerInfo[] = [];
  for (const cid of dirs) {
    const cp = containerPaths(roots, sc.sid, cid);
    const runDir = hasRuntime && sc.run?.get(cid) === 'dir' ? cp.runtime : null;
    const cfgDir = cfgList?.get(cid) === 'dir' ? cp.config : null;
    let st: unknown;
    let proc: unknown;
    if (runDir) {
      st = reads.json(`${runDir}/state.json`, { container: cid, shape: listingShape('state') });
      proc = reads.json(`${runDir}/process.json`, { container: cid, shape: listingShape('process') });
    }
    const isContainer =
      (runDir !== null && (reads.present(`${runDir}/state.json`) || reads.present(`${runDir}/process.json`) || holdsItem(runDir))) ||
      (cfgDir !== null && holdsItem(cfgDir));
    if (!isContainer) continue;
    const procBad = runDir !== null && proc === undefined && reads.present(`${runDir}/process.json`);
    const live = containerLiveness(asInt(field(proc, 'Pid')), cid, procBad ? `${`${runDir}/process.json`} is corrupt or unreadable` : undefined);
    out.push(containerInfo(cid, stateOf(st), live));
    if (i.deep)
      for (const [root, file] of DEEP.container) {
        const dir = root === 'config' ? cfgDir : runDir;
        if (dir) deepItem(reads, dir, file, true, null, cid);
      }
  }
  return out;
}

/** check's look at an item: judged against the type the runtime decodes it into. */
function deepItem(reads: Reader, dir: string, file: string, container: boolean, hypervisor: string | null, cid?: string): void {
  reads.schema(
    `${dir}/${file}`,
    asJudge((text) => judgeLegacy(text, file, container, hypervisor)),
    { probe: true, ...(cid === undefined ? {} : { container: cid }) },
  );
}

/**
 * check's look at a sandbox's config.json, which also gives its
 * HypervisorType from the same pass (what `hypervisorTypeIn` reads from the
 * text; undefined when the item is absent or unreadable, as `peek` gives it):
 * the text is scanned once, not twice.
 */
function deepConfig(reads: Reader, dir: string): string | undefined {
  let named: string | undefined;
  reads.schema(
    `${dir}/config.json`,
    asJudge((text) => {
      const j = judgeLegacy(text, 'config.json', false, null, false, 'HypervisorType');
      if (j !== 'no-such-item') named = j.top;
      return j;
    }),
    { probe: true },
  );
  return named;
}

/** config.json's HypervisorType, read from its text (config.json runs to megabytes; nothing else of it is needed). */
const hypervisorTypeIn = (text: string) => topLevelString(text, 'HypervisorType');

function readConfigType(path: string): string | undefined {
  try {
    return hypervisorTypeIn(readText(path, readLimit('config.json')).text);
  } catch (e) {
    if (e instanceof VcError) return undefined;
    throw e;
  }
}

/** hypervisor.json holds the state of the hypervisor the sandbox's config.json names; failing that, of the one its shape says. */
function hypervisorOf(ref: ItemRef, value: Lit): string | null {
  const named = ref.config ? readConfigType(ref.config) : undefined;
  return named !== undefined && KNOWN_HV.has(named) ? named : hypervisorTypeOf(litValue(value));
}

/** What the sandbox's config.json says of ACRN: `not-acrn` only when it names another hypervisor. */
function configType(reads: Reader, config: string, hasConfig: boolean, known?: { named: string | undefined }): 'acrn' | 'not-acrn' | 'unknown' {
  if (!hasConfig) return 'unknown';
  const t = known ? known.named : reads.peek(`${config}/config.json`, hypervisorTypeIn, { probe: true });
  return t === undefined ? 'unknown' : t === 'acrn' ? 'acrn' : 'not-acrn';
}

/**
 * The pod from the OCI specs the 1.x store keeps (the `_` member of each
 * container's config): the sandbox's config.json holds every container's,
 * and it is read anyway (its HypervisorType), so the listing pays a scan,
 * not a read. Containers of one pod carry the same pod annotations; two
 * different values cannot be told apart, and neither can a config that
 * cannot be read or is cut short: then the pod is unknown. show and check
 * read each container's own config.json for its name. Created: the sandbox
 * container's process start, from its process.json.
 */
function legacyIdentity(reads: Reader, config: string, runtime: string, sid: string, cids: string[] | null, deep: boolean, slots: boolean): Identity {
  const names = new Map<string, string>();
  let pod: Pod | null = null;
  let podUnknown = false;
  if (cids !== null) {
    const path = `${config}/config.json`;
    // check, and whatever asks for the UUID slot (its HypervisorType), read
    // the whole text anyway: the pod comes from that same read. A listing
    // asks only for the pod's members.
    const t = deep || slots ? reads.whole(path) : reads.keyPairs(path, POD_KEYS);
    if (t === undefined) podUnknown = reads.present(path);
    else {
      const named = podIn(t.text);
      pod = named.pod;
      // Naming no pod and cut short (a half-written file), or two pods: it may be any pod's.
      podUnknown = named.conflict || (pod === null && !t.endsObject);
    }
  }
  for (const cid of deep && cids !== null ? cids : []) {
    const t = reads.peek(`${config}/${cid}/config.json`, (text) => text, { probe: true });
    const name = t === undefined ? undefined : containerNameOf(textLookup(t));
    if (name !== undefined) names.set(cid, name);
  }
  return {
    pod,
    names,
    created: rfc3339(field(reads.raw(`${runtime}/${sid}/process.json`), 'StartTime')),
    ...(podUnknown ? { podUnknown: true } : {}),
  };
}

/** What a pod's annotation keys start with: all a listing reads of a 1.x config.json. */
const POD_KEYS = 'io.kubernetes.';

/** The pod the annotations in `text` name; none when they name two. */
function podIn(text: string): { pod: Pod | null; conflict: boolean } {
  const get = textLookup(text);
  return { pod: get.conflict ? null : podOf(get), conflict: get.conflict };
}

/** A container directory holds at least one container item. */
function holdsItem(dir: string): boolean {
  for (const f of CONTAINER_FILES) if (lstatOrUndef(`${dir}/${f}`)) return true;
  return false;
}

function inspect(i: InspectInput): Inspected {
  const { roots, sc, reads, problems } = i;
  const sid = sc.sid;
  const p = sandboxPaths(roots, sid);
  dirProblems(problems, sc.hint.config, p.config, 'config root');
  dirProblems(problems, sc.hint.runtime, p.runtime, 'run-time root');
  const hasConfig = sc.hint.config === 'dir';
  const hasRuntime = sc.hint.runtime === 'dir' && sc.run !== null;
  const vm = sc.hint.vm === 'dir' ? p.vm : null;
  const exists = hasConfig || hasRuntime || sc.hint.config !== undefined || sc.hint.runtime !== undefined;
  if (!hasConfig && hasRuntime && sc.hint.config === undefined) configMissing(problems, p.runtime);
  if (hasConfig && !hasRuntime && sc.hint.runtime === undefined) runtimeMissing(problems, p.config);

  let state: string | null = null;
  let hv: unknown;
  let src: PidSource;
  let markType: string | null = null;
  let cgroups: string[] | null = [];
  if (hasRuntime) {
    const statePath = `${p.runtime}/state.json`;
    const stateDoc = reads.json(statePath, { shape: listingShape('state') });
    const cg = field(stateDoc, 'cgroupPath');
    if (typeof cg === 'string' && cg) cgroups?.push(cg);
    else if (stateDoc === undefined && reads.present(statePath)) cgroups = null;
    // Shown even when it is no valid state (escaped by the renderers); only a valid one counts as active.
    state = stateOf(reads.raw(statePath));
    const hvPath = `${p.runtime}/hypervisor.json`;
    hv = reads.json(hvPath, { shape: listingShape('object') });
    ({ src, markType } = hypervisorPid(reads, p.runtime, vm, hv, hv === undefined && reads.present(hvPath)));
  } else src = hasConfig ? { pid: null } : { pid: null, bad: 'no run-time root' };
  const type = hypervisorTypeOf(hv);
  const live = hasRuntime ? hypervisorLiveness(src, state, cmdlineMark(markType ?? type, sid)) : { pid: null, alive: null, verified: false, reused: false };
  const containers = inspectContainers(i, hasRuntime, hasConfig);
  // check: config.json's HypervisorType, from the pass that judges it (read once, scanned once).
  let deepNamed: { named: string | undefined } | undefined;
  if (i.deep) {
    // config.json first: its HypervisorType says what hypervisor.json holds.
    const named = hasConfig ? deepConfig(reads, p.config) : undefined;
    deepNamed = { named };
    // hypervisor.json holds the state of the hypervisor config.json names; failing that, of the one its shape says.
    const hvType = typeof named === 'string' && KNOWN_HV.has(named) ? named : type;
    // The rest are the run-time root's (config.json is the config root's only item).
    for (const [root, file] of DEEP.sandbox) if (root === 'run' && hasRuntime) deepItem(reads, p.runtime, file, false, hvType);
  }
  const out: Inspected = {
    exists,
    active: isActive(state),
    state,
    type,
    live,
    containers,
    paths: { config: hasConfig ? p.config : null, runtime: hasRuntime ? p.runtime : null, vm },
    identity: legacyIdentity(reads, p.config, p.runtime, sid, hasConfig ? containers.map((c) => c.id) : null, i.deep, i.slots),
    cgroups,
  };
  // network.json (the state store's Network item): the namespace, and whether the runtime made it.
  if (hasRuntime && i.netns) {
    const netPath = `${p.runtime}/network.json`;
    const net = reads.json(netPath, { shape: listingShape('object') });
    out.netns = net === undefined ? (reads.present(netPath) ? null : undefined) : (netnsOf(net) ?? undefined);
  }
  const u = field(hv, 'UUID');
  if (type === 'acrn' && typeof u === 'string' && u) out.acrnUuid = u;
  // An ACRN UUID slot's holder must be known: a hypervisor.json that cannot be
  // read (or an ACRN one without a UUID) may hold any slot, unless the
  // sandbox's config says it is no ACRN sandbox.
  // So may one whose config says ACRN before its UUID is recorded (the runtime
  // marks the slot busy in uuid.json first), or an active (or unreadable)
  // sandbox without a readable hypervisor.json whose config cannot tell.
  else if (i.slots) {
    const cfg = configType(reads, p.config, hasConfig, deepNamed);
    const busy = isActive(state) || (hasRuntime && state === null && reads.present(`${p.runtime}/state.json`));
    if (
      cfg === 'acrn' ||
      (cfg !== 'not-acrn' && (type === 'acrn' || (hasRuntime && hv === undefined && (busy || reads.present(`${p.runtime}/hypervisor.json`)))))
    )
      out.acrnUnknown = true;
  }
  if ((hasConfig || hasRuntime) && containers.length === 0 && isShell(hasConfig ? p.config : null) && isShell(hasRuntime ? p.runtime : null)) {
    // Debris says it all: a shell's missing other root is not a second problem,
    // and a store that holds only what opening it creates (lock, raw/) never
    // recorded a hypervisor: there is none to ask about.
    out.shell = 'empty-shell';
    out.live = { pid: null, alive: false, verified: false, reused: false };
    const rest = problems.filter((x) => x.code !== 'runtime-missing' && x.code !== 'config-missing');
    problems.splice(0, problems.length, ...rest);
  }
  return out;
}

const NAMES = ITEMS.filter((i) => i.root !== 'uuid').map((i) => i.name);
/** Items a container of the 1.x store does not have. */
const CONTAINER_ONLY_NOT = new Set(['Hypervisor', 'Agent', 'Network']);

export const legacy: LayoutModule = {
  name: 'legacy',
  raw: true,
  detect: () => true,
  lockTarget(roots, sc: Scan) {
    if (sc.hint.runtime !== 'dir') return null;
    return sc.run?.has('lock') ? join(roots.run, sc.sid, 'lock') : null;
  },
  inspect,
  pod(roots, sc, reads) {
    if (sc.hint.config !== 'dir') return null;
    const t = reads.keyPairs(`${roots.config}/${sc.sid}/config.json`, POD_KEYS);
    return t === undefined ? null : podIn(t.text).pod;
  },
  removal(roots, sid) {
    const p = sandboxPaths(roots, sid);
    return [p.config, p.vm, join(roots.shared, sid), p.runtime];
  },
  containerDirs(roots, sid, cid) {
    const c = containerPaths(roots, sid, cid);
    return [c.config, c.runtime];
  },
  itemFiles: (container) => (container ? CONTAINER_FILES : SANDBOX_FILES),
  itemNames: (container) => (container ? NAMES.filter((n) => !CONTAINER_ONLY_NOT.has(n)) : NAMES),
  item(roots, sid, cid, name) {
    const def = resolveItemOrNull(name);
    // Only what the runtime has at that level: a container has no hypervisor, agent or network item.
    // (A sandbox's own Process and Mounts are its pause container's, whose ID is the sandbox's.)
    if (!def || (cid !== undefined && CONTAINER_ONLY_NOT.has(def.name))) return null;
    const ref: ItemRef = { name: def.name, path: itemPath(roots, def, sid, cid), def };
    if (def.name === 'Hypervisor') ref.config = `${roots.config}/${sid}/config.json`;
    return ref;
  },
  readItem: (ref) => readSection({ ...ref, section: '' }, {}, false),
  judgeInput(ref, input, container) {
    const def = ref.def;
    if (!def || def.root === 'uuid' || def.name === 'Lock') return null;
    const hv = def.name === 'Hypervisor' ? hypervisorOf(ref, input) : null;
    const j = judgeLegacy(goLit(input), def.file, container || def.name === 'Process' || def.name === 'Mounts', hv);
    return j === 'no-such-item' ? null : j;
  },
  rewrite(ref, change, container, o) {
    const def = ref.def;
    if (!def) throw new UsageError(`${ref.name} is no item of the 1.x store`);
    if (def.root === 'uuid') throw new UsageError('the UUID store is not a sandbox item: use "vcstore uuid free"');
    if (def.name === 'Lock') throw new UsageError('the Lock item is an empty file, not JSON: nothing to set');
    const { lit: cur, current } = readCurrentLit(ref.path, false);
    container ||= def.name === 'Process' || def.name === 'Mounts';
    const next = 'input' in change ? change.input : withStateLit(cur, 'state', change.state);
    const text = goLit(next);
    const hv = def.name === 'Hypervisor' ? hypervisorOf(ref, next) : null;
    const j = judgeLegacy(text, def.file, container, hv, true);
    if (j === 'no-such-item') throw new UsageError(`the 1.x store has no ${def.name} item for a ${container ? 'container' : 'sandbox'}`);
    const before = cur ? judgeLegacy(goLit(cur), def.file, container, hv, true) : 'no-such-item';
    refuseUnless(`${def.name} item`, j, o, before === 'no-such-item' ? [] : before.unknown);
    return { text, mode: 0o644, current };
  },
  stateRef(roots, sid, cid) {
    return { name: 'State', path: itemPath(roots, STATE, sid, cid), def: STATE };
  },
};
