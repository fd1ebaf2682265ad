// Kata 1.11+/2.x persist and 3.x runtime-rs layouts, alone and mixed with
// the 1.x store; real flock(2) on the persist sandbox directory.
import { strict as assert } from 'node:assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { once } from 'node:events';
import { addPersistSandbox, addRuntimeRsSandbox, addSandbox, deadPid, fakeHypervisor, flockFree, holdFlock, scratch, snapshot, vcp, vci } from './helpers.js';
import fse from 'fs-extra';

const { tmp, track } = scratch();

let p: string;
let livePid: number;
before(async () => {
  p = tmp();
  const hv = track(fakeHypervisor('p-live'));
  await once(hv, 'spawn');
  livePid = hv.pid!;
  addSandbox(p, 'legacy1', { state: 'stopped' });
  addPersistSandbox(p, 'p-live', { state: 'running', pid: livePid, containers: [{ id: 'p-live' }, { id: 'c2', state: 'running', pid: deadPid() }] });
  addPersistSandbox(p, 'p-dead', { state: 'running', type: 'clh', pid: deadPid(), configShell: true });
  addRuntimeRsSandbox(p, 'rs-dead', { pid: deadPid() });
  const rsv = track(fakeHypervisor('rs-live'));
  await once(rsv, 'spawn');
  addRuntimeRsSandbox(p, 'rs-live', { pid: rsv.pid! });
});

const byId = (list: any[], id: string) => list.find((s) => s.id === id);

describe('mixed store', () => {
  it('ls tells layouts apart per sandbox and reads each', async () => {
    const list = JSON.parse((await vci(p, ['ls', '--json'])).stdout);
    assert.deepEqual(
      list.map((s: any) => [s.id, s.layout]),
      [
        ['legacy1', 'legacy'],
        ['p-dead', 'persist'],
        ['p-live', 'persist'],
        ['rs-dead', 'runtime-rs'],
        ['rs-live', 'runtime-rs'],
      ],
    );
    const live = byId(list, 'p-live');
    assert.deepEqual(live.hypervisor, { type: 'qemu', pid: livePid, alive: true, verified: true });
    assert.deepEqual(
      live.containers.map((c: any) => [c.id, c.state]),
      [
        ['c2', 'running'],
        ['p-live', 'running'],
      ],
    );
    assert.deepEqual(
      live.problems.map((x: any) => [x.code, x.container]),
      [['container-dead', 'c2']],
    );
    assert.equal(live.paths.lock, join(p, 'run/vc/sbs/p-live'), 'persist locks the directory');
    assert.equal(byId(list, 'p-dead').hypervisor.type, 'clh');
    assert.ok(byId(list, 'p-dead').problems.some((x: any) => x.code === 'hypervisor-dead'));
    const rs = byId(list, 'rs-dead');
    assert.equal(rs.hypervisor.alive, false);
    assert.equal(rs.lock.held, false);
    assert.equal(rs.paths.lock, null, 'runtime-rs takes no lock');
    assert.deepEqual(rs.containers, []);
    assert.equal(byId(list, 'rs-live').hypervisor.alive, true);
  });
  it('show reads persist sections and runtime-rs sections', async () => {
    assert.equal(JSON.parse((await vci(p, ['--json', 'show', 'p-live', 'hypervisor'])).stdout).Pid, livePid);
    assert.equal(JSON.parse((await vci(p, ['--json', 'show', 'p-live', 'state'])).stdout).State, 'running');
    assert.equal(JSON.parse((await vci(p, ['--json', 'show', 'p-live', 'agent'])).stdout).URL, 'vsock://1234:1024');
    assert.ok(Array.isArray(JSON.parse((await vci(p, ['--json', 'show', 'p-live', 'network'])).stdout).Endpoints));
    assert.deepEqual(JSON.parse((await vci(p, ['--json', 'show', 'p-live', 'devices'])).stdout), []);
    assert.equal(JSON.parse((await vci(p, ['--json', 'show', 'p-live', 'config'])).stdout).HypervisorType, 'qemu');
    assert.equal(JSON.parse((await vci(p, ['--json', 'show', 'p-live', 'c2', 'process'])).stdout).Pid > 0, true);
    assert.match((await vci(p, ['show', 'p-live'])).stdout, /layout persist/);
    assert.match((await vci(p, ['show', 'p-live', 'c2'])).stdout, /^Container\s+c2/);
    assert.equal(JSON.parse((await vci(p, ['--json', 'show', 'rs-dead', 'hypervisor'])).stdout).hypervisor_type, 'qemu');
    assert.match((await vci(p, ['show', 'rs-dead'])).stdout, /Lock\s+none\n/);
    assert.equal((await vci(p, ['show', 'p-live', 'bogus'])).code, 2);
  });
  it('persist lock is flock(2) on the directory: seen by flock(1) both ways', async () => {
    const dir = join(p, 'run/vc/sbs/p-live');
    // lock -- CMD hands CMD its own stdio: spawned, to read CMD's output
    const r = vcp(p, ['lock', 'p-live', '--', 'sh', '-c', `flock -n -s ${dir} true; echo $?`]);
    assert.equal(r.stdout, '1\n');
    assert.equal(flockFree(dir), true);
    const h = await holdFlock(dir);
    try {
      const probe = await vci(p, ['lock', 'p-live']);
      assert.equal(probe.code, 4);
      assert.match(probe.stdout, /held by pid \d+/);
      assert.equal(JSON.parse((await vci(p, ['ls', '--json'])).stdout).find((s: any) => s.id === 'p-live').lock.held, true);
      assert.equal((await vci(p, ['show', '-n', 'p-live', 'state'])).code, 4);
    } finally {
      await h.release();
    }
  });
  it('runtime-rs: lock says the runtime takes none', async () => {
    const r = await vci(p, ['lock', 'rs-dead']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /runtime-rs layout, whose runtime takes no lock/);
  });
  it('set refuses runtime-rs and raw refuses every layout without raw/, with exit 2, nothing changed', async () => {
    const before = snapshot(p);
    assert.equal((await vci(p, ['set', 'rs-dead', '--state', 'stopped'])).code, 2);
    assert.equal((await vci(p, ['raw', 'p-dead'])).code, 2);
    assert.equal((await vci(p, ['raw', 'rs-dead'])).code, 2);
    assert.deepEqual(snapshot(p), before);
  });
  it('check: dead hypervisors in every layout, the 1.11/1.12 config shell as debris', async () => {
    const j = JSON.parse((await vci(p, ['--json', 'check'])).stdout);
    const keys = j.findings.map((f: any) => `${f.code} ${f.id}${f.container ? '/' + f.container : ''}`).sort();
    assert.deepEqual(keys, ['config-shell p-dead', 'container-dead p-live/c2', 'hypervisor-dead p-dead', 'hypervisor-dead rs-dead']);
  });
});

