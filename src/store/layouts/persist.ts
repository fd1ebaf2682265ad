// Kata 1.11+ and 2.x (virtcontainers/persist/fs): one persist.json per
// sandbox and container under /run/vc/sbs, flock on the sandbox directory.
import { isAbsolute, join, normalize } from 'node:path';
import { UsageError } from '../fs/errors.js';
import { asInt, field } from '../fs/gojson.js';
import { cmdlineMark, containerLiveness, hypervisorLiveness, isActive, readPidFile, virtiofsdLiveness, type PidSource } from '../host/liveness.js';
import { sandboxPaths } from '../fs/paths.js';
import { containerCandidates, type Scan } from '../read/scan.js';
import type { Reader } from '../read/reader.js';
import { containerInfo, dirProblems, isShell, netnsOf } from './common.js';

import { asJudge, judgePersist, judgePersistSection, listingShape } from './judge.js';
import { verdictText } from './validate.js';
import { goLit } from '../fs/jsonlit.js';
import { readCurrentLit, refuseUnless, replaceSectionLit, withStateLit } from './rewrite.js';
import { readSection, sectionRef, type Sections } from './sections.js';
import type { ContainerInfo, Inspected, InspectInput, LayoutModule } from './types.js';
import { containerNameOf, mapLookup, podOf, rfc3339, textLookup, type Identity, type Pod } from './pod.js';

export const PERSIST_SECTIONS: Sections = { hypervisor: 'HypervisorState', agent: 'AgentState', network: 'Network', devices: 'Devices', config: 'Config' };
export const PERSIST_CONTAINER_SECTIONS: Sections = { process: 'Process', mounts: 'Mounts', devices: 'DeviceMaps', rootfs: 'Rootfs' };
const sectionsOf = (container: boolean) => (container ? PERSIST_CONTAINER_SECTIONS : PERSIST_SECTIONS);

function inspect(i: InspectInput): Inspected {
  const { roots, sc, reads, problems } = i;
  const sid = sc.sid;
  const p = sandboxPaths(roots, sid);
  dirProblems(problems, sc.hint.runtime, p.runtime, 'run-time root');
  dirProblems(problems, sc.hint.config, p.config, 'config root');
  const real = hasRecord(sc);
  const vm = sc.hint.vm === 'dir' ? p.vm : null;
  const file = join(p.runtime, 'persist.json');
  const doc = real ? readRecord(reads, file) : undefined;
  if (real && i.deep)
    reads.schema(
      file,
      asJudge((text) => judgePersist(text, false)),
    );
  const st = field(doc, 'State');
  const state = typeof st === 'string' ? st : null;
  const hv = field(doc, 'HypervisorState');
  // A stopped 3.x sandbox keeps an empty hypervisor state (Type ""): its config still names the hypervisor.
  const t = field(hv, 'Type');
  const named = field(field(doc, 'Config'), 'HypervisorType');
  const type = typeof t === 'string' && t ? t : typeof named === 'string' && named ? named : null;
  let src: PidSource = doc === undefined && real ? { pid: null, bad: `${file} is corrupt, unreadable or missing` } : { pid: asInt(field(hv, 'Pid')) };
  if (!src.bad && (src.pid === null || src.pid <= 0) && vm) src = readPidFile(join(vm, 'pid')) ?? src;
  const live = real ? hypervisorLiveness(src, state, cmdlineMark(type, sid)) : { pid: null, alive: null, verified: false, reused: false };

  const identity = persistIdentity(doc, sid, real && doc === undefined && reads.present(file), bundleLookup(roots.prefix, reads));
  const containers: ContainerInfo[] = [];
  const { dirs, links } = real ? containerCandidates(sc.run) : { dirs: [], links: [] };
  for (const cid of links) dirProblems(problems, 'symlink', join(p.runtime, cid), 'container dir', cid);
  for (const cid of dirs) {
    const cfile = join(p.runtime, cid, 'persist.json');
    if (!reads.present(cfile)) continue; // a directory that is no container
    const cdoc = reads.json(cfile, { container: cid, first: true, shape: listingShape('persist-container') });
    if (i.deep)
      reads.schema(
        cfile,
        asJudge((text) => judgePersist(text, true)),
        { container: cid },
      );
    const cs = field(cdoc, 'State');
    const proc = field(cdoc, 'Process');
    // The sandbox's own container started with the sandbox: the runtime's record of its creation.
    if (cid === sid) identity.created = rfc3339(field(proc, 'StartTime'));
    const l = containerLiveness(asInt(field(proc, 'Pid')), cid, cdoc === undefined ? `${cfile} is corrupt or unreadable` : undefined);
    containers.push(containerInfo(cid, typeof cs === 'string' ? cs : null, l));
  }
  const out: Inspected = {
    exists: real || sc.hint.runtime !== undefined,
    active: isActive(state),
    state,
    type,
    live,
    containers,
    paths: { config: sc.hint.config === 'dir' ? p.config : null, runtime: real ? p.runtime : null, vm },
    identity,
    cgroups: real && doc === undefined && reads.present(file) ? null : recordedCgroups(doc),
  };
  // Network: NetNsPath/NetNsCreated (1.11 to 2.3), NetworkID/NetworkCreated (2.4 on).
  if (real && i.netns) out.netns = doc === undefined ? (reads.present(file) ? null : undefined) : netnsOf(field(doc, 'Network'));
  // Today's driver says VirtiofsDaemonPid, the 1.11 one VirtiofsdPid; its arguments name the sandbox (its socket path).
  const vfs = asInt(field(hv, 'VirtiofsDaemonPid')) ?? asInt(field(hv, 'VirtiofsdPid'));
  if (real && vfs !== null && vfs > 0) out.virtiofsd = virtiofsdLiveness(vfs, sid);
  const u = field(hv, 'UUID');
  if (type === 'acrn' && typeof u === 'string' && u) out.acrnUuid = u;
  // A persist.json that cannot be read may be an ACRN sandbox's: it may hold any UUID slot.
  // So may one whose config says ACRN before the hypervisor state records its UUID.
  else if (type === 'acrn' || (real && doc === undefined) || field(field(doc, 'Config'), 'HypervisorType') === 'acrn') out.acrnUnknown = true;
  // Kata 1.11/1.12 left an empty /var/lib/vc/sbs/<sid> shell for every pod (runtime#2921).
  if (out.paths.config && isShell(out.paths.config)) out.shell = 'config-shell';
  return out;
}

