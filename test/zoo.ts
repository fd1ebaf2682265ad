// A store that holds one example of (nearly) every problem code, built as the
// runtime and real hosts leave them: real processes, a real lock holder and,
// as root, a real mount. Shared by the tests that walk every code through ls,
// show and check, and through what each finding says to do next.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, statfsSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addPersistSandbox, addSandbox, bindAt, deadPid, holdFlock, isRoot, namedProc, R, runLock, until, waiterOn, writeUuidStore } from './helpers.js';

export interface Zoo {
  p: string;
  /** Sandbox (or store-wide) ID of each planted code. */
  ids: Record<string, string>;
  /** Codes this zoo cannot plant here (and why). */
  missing: Record<string, string>;
  release(): Promise<void>;
}

/** Build the zoo under `p`; `data` is a directory a leaked mount may bind. */
export async function buildZoo(p: string, data: string, track: (c: ChildProcess) => void): Promise<Zoo> {
  const id = (s: string) => `${R}z${s}`;
  const ids: Record<string, string> = {};
  const missing: Record<string, string> = {};
  const put = (code: string, sid: string) => (ids[code] = sid);

  addSandbox(p, put('hypervisor-dead', id('hvdead')), { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
  addSandbox(p, put('liveness-unknown', id('unknown')), { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
  writeFileSync(join(p, `run/vc/sbs/${id('unknown')}/hypervisor.json`), '{"PID":');
  addSandbox(p, put('container-dead', id('cdead')), { state: 'stopped', containers: [{ id: id('c1'), state: 'running', pid: deadPid() }] });
  addSandbox(p, put('config-missing', id('runonly')), { state: 'stopped', runtimeOnly: true });
  addSandbox(p, put('runtime-missing', id('cfgonly')), { configOnly: true });
  addSandbox(p, put('corrupt-item', id('corrupt')), { state: 'stopped' });
  writeFileSync(join(p, `run/vc/sbs/${id('corrupt')}/network.json`), '{"NetNsPath":');
  addSandbox(p, put('bad-shape', id('shape')), { state: 'stopped' });
  writeFileSync(join(p, `run/vc/sbs/${id('shape')}/devices.json`), '{"not":"a list"}');
  addSandbox(p, put('unreadable-item', id('fifo')), { state: 'stopped' });
  spawnSyncOk('rm', [join(p, `run/vc/sbs/${id('fifo')}/agent.json`)]);
  spawnSyncOk('mkfifo', [join(p, `run/vc/sbs/${id('fifo')}/agent.json`)]);
  addSandbox(p, put('symlink', id('link')), { state: 'stopped', containers: [{ id: id('c2'), state: 'stopped' }] });
  spawnSyncOk('rm', ['-rf', join(p, `run/vc/sbs/${id('link')}/${id('c2')}`)]);
  symlinkSync(data, join(p, `run/vc/sbs/${id('link')}/${id('c2')}`));
  addSandbox(p, put('not-a-store-dir', id('file')), { state: 'stopped', runtimeOnly: true });
  mkdirSync(join(p, 'var/lib/vc/sbs'), { recursive: true });
  writeFileSync(join(p, `var/lib/vc/sbs/${id('file')}`), 'not a dir');
  mkdirSync(join(p, `run/vc/sbs/.vcstore-trash-${deadPid()}-1-0123abcd/${put('removal-unfinished', id('trash'))}/raw`), { recursive: true });
  mkdirSync(join(p, `run/vc/sbs/${put('empty-shell', id('shell'))}/raw`), { recursive: true });
  writeFileSync(join(p, `run/vc/sbs/${id('shell')}/lock`), '');
  addPersistSandbox(p, put('config-shell', id('pshell')), { state: 'stopped', configShell: true });
  // A persist sandbox whose containers are gone and whose shim is gone (kata-containers#11599).
  addPersistSandbox(p, put('sandbox-stale', id('stale')), { state: 'stopped', containers: [] });
  addSandbox(p, put('lock-held-long', id('held')), { state: 'stopped' });
  const holder = await holdFlock(runLock(p, id('held')));
  ids['lock-waiter-stuck'] = id('held');
  const waiter = spawn('flock', ['-s', runLock(p, id('held')), 'true'], { stdio: 'ignore' });
  track(waiter);
  await until(() => waiterOn(runLock(p, id('held'))), 'the waiter to queue');
  missing['lock-holder-gone'] = 'needs a lock whose holder has left /proc while the lock stays: not made on purpose here';
  if (isRoot) {
    addSandbox(p, put('mounts-leaked', id('mounted')), { state: 'stopped', hypervisor: 'firecracker', pid: deadPid() });
    bindAt(data, join(p, 'run/kata-containers/shared/sandboxes', id('mounted'), 'mounts'));
  } else missing['mounts-leaked'] = 'needs root to mount';
  // A dead 3.x sandbox whose overhead cgroup is left: a real v1 pids cgroup of this host, bound where the prefix's would be.
  const cgHost = `/sys/fs/cgroup/pids/vcstore-zoo-${R}${Math.random().toString(36).slice(2, 8)}`;
  let cgBound = false;
  if (isRoot && cgroupV1('/sys/fs/cgroup/pids')) {
    addPersistSandbox(p, put('cgroup-leaked', id('cgdead')), { state: 'running', pid: deadPid() });
    mkdirSync(join(cgHost, 'kata_overhead', id('cgdead')), { recursive: true });
    bindAt(cgHost, join(p, 'sys/fs/cgroup/pids'));
    cgBound = true;
  } else missing['cgroup-leaked'] = 'needs root and a cgroup v1 pids hierarchy';
  // A dead sandbox whose runtime made its network namespace (an nsfs bind that no process is in).
  const ns = join(p, 'run/netns', `cnitest-${id('nsdead')}`);
  if (isRoot) {
    addPersistSandbox(p, put('netns-leaked', id('nsdead')), { state: 'running', pid: deadPid() });
    const file = join(p, 'run/vc/sbs', id('nsdead'), 'persist.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.Network = { NetworkID: `/var/run/netns/cnitest-${id('nsdead')}`, NetworkCreated: true, Endpoints: [] };
    writeFileSync(file, `${JSON.stringify(doc)}\n`, { mode: 0o600 });
    mkdirSync(join(p, 'run/netns'), { recursive: true });
    writeFileSync(ns, '');
    spawnSyncOk('unshare', ['--net', 'mount', '--bind', '/proc/self/ns/net', ns]);
  } else missing['netns-leaked'] = 'needs root to mount a network namespace';
  mkdirSync(join(p, 'run/kata-containers/shared/sandboxes', put('shared-dir-leaked', id('stray'))), { recursive: true });
  await namedProc('virtiofsd', [`--socket-path=${join(p, 'run/vc/vm', put('processes-orphaned', id('orphan')), 'vhost-fs.sock')}`]);
  mkdirSync(join(p, 'run/vc/vm', put('orphan-vm-dir', id('vmdead'))), { recursive: true });
  writeFileSync(join(p, 'run/vc/vm', id('vmdead'), 'pid'), String(deadPid()));
  const qemu = await namedProc('qemu-system-x86_64', ['-name', `sandbox-${id('vmlive')}`]);
  mkdirSync(join(p, 'run/vc/vm', put('orphan-vm-live', id('vmlive'))), { recursive: true });
  writeFileSync(join(p, 'run/vc/vm', id('vmlive'), 'pid'), String(qemu.pid));
  writeUuidStore(p, [0, 0, 0, 1, 0, 0, 0, 0]);
  ids['uuid-leaked'] = 'slot-3';
  for (const code of ['cri-unknown', 'cri-stuck', 'cri-notready', 'cri-missing', 'cri-unreachable'])
    missing[code] = 'needs a container manager: test/cri.test.ts and test/cri-api.test.ts run containerd (and a CRI-O fake) on private sockets';
  if (isRoot) {
    // A dead sandbox whose containerd bundle rootfs is still mounted (containerd's clean-up of a killed shim timed out).
    addSandbox(p, put('bundle-mounted', id('bundle')), { state: 'running', pid: deadPid() });
    bindAt(data, join(p, 'run/containerd/io.containerd.runtime.v2.task/k8s.io', id('bundle'), 'rootfs'));
  } else missing['bundle-mounted'] = 'needs root to mount';
  missing['uuid-store-bad'] = 'one UUID store per store: the corrupt one is planted in a store of its own';
  utimesSync(join(p, `var/lib/vc/sbs/${id('cfgonly')}`), new Date(), new Date());
  return {
    p,
    ids,
    missing,
    release: async () => {
      await holder.release();
      if (isRoot) spawnSync('umount', ['-l', ns]);
      if (cgBound) {
        spawnSync('umount', ['-l', join(p, 'sys/fs/cgroup/pids')]);
        spawnSync('sh', ['-c', 'find "$1" -depth -type d -exec rmdir {} + 2>/dev/null; true', 'sh', cgHost]);
      }
    },
  };
}

function cgroupV1(dir: string): boolean {
  try {
    return statfsSync(dir).type === 0x27e0eb;
  } catch {
    return false;
  }
}

function spawnSyncOk(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}`);
}
