// needs: root (bind mounts, unshare --pid)
// Fail-safe destruction: rm, set and check --fix never act on a partial
// picture. Real second processes as hypervisor and shim, a real bind mount,
// a real `unshare --pid`, a real SIGINT and kill -9. Every refusal checks
// that nothing changed on disk. Root is needed for mounts and namespaces
// (CI runs as root); those tests say so when skipped.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  addSandbox,
  BIN,
  collect,
  deadPid,
  fakeHypervisor,
  oneLine,
  R,
  scratch,
  sleep,
  snapshot,
  until,
  vc,
  vcAsync,
  vci,
  vcp,
  writeUuidStore,
} from './helpers.js';

const { tmp, track } = scratch();
const root = process.geteuid?.() === 0;

/** A live process whose argv[0] is `name` (what ps shows) and whose arguments name `id`. */
async function runtimeProcess(name: string, args: string[]): Promise<number> {
  const child = track(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', '--', ...args], { argv0: name, stdio: 'ignore' }));
  await once(child, 'spawn');
  return child.pid!;
}

describe('unknown liveness is not dead', () => {
  it('corrupt or missing hypervisor.json of a running sandbox: rm and set refuse with 5 and say why', () => {
    const p = tmp();
    addSandbox(p, `${R}c1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    writeFileSync(join(p, `run/vc/sbs/${R}c1/hypervisor.json`), '{"PID":');
    addSandbox(p, `${R}m1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    rmSync(join(p, `run/vc/sbs/${R}m1/hypervisor.json`));
    const before = snapshot(p);
    for (const sid of [`${R}c1`, `${R}m1`]) {
      const r = vcp(p, ['rm', '--dry-run', sid]);
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, /cannot tell whether its hypervisor is alive \(.+\)/);
      assert.equal(vcp(p, ['set', sid, '--state', 'stopped']).code, 5);
    }
    assert.deepEqual(snapshot(p), before);
    const ls = JSON.parse(vcp(p, ['ls', '--json']).stdout);
    assert.deepEqual(
      ls.map((s: any) => s.hypervisor.alive),
      [null, null],
    );
    assert.match(vcp(p, ['ls']).stdout, /\n\S+\s+running\s+\S+\s+\S+\s+\?\s/);
    assert.equal(vcp(p, ['rm', '--force', `${R}c1`]).code, 0, '--force overrides');
  });
  it('a stopped sandbox with no pid stays removable without --force', () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    assert.equal(vcp(p, ['rm', `${R}s1`]).code, 0);
  });
  it(
    'in another pid namespace every liveness is unknown: ls says ?, rm and check --fix refuse',
    { skip: !root && 'needs root for unshare --pid' },
    async () => {
      const p = tmp();
      const hv = track(fakeHypervisor(`${R}live1`));
      await once(hv, 'spawn');
      addSandbox(p, `${R}live1`, { state: 'running', hypervisor: 'qemu', pid: hv.pid! });
      const before = snapshot(p);
      const ns = (args: string[]) =>
        spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, BIN, '--prefix', p, ...args], { encoding: 'utf8' });
      const ls = ns(['ls', '--json']);
      assert.equal(ls.status, 0, ls.stderr);
      const s = JSON.parse(ls.stdout)[0];
      assert.equal(s.hypervisor.alive, null);
      assert.match(s.hypervisor.unknown, /another pid namespace/);
      const rm = ns(['rm', `${R}live1`]);
      assert.equal(rm.status, 5, rm.stderr);
      const fix = ns(['--json', 'check', '--fix', '--dry-run']);
      assert.ok(!JSON.parse(fix.stdout).actions.some((a: any) => a.id === `${R}live1` && a.action !== 'left'));
      assert.deepEqual(snapshot(p), before);
    },
  );
});

