// needs: root (bind and tmpfs mounts)
// The whole sandbox on the host: shared dirs, mounts and processes beside the
// store. Real bind mounts and tmpfs under a temp prefix's shared dir, real
// processes whose arguments name the sandbox in every role. Mounting needs
// root (CI runs as root); those tests say so when skipped.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { addSandbox, deadPid, R, scratch, SLOW, snapshot, vci } from './helpers.js';

// Registered before scratch()'s cleanup, so mounts go before their temp dirs do:
// a recursive delete must never descend into a bind mount.
const mounted: string[] = [];
after(() => {
  for (const m of mounted.reverse()) spawnSync('umount', ['-l', m]);
});
const { tmp } = scratch();
const root = process.geteuid?.() === 0;
/** Processes of the running test, killed when it ends: host processes are global, other tests must not see them. */
let kids: ChildProcess[] = [];
afterEach(() => {
  for (const k of kids) k.kill('SIGKILL');
  kids = [];
});
/** Findings about these IDs only: other test files' processes are on the same host. */
const about = (findings: any[], ids: string[]) => findings.filter((f) => ids.includes(f.id));

const sharedOf = (p: string, sid: string) => join(p, 'run/kata-containers/shared/sandboxes', sid);

function bind(src: string, at: string): void {
  mkdirSync(at, { recursive: true });
  const r = spawnSync('mount', ['--bind', src, at], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  mounted.push(at);
}
function tmpfs(at: string): void {
  mkdirSync(at, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', 'vcstore-test', at], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  mounted.push(at);
}
const mountsUnder = (dir: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[4]?.startsWith(`${dir}/`)).length;

/** A live process with argv[0] `name` (what ps shows) and these arguments. */
async function proc(name: string, args: string[]): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', '--', ...args], { argv0: name, stdio: 'ignore' });
  kids.push(child);
  await once(child, 'spawn');
  return child.pid!;
}

/** A 1.11+/2.x shared dir: mounts/<cid>/rootfs bound from a source, hostname beside it, shared/ a bind of mounts/. */
function sharedDir(p: string, sid: string, data: string): void {
  const dir = sharedOf(p, sid);
  mkdirSync(join(dir, 'mounts', `${R}c1`), { recursive: true });
  writeFileSync(join(dir, 'mounts', `${R}c1-hostname`), 'pod\n');
  bind(data, join(dir, 'mounts', `${R}c1`, 'rootfs'));
  tmpfs(join(dir, 'mounts', `${R}c1-shm`));
  bind(join(dir, 'mounts'), join(dir, 'shared'));
}

describe('host picture', () => {
  it('processes of every role naming a sandbox are listed with pid, role and command, in show and ls --json', async () => {
    const p = tmp();
    const sid = `${R}abc123`;
    addSandbox(p, sid, { state: 'stopped' });
    const pids = {
      hypervisor: await proc('qemu-system-x86_64', ['-name', `sandbox-${sid}`]),
      virtiofsd: await proc('virtiofsd', [`--socket-path=/run/vc/vm/${sid}/vhost-fs.sock`]),
      'kata-proxy': await proc('kata-proxy', ['-listen-socket', `unix:///run/vc/sbs/${sid}/proxy.sock`]),
      'kata-shim': await proc('kata-shim', ['-container', sid]),
      'containerd-shim-kata-v2': await proc('containerd-shim-kata-v2', ['-namespace', 'k8s.io', '-id', sid]),
      other: await proc('less', [`/run/vc/sbs/${sid}/state.json`]),
    };
    const j = JSON.parse((await vci(p, ['--json', 'show', sid])).stdout);
    const got = Object.fromEntries(j.host.processes.map((x: any) => [x.role, x.pid]));
    assert.deepEqual(got, pids);
    assert.match(j.host.processes.find((x: any) => x.role === 'hypervisor').command, new RegExp(String.raw`^qemu-system-x86_64 .*-name sandbox-${R}abc123`));
    const ls = JSON.parse((await vci(p, ['--json', 'ls'])).stdout);
    assert.equal(ls[0].host.processes.length, 6);
    const text = (await vci(p, ['show', sid])).stdout;
    assert.match(text, /\nHost\n/);
    assert.match(text, new RegExp(`\\n\\s+${pids['kata-shim']}  kata-shim\\s+kata-shim .*-container ${R}abc123`));
  });
});

describe('leaked mounts and shared dirs', { skip: !root && 'needs root to mount' }, () => {
  it('found, unmounted deepest first and removed by check --fix; a store-less stray too; the mounted data survives', async () => {
    const p = tmp();
    const data = tmp();
    writeFileSync(join(data, 'precious'), 'x');
    addSandbox(p, `${R}dead1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    sharedDir(p, `${R}dead1`, data);
    sharedDir(p, `${R}gone1`, data); // no store at all
    mkdirSync(sharedOf(p, `${R}empty1`), { recursive: true }); // shared dir, nothing else
    const base = join(p, 'run/kata-containers/shared/sandboxes');
    assert.equal(mountsUnder(base), 6);
    const show = JSON.parse((await vci(p, ['--json', 'show', `${R}dead1`])).stdout);
    assert.equal(show.host.mounts.length, 3);
    assert.deepEqual(Object.keys(show.host.mounts[0]), ['mountPoint', 'source', 'fstype']);
    assert.equal(show.host.shared.path, sharedOf(p, `${R}dead1`));
    assert.ok(show.host.shared.entries >= 4);
    const c = JSON.parse((await vci(p, ['--json', 'check'])).stdout);
    const keys = about(c.findings, [`${R}dead1`, `${R}gone1`, `${R}empty1`])
      .map((f: any) => `${f.code} ${f.id}`)
      .sort();
    assert.deepEqual(keys, [`hypervisor-dead ${R}dead1`, `mounts-leaked ${R}dead1`, `mounts-leaked ${R}gone1`, `shared-dir-leaked ${R}empty1`]);
    const before = snapshot(join(p, 'var'));
    const plan = JSON.parse((await vci(p, ['--json', 'check', '--fix', '--dry-run'])).stdout);
    const planned = plan.actions.find((a: any) => a.id === `${R}gone1`);
    assert.equal(planned.action, 'would-remove');
    // deepest first: the rootfs bind below mounts/c1 before anything shallower
    assert.ok(
      planned.unmounts.indexOf(join(sharedOf(p, `${R}gone1`), `mounts/${R}c1/rootfs`)) < planned.unmounts.indexOf(join(sharedOf(p, `${R}gone1`), 'shared')),
    );
    assert.equal(mountsUnder(base), 6, 'dry run unmounts nothing');
    assert.deepEqual(snapshot(join(p, 'var')), before);
    const r = await vci(p, ['--json', 'check', '--fix']);
    assert.deepEqual(
      about(JSON.parse(r.stdout).actions, [`${R}dead1`, `${R}gone1`, `${R}empty1`]).filter((a: any) => a.action === 'left'),
      [],
      r.stdout,
    );
    assert.equal(mountsUnder(base), 0);
    for (const sid of [`${R}dead1`, `${R}gone1`, `${R}empty1`]) assert.equal(existsSync(sharedOf(p, sid)), false, sid);
    assert.equal(existsSync(join(p, `run/vc/sbs/${R}dead1`)), false);
    assert.equal(readFileSync(join(data, 'precious'), 'utf8'), 'x');
  });
  it('under a sandbox that lives on, mounts of a removed container are reported (warning, with the container), never fixed', async () => {
    const p = tmp();
    const data = tmp();
    const sid = `${R}pod1`;
    addSandbox(p, sid, { state: 'running', hypervisor: 'firecracker', pid: deadPid(), containers: [{ id: sid }, { id: `${R}c1` }] });
    sharedDir(p, sid, data);
    const dir = sharedOf(p, sid);
    // A container removed from the store whose rootfs and a volume are still mounted (runtime#2816).
    bind(data, join(dir, 'mounts', `${R}gone`, 'rootfs'));
    tmpfs(join(dir, 'mounts', `${R}gone-0123456789abcdef-data`));
    const shim = await proc('containerd-shim-kata-v2', ['-id', sid]);
    assert.ok(shim);
    const c = JSON.parse((await vci(p, ['--json', 'check'])).stdout);
    const leaks = about(c.findings, [sid]).filter((f: any) => f.code === 'mounts-leaked');
    assert.equal(leaks.length, 1, JSON.stringify(c.findings));
    assert.equal(leaks[0].severity, 'warning');
    assert.equal(leaks[0].fixable, false);
    assert.equal(leaks[0].evidence.removedContainer, `${R}gone`);
    assert.equal(leaks[0].evidence.count, 2);
    assert.match(leaks[0].message, /not fixed automatically/);
    const base = join(p, 'run/kata-containers/shared/sandboxes');
    const n = mountsUnder(base);
    const before = snapshot(p);
    await vci(p, ['check', '--fix']);
    assert.equal(mountsUnder(base), n, 'nothing under a live sandbox is unmounted');
    assert.deepEqual(snapshot(p), before);
  });
  it('with a live process naming it: reported, never killed, left byte for byte with its mounts', async () => {
    const p = tmp();
    const data = tmp();
    // Its containers: its own and c1, whose rootfs and shm are the mounts sharedDir makes.
    addSandbox(p, `${R}live1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid(), containers: [{ id: `${R}live1` }, { id: `${R}c1` }] });
    sharedDir(p, `${R}live1`, data);
    sharedDir(p, `${R}orph1`, data);
    const vfs = await proc('virtiofsd', [`--socket-path=/run/vc/vm/${R}live1/vhost-fs.sock`]);
    // Under --prefix a process counts for a store-less sandbox only through a path under the prefix's roots.
    const shim = await proc('containerd-shim-kata-v2', ['-id', `${R}orph1`, '-socket', join(p, `run/vc/vm/${R}orph1/shim.sock`)]);
    const base = join(p, 'run/kata-containers/shared/sandboxes');
    const before = snapshot(p);
    const c = JSON.parse((await vci(p, ['--json', 'check'])).stdout);
    const orphan = about(c.findings, [`${R}orph1`]).find((f: any) => f.code === 'processes-orphaned');
    assert.ok(orphan, JSON.stringify(c.findings));
    assert.deepEqual(
      orphan.evidence.processes.map((x: any) => [x.pid, x.role]),
      [[shim, 'containerd-shim-kata-v2']],
    );
    assert.ok(!about(c.findings, [`${R}live1`, `${R}orph1`]).some((f: any) => f.code === 'mounts-leaked'), 'a live virtiofsd or shim: not a leak');
    const r = await vci(p, ['check', '--fix']);
    assert.equal(r.code, 6);
    assert.equal(mountsUnder(base), 6);
    assert.deepEqual(snapshot(p), before);
    for (const pid of [vfs, shim]) assert.doesNotThrow(() => process.kill(pid, 0), 'never killed');
  });
  it('rm refuses while mounts exist; rm --unmount detaches them and removes the sandbox with its shared dir', async () => {
    const p = tmp();
    const data = tmp();
    addSandbox(p, `${R}rm1`, { state: 'stopped' });
    sharedDir(p, `${R}rm1`, data);
    const before = snapshot(join(p, 'var'));
    const r = await vci(p, ['rm', `${R}rm1`]);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /3 mounts below it .*use rm --unmount/);
    assert.deepEqual(snapshot(join(p, 'var')), before);
    const dry = JSON.parse((await vci(p, ['--json', 'rm', '--unmount', '--dry-run', `${R}rm1`])).stdout)[0];
    assert.equal(dry.unmounts.length, 3);
    const u = await vci(p, ['rm', '--unmount', `${R}rm1`]);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout, new RegExp(String.raw`^sandbox ${R}rm1: unmounted `));
    assert.equal(existsSync(sharedOf(p, `${R}rm1`)), false);
    assert.equal(existsSync(join(p, `var/lib/vc/sbs/${R}rm1`)), false);
  });
  it('a 1,000-mount leak is cleaned in one check --fix run', { skip: SLOW }, async () => {
    const p = tmp();
    const dir = join(sharedOf(p, `${R}leak1`), 'mounts');
    for (let i = 0; i < 1000; i++) tmpfs(join(dir, `m${i}`));
    const base = join(p, 'run/kata-containers/shared/sandboxes');
    assert.equal(mountsUnder(base), 1000);
    const c = JSON.parse((await vci(p, ['--json', 'check'])).stdout);
    assert.equal(about(c.findings, [`${R}leak1`]).find((f: any) => f.code === 'mounts-leaked').evidence.count, 1000);
    const r = await vci(p, ['--json', 'check', '--fix']);
    const a = about(JSON.parse(r.stdout).actions, [`${R}leak1`]);
    assert.deepEqual(
      a.map((x: any) => [x.action, x.unmounts.length]),
      [['removed', 1000]],
    );
    assert.equal(mountsUnder(base), 0);
    assert.equal(existsSync(sharedOf(p, `${R}leak1`)), false);
  });
});