describe('changes on other layouts', () => {
  it('rm of a live persist sandbox is refused; of a dead one removes run dir, config shell and VM dir', async () => {
    const q = tmp();
    const hv = track(fakeHypervisor('pl'));
    await once(hv, 'spawn');
    addPersistSandbox(q, 'pl', { pid: hv.pid! });
    addPersistSandbox(q, 'pd', { pid: deadPid(), configShell: true });
    const before = snapshot(q);
    assert.equal((await vci(q, ['rm', 'pl'])).code, 5);
    assert.deepEqual(snapshot(q), before);
    const r = await vci(q, ['rm', 'pd']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(join(q, 'run/vc/sbs/pd')), false);
    assert.equal(existsSync(join(q, 'var/lib/vc/sbs/pd')), false);
  });
  it('rm of a persist sandbox waits on the directory lock', async () => {
    const q = tmp();
    addPersistSandbox(q, 'pd', { pid: deadPid() });
    const h = await holdFlock(join(q, 'run/vc/sbs/pd'), 's');
    try {
      const before = snapshot(q);
      assert.equal((await vci(q, ['rm', '-n', 'pd'])).code, 4);
      assert.deepEqual(snapshot(q), before);
    } finally {
      await h.release();
    }
  });
  it('rm of runtime-rs: refused while alive, removed when dead', async () => {
    const q = tmp();
    const hv = track(fakeHypervisor('rl'));
    await once(hv, 'spawn');
    writeFileSync(join(q, 'x'), '');
    addRuntimeRsSandbox(q, 'rl', { type: 'dragonball', pid: hv.pid! });
    addRuntimeRsSandbox(q, 'rd', { pid: deadPid() });
    const before = snapshot(join(q, 'run/kata/rl'));
    const live = await vci(q, ['rm', 'rl']);
    assert.equal(live.code, 5, live.stderr);
    assert.match(live.stderr, /refusing to remove sandbox rl: its hypervisor \(dragonball, pid \d+\) is alive/);
    assert.deepEqual(snapshot(join(q, 'run/kata/rl')), before);
    assert.equal((await vci(q, ['rm', 'rd'])).code, 0);
    assert.equal(existsSync(join(q, 'run/kata/rd')), false);
  });
  it('check --fix removes dead persist and runtime-rs sandboxes and the config shell of a live one', async () => {
    const q = tmp();
    const hv = track(fakeHypervisor('pl'));
    await once(hv, 'spawn');
    addPersistSandbox(q, 'pl', { pid: hv.pid!, configShell: true });
    addPersistSandbox(q, 'pd', { pid: deadPid() });
    addRuntimeRsSandbox(q, 'rd', { pid: deadPid() });
    const live = snapshot(join(q, 'run/vc/sbs/pl'));
    const r = await vci(q, ['check', '--fix']);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(existsSync(join(q, 'run/vc/sbs/pd')), false);
    assert.equal(existsSync(join(q, 'run/kata/rd')), false);
    assert.equal(existsSync(join(q, 'var/lib/vc/sbs/pl')), false);
    assert.deepEqual(snapshot(join(q, 'run/vc/sbs/pl')), live);
  });
  it('the persist ACRN UUID store at /run/vc/uuid is read', async () => {
    const q = tmp();
    const U = 'dbeae168-26e4-4084-9227-622193e56325';
    fse.outputFileSync(join(q, 'run/vc/uuid/uuid.json'), JSON.stringify({ UUIDAvailability: [0, 1, 0, 0, 0, 0, 0, 0] }));
    addPersistSandbox(q, 'acrn1', { type: 'acrn', uuid: U, pid: deadPid() });
    const j = JSON.parse((await vci(q, ['--json', 'uuid'])).stdout);
    assert.equal(j.path, join(q, 'run/vc/uuid/uuid.json'));
    assert.deepEqual(j.slots[1].sandboxes, [{ id: 'acrn1', alive: false }]);
  });
});