/** 3.x `SandboxCgroupPath` and `OverheadCgroupPath`; the 1.11-era driver's `CgroupPath`. */
function recordedCgroups(doc: unknown): string[] {
  return ['SandboxCgroupPath', 'OverheadCgroupPath', 'CgroupPath'].map((k) => field(doc, k)).filter((v): v is string => typeof v === 'string' && v !== '');
}

/** The OCI bundle a container config records (io.katacontainers.pkg.oci.bundle_path): the directory of the spec, config.json. */
export const BUNDLE_PATH = 'io.katacontainers.pkg.oci.bundle_path';

/**
 * The pod annotations of the OCI spec in a container's bundle, where the
 * runtime's own record keeps none: Kata 1.11 to 1.13 persist only their own
 * annotations (the bundle path and the container type), and the pod's are in
 * `<bundle>/config.json`, which containerd (or CRI-O) keeps while it has the
 * container. Read under --prefix as every host path is; a path that is not
 * plainly absolute, or a spec that cannot be read, names nothing.
 */
export type BundleLookup = (bundle: string) => ReturnType<typeof textLookup> | null;

export function bundleLookup(prefix: string, reads: Reader): BundleLookup {
  return (bundle) => {
    if (!isAbsolute(bundle) || normalize(bundle) !== bundle || bundle.length > 4096 || bundle.includes('\0')) return null;
    const got = reads.keyPairs(join(prefix || '/', bundle, 'config.json'), 'io.kubernetes.');
    if (!got) return null;
    const get = textLookup(got.text);
    return get.conflict ? null : get;
  };
}

/**
 * Pod and container names from Config.ContainerConfigs[].Annotations (2.x and
 * 3.x keep every container's annotations there), else from each container's
 * OCI bundle (1.11 to 1.13 keep only the bundle's path): the pod from the
 * sandbox's own container, else from any container that names one.
 */