describe('the process witness', () => {
  it('a live shim naming the sandbox refuses rm (5, pid and role named) although the hypervisor pid is dead', async () => {
    const p = tmp();
    addSandbox(p, `${R}sb1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    const pid = await runtimeProcess('containerd-shim-kata-v2', ['-namespace', 'k8s.io', '-id', `${R}sb1`]);
    const before = snapshot(p);
    const r = vcp(p, ['rm', `${R}sb1`]);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, new RegExp(`runtime process pid ${pid} \\(containerd-shim-kata-v2: `));
    const fix = JSON.parse(vcp(p, ['--json', 'check', '--fix']).stdout);
    assert.match(fix.actions.find((a: any) => a.id === `${R}sb1`).reason, /containerd-shim-kata-v2/);
    assert.deepEqual(snapshot(p), before);
    assert.equal(vcp(p, ['rm', '--force', `${R}sb1`]).code, 0);
  });
  for (const [name, args] of [
    ['qemu-system-x86_64', ['-name', `sandbox-${R}x1`]],
    ['virtiofsd', [`--socket-path=/run/vc/vm/${R}x1/vhost-fs.sock`]],
    ['kata-proxy', ['-listen-socket', `unix:///run/vc/sbs/${R}x1/proxy.sock`]],
    ['kata-shim', ['-container', `${R}x1`]],
  ] as const) {
    it(`role ${name} makes the sandbox live`, async () => {
      const p = tmp();
      addSandbox(p, `${R}x1`, { state: 'stopped' });
      await runtimeProcess(name, [...args]);
      const r = vcp(p, ['rm', `${R}x1`]);
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, /runtime process pid \d+ \((hypervisor|virtiofsd|kata-proxy|kata-shim): |hypervisor pid \d+ names the sandbox/);
    });
  }
  it('any other process naming it: rm warns and goes ahead, check --fix leaves it and says why', async () => {
    const p = tmp();
    addSandbox(p, `${R}o1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    addSandbox(p, `${R}o2`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    await runtimeProcess('less', [join(p, `run/vc/sbs/${R}o1/state.json`), join(p, `run/vc/sbs/${R}o2/state.json`)]);
    const fix = JSON.parse(vcp(p, ['--json', 'check', '--fix']).stdout);
    assert.match(fix.actions.find((a: any) => a.id === `${R}o1`).reason, /process pid \d+ \(less: /);
    assert.equal(existsSync(join(p, `run/vc/sbs/${R}o1`)), true);
    const r = vcp(p, ['rm', `${R}o1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(String.raw`warning: process pid \d+ \(less: .*\) names sandbox ${R}o1; going ahead`));
  });
});

describe('the mount witness', { skip: !root && 'needs root to mount' }, () => {
  it('a bind mount inside a sandbox: rm refuses the whole sandbox (even with --force), nothing changes, the mounted data survives', () => {
    const p = tmp();
    const data = tmp();
    writeFileSync(join(data, 'precious'), 'x');
    addSandbox(p, `${R}mb`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    const at = join(p, `run/vc/sbs/${R}mb/${R}mb/rootfs`);
    mkdirSync(at);
    assert.equal(spawnSync('mount', ['--bind', data, at]).status, 0);
    try {
      const before = snapshot(join(p, 'var'));
      const r = vcp(p, ['rm', '--force', `${R}mb`]);
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, new RegExp(String.raw`1 mount below it \(.*${R}mb\/rootfs\); unmount them first or use rm --unmount`));
      const plan = JSON.parse(vcp(p, ['--json', 'check', '--fix', '--dry-run']).stdout);
      assert.deepEqual(plan.actions.find((a: any) => a.id === `${R}mb`).unmounts, [at]);
      assert.deepEqual(snapshot(join(p, 'var')), before, 'config root untouched');
      assert.equal(existsSync(join(at, 'precious')), true);
      assert.deepEqual(readdirSync(join(p, 'run/vc/sbs')), [`${R}mb`], 'nothing renamed away');
    } finally {
      spawnSync('umount', [at]);
    }
    assert.equal(vcp(p, ['rm', `${R}mb`]).code, 0);
    assert.equal(readFileSync(join(data, 'precious'), 'utf8'), 'x', 'the mounted data survives');
  });
});

describe('interrupted and racing removals', () => {
  it('SIGINT during a 1,000-sandbox rm: stops within a second, says what was done, every sandbox whole or gone', async () => {
    const p = tmp('vcstore-sigint-', true);
    const ids = Array.from({ length: 1000 }, (_, i) => `${R}s${String(i).padStart(4, '0')}`);
    for (const id of ids) addSandbox(p, id, { state: 'stopped', containers: [{ id: `${R}c`, state: 'stopped' }] });
    const child = vcAsync(['--prefix', p, 'rm', ...ids]);
    const done = collect(child);
    const run = join(p, 'run/vc/sbs');
    while (readdirSync(run).length > 900) await sleep(20);
    const t0 = Date.now();
    child.kill('SIGINT');
    const r = await done;
    assert.ok(Date.now() - t0 < 1500, `stopped after ${Date.now() - t0} ms`);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /interrupted by SIGINT: \d+ removed, \d+ not started/);
    const left = readdirSync(run);
    assert.ok(left.length > 0, 'it stopped before the end');
    assert.ok(!left.some((n) => n.startsWith('.')), 'no hidden leftover');
    for (const id of left) for (const f of ['state.json', `${R}c/state.json`]) assert.equal(existsSync(join(run, id, f)), true, `${id} is whole`);
    assert.equal(r.stdout.split('\n').filter(Boolean).length, 1000 - left.length, 'one line per removed sandbox');
  });
  it('kill -9 mid-removal: the remainder stays listed as removal-unfinished and the next rm finishes it', async () => {
    const p = tmp();
    addSandbox(p, `${R}big`, { state: 'stopped' });
    const raw = join(p, `run/vc/sbs/${R}big/raw`);
    for (let i = 0; i < 3000; i++) writeFileSync(join(raw, `f${i}`), '');
    const child = vcAsync(['--prefix', p, 'rm', `${R}big`]);
    const run = join(p, 'run/vc/sbs');
    const exited = once(child, 'exit');
    let gone = false;
    void exited.then(() => (gone = true));
    await until(() => gone || readdirSync(run).some((n) => n.startsWith('.vcstore-trash-')), 'the removal to start');
    child.kill('SIGKILL');
    await exited;
    if (!readdirSync(run).length && !readdirSync(join(p, 'var/lib/vc/sbs')).length) return; // finished before the kill
    const ls = JSON.parse(vcp(p, ['ls', '--json']).stdout);
    assert.equal(ls[0].id, `${R}big`);
    assert.ok(ls[0].problems.some((x: any) => x.code === 'removal-unfinished'));
    assert.equal(vcp(p, ['check']).code, 6);
    const r = vcp(p, ['rm', `${R}big`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(run), []);
    assert.deepEqual(JSON.parse(vcp(p, ['ls', '--json']).stdout), []);
  });
  it('two racing rm of one sandbox: one removes, the other reports it already gone (3, or 0 with --ignore-not-found)', async () => {
    for (const force of [false, true]) {
      const p = tmp();
      addSandbox(p, `${R}r1`, { state: 'stopped' });
      const rs = await Promise.all([0, 1].map(() => collect(vcAsync(['--prefix', p, '--json', 'rm', ...(force ? ['--ignore-not-found'] : []), `${R}r1`]))));
      const outs = rs.map((r) => JSON.parse(r.stdout)[0]);
      assert.equal(outs.filter((o) => o.status === 'removed').length, 1, JSON.stringify(outs));
      const loser = outs.find((o) => o.status !== 'removed');
      assert.equal(loser.status, 'absent');
      assert.deepEqual(loser.paths, []);
      assert.equal(
        rs
          .map((r) => r.code)
          .sort()
          .join(),
        force ? '0,0' : '0,3',
      );
    }
  });
  it('a multi-ID rm exits with the most severe failure: 1 outranks 3', () => {
    const p = tmp();
    const outside = tmp();
    mkdirSync(join(p, 'run/vc/sbs'), { recursive: true });
    symlinkSync(outside, join(p, 'run/vc/sbs/linked'));
    const r = vcp(p, ['rm', `${R}ghost`, 'linked']);
    assert.equal(r.code, 1, r.stderr);
  });
});

describe('one lock policy: no lock the runtime could be kept out with, no change (5) unless --force', () => {
  for (const kind of ['symlink', 'missing', 'directory'] as const) {
    it(`uuid free refuses a ${kind} lock with 5, nothing changed; --force frees it`, async () => {
      const p = tmp();
      writeUuidStore(p, [1, 1, 0, 0, 0, 0, 0, 0]);
      const lock = join(p, 'var/lib/vc/uuid/lock');
      rmSync(lock);
      if (kind === 'symlink') symlinkSync('/etc/passwd', lock);
      if (kind === 'directory') mkdirSync(lock);
      const before = snapshot(p);
      const r = await vci(p, ['uuid', 'free', '1']);
      oneLine(r, 5, `uuid free, ${kind} lock`);
      assert.match(r.stderr, /so the runtime could not be kept out; use --force/);
      assert.deepEqual(snapshot(p), before);
      assert.equal((await vci(p, ['uuid', 'free', '--force', '1'])).code, 0);
      assert.equal(readFileSync('/etc/passwd', 'utf8').length > 0, true, 'the link target is untouched');
    });
    it(`rm, set and raw refuse a 1.x sandbox whose lock file is ${kind} with 5, nothing changed; rm --force removes it`, async () => {
      const p = tmp();
      addSandbox(p, `${R}nl`, { state: 'stopped' });
      const lock = join(p, `run/vc/sbs/${R}nl/lock`);
      rmSync(lock);
      if (kind === 'symlink') symlinkSync('/etc/passwd', lock);
      if (kind === 'directory') mkdirSync(lock);
      const before = snapshot(p);
      for (const args of [
        ['rm', `${R}nl`],
        ['set', `${R}nl`, '--state', 'ready'],
        ['raw', `${R}nl`, 'x'],
      ]) {
        const r = await vci(p, args);
        oneLine(r, 5, `${args[0]}, ${kind} lock`);
        assert.match(r.stderr, /so the runtime could not be kept out/);
      }
      assert.deepEqual(snapshot(p), before);
      assert.equal((await vci(p, ['rm', '--force', `${R}nl`])).code, 0);
      assert.equal(existsSync(join(p, `run/vc/sbs/${R}nl`)), false);
    });
  }
});

describe('an empty prefix', () => {
  it('is a usage error (2), from --prefix "" and from VCSTORE_PREFIX= alike, with one JSON document under --json', () => {
    assert.equal(vc(['--prefix', '', 'ls']).code, 2);
    const e = vc(['rm', 'x'], { env: { VCSTORE_PREFIX: '' } });
    assert.equal(e.code, 2);
    assert.match(e.stderr, /^vcstore: empty --prefix/);
    const j = vc(['--json', 'ls'], { env: { VCSTORE_PREFIX: '' } });
    assert.equal(JSON.parse(j.stdout).error.code, 2);
  });
});

describe('every other refusal leaves the store as it was', () => {
  it('set refuses while a runtime process names the sandbox (exit 5); --force overrides', async () => {
    const p = tmp();
    addSandbox(p, `${R}sp1`, { state: 'stopped' });
    await runtimeProcess('kata-shim', ['-container', `${R}sp1`]);
    const before = snapshot(p);
    const r = vcp(p, ['set', `${R}sp1`, '--state', 'ready']);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /runtime process pid \d+ \(kata-shim: /);
    assert.deepEqual(snapshot(p), before);
    assert.equal(vcp(p, ['set', '--force', `${R}sp1`, '--state', 'ready']).code, 0);
  });
  it('rm refuses a shared dir that is a symbolic link (exit 1) and never touches its target', () => {
    const p = tmp();
    const outside = tmp();
    writeFileSync(join(outside, 'precious'), 'x');
    addSandbox(p, `${R}ls1`, { state: 'stopped' });
    mkdirSync(join(p, 'run/kata-containers/shared/sandboxes'), { recursive: true });
    symlinkSync(outside, join(p, `run/kata-containers/shared/sandboxes/${R}ls1`));
    const before = snapshot(p);
    const r = vcp(p, ['rm', `${R}ls1`]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(String.raw`shared\/sandboxes\/${R}ls1: it is a symbolic link`));
    assert.deepEqual(snapshot(p), before);
    assert.equal(readFileSync(join(outside, 'precious'), 'utf8'), 'x');
  });
  it('uuid free refuses a slot whose sandbox cannot be told dead (exit 5)', () => {
    const p = tmp();
    addSandbox(p, `${R}au`, { state: 'running', hypervisor: 'acrn', acrnUuid: 'dbeae168-26e4-4084-9227-622193e56325', pid: 0 });
    writeUuidStore(p, [0, 1, 0, 0, 0, 0, 0, 0]);
    const before = snapshot(p);
    const r = vcp(p, ['uuid', 'free', '1']);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, new RegExp(String.raw`sandbox ${R}au uses it and is not provably dead`));
    assert.deepEqual(snapshot(p), before);
  });
});