function persistIdentity(doc: unknown, sid: string, unreadable: boolean, bundle?: BundleLookup): Identity {
  const names = new Map<string, string>();
  let own: Pod | null | undefined;
  let other: Pod | null = null;
  const list = field(field(doc, 'Config'), 'ContainerConfigs');
  for (const c of Array.isArray(list) ? list : []) {
    const id = field(c, 'ID');
    const annotations = field(c, 'Annotations');
    let get = mapLookup(annotations);
    let pod = podOf(get);
    let name = containerNameOf(get);
    const path = field(annotations, BUNDLE_PATH);
    if (pod === null && name === undefined && bundle && typeof path === 'string') {
      const spec = bundle(path);
      if (spec) {
        get = spec;
        pod = podOf(get);
        name = containerNameOf(get);
      }
    }
    if (typeof id === 'string' && name !== undefined) names.set(id, name);
    // The sandbox's own container names the pod; another container only when the sandbox's is not recorded.
    if (id === sid) own = pod;
    else other ??= pod;
  }
  return { pod: own === undefined ? other : own, names, created: null, ...(unreadable ? { podUnknown: true } : {}) };
}

/** Is there a run-time root to hold persist.json? */
const hasRecord = (sc: Scan) => sc.hint.runtime === 'dir' && sc.run !== null;

/** persist.json as the driver reads it: the first JSON value, whatever follows. */
const readRecord = (reads: Reader, file: string) => reads.json(file, { first: true, shape: listingShape('persist') });

export const persist: LayoutModule = {
  name: 'persist',
  raw: false,
  detect: (sc) => sc.run?.has('persist.json') === true,
  lockTarget: (roots, sc) => (sc.hint.runtime === 'dir' ? join(roots.run, sc.sid) : null),
  inspect,
  pod(roots, sc, reads) {
    return hasRecord(sc)
      ? persistIdentity(readRecord(reads, join(roots.run, sc.sid, 'persist.json')), sc.sid, false, bundleLookup(roots.prefix, reads)).pod
      : null;
  },
  removal(roots, sid) {
    const p = sandboxPaths(roots, sid);
    return [p.config, p.vm, join(roots.shared, sid), p.runtime];
  },
  containerDirs: (roots, sid, cid) => [join(roots.run, sid, cid)],
  // A sandbox's config root may be a 1.11/1.12 shell holding only `lock`.
  itemFiles: (container) => (container ? ['persist.json'] : ['persist.json', 'lock']),
  itemNames: (container) => ['state', ...Object.keys(sectionsOf(container)), 'persist'],
  item(roots, sid, cid, name) {
    const path = cid === undefined ? join(roots.run, sid, 'persist.json') : join(roots.run, sid, cid, 'persist.json');
    const ref = sectionRef(path, name, sectionsOf(cid !== undefined), ['persist', 'persist.json']);
    return ref && { ...ref, container: cid !== undefined };
  },
  readItem: (ref) => readSection(ref, sectionsOf(ref.container === true), true),
  judgeInput: (ref, input, container) => judgePersistSection(goLit(input), container, ref.section ?? ''),
  rewrite(ref, change, container, o) {
    // Read as the driver reads it: the first JSON value, whatever follows.
    const { lit: doc, current } = readCurrentLit(ref.path, true);
    if (current !== 'ok' && ref.section !== '') throw new UsageError(`${ref.path} is ${current}: set the whole persist item instead`);
    const big = Object.values(sectionsOf(container));
    const next = 'input' in change ? replaceSectionLit(doc, ref.section ?? '', change.input, big, ref.path) : withStateLit(doc, 'State', change.state);
    // persist/fs writes json.Marshal output plus a newline, 0600.
    const text = `${goLit(next)}\n`;
    const before = doc ? judgePersist(goLit(doc), container, true) : null;
    const after = judgePersist(text, container, true);
    // A section written into a document that fails to load elsewhere already: say so, not "invalid section".
    if (after.verdict && before?.verdict && ref.section && before.verdict.path === after.verdict.path && before.verdict.message === after.verdict.message)
      throw new UsageError(
        `${ref.path} already fails to load at ${verdictText(before.verdict)}: fix that first (set the whole document, ${ref.container ? 'SID CID' : 'SID'} persist); nothing was written`,
      );
    refuseUnless(ref.section ? `${ref.name} section` : 'persist.json', after, o, before?.unknown ?? []);
    return { text, mode: 0o600, current };
  },
  stateRef(roots, sid, cid) {
    return {
      name: 'persist',
      path: cid === undefined ? join(roots.run, sid, 'persist.json') : join(roots.run, sid, cid, 'persist.json'),
      section: '',
      container: cid !== undefined,
    };
  },
};
