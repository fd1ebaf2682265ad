// needs: nothing
// Kata 1.11+/2.x persist and 3.x runtime-rs layouts, alone and mixed with
// the 1.x store; real flock(2) on the persist sandbox directory.
import { strict as assert } from 'node:assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { once } from 'node:events';
import {
  addPersistSandbox,
  addRuntimeRsSandbox,
  addSandbox,
  deadPid,
  fakeHypervisor,
  flockFree,
  holdFlock,
  R,
  scratch,
  snapshot,
  vci,
  vcp,
} from './helpers.js';
import fse from 'fs-extra';

const { tmp, track } = scratch();

let p: string;
let livePid: number;
before(async () => {
  p = tmp();
  const hv = track(fakeHypervisor(`${R}p-live`));
  await once(hv, 'spawn');
  livePid = hv.pid!;
  addSandbox(p, `${R}legacy1`, { state: 'stopped' });
  addPersistSandbox(p, `${R}p-live`, {
    state: 'running',
    pid: livePid,
    containers: [{ id: `${R}p-live` }, { id: `${R}c2`, state: 'running', pid: deadPid() }],
  });
  addPersistSandbox(p, `${R}p-dead`, { state: 'running', type: 'clh', pid: deadPid(), configShell: true });
  addRuntimeRsSandbox(p, `${R}rs-dead`, { pid: deadPid() });
  const rsv = track(fakeHypervisor(`${R}rs-live`));
  await once(rsv, 'spawn');
  addRuntimeRsSandbox(p, `${R}rs-live`, { pid: rsv.pid! });
});

const byId = (list: any[], id: string) => list.find((s) => s.id === id);

describe('mixed store', () => {
  it('ls tells layouts apart per sandbox and reads each', async () => {
    const list = JSON.parse((await vci(p, ['ls', '--json', '--sort', 'id'])).stdout);
    assert.deepEqual(
      list.map((s: any) => [s.id, s.layout]),
      [
        [`${R}legacy1`, 'legacy'],
        [`${R}p-dead`, 'persist'],
        [`${R}p-live`, 'persist'],
        [`${R}rs-dead`, 'runtime-rs'],
        [`${R}rs-live`, 'runtime-rs'],
      ],
    );
    const live = byId(list, `${R}p-live`);
    assert.deepEqual(live.hypervisor, { type: 'qemu', pid: livePid, alive: true, verified: true });
    assert.deepEqual(
      live.containers.map((c: any) => [c.id, c.state]),
      [
        [`${R}c2`, 'running'],
        [`${R}p-live`, 'running'],
      ],
    );
    assert.deepEqual(
      live.problems.map((x: any) => [x.code, x.container]),
      [['container-dead', `${R}c2`]],
    );
    assert.equal(live.paths.lock, join(p, `run/vc/sbs/${R}p-live`), 'persist locks the directory');
    assert.equal(byId(list, `${R}p-dead`).hypervisor.type, 'clh');
    assert.ok(byId(list, `${R}p-dead`).problems.some((x: any) => x.code === 'hypervisor-dead'));
    const rs = byId(list, `${R}rs-dead`);
    assert.equal(rs.hypervisor.alive, false);
    assert.equal(rs.lock.held, false);
    assert.equal(rs.paths.lock, null, 'runtime-rs takes no lock');
    assert.deepEqual(rs.containers, []);
    assert.equal(byId(list, `${R}rs-live`).hypervisor.alive, true);
  });
  it('show reads persist sections and runtime-rs sections', async () => {
    assert.equal(JSON.parse((await vci(p, ['--json', 'show', `${R}p-live`, 'hypervisor'])).stdout).Pid, livePid);
    assert.equal(JSON.parse((await vci(p, ['--json', 'show', `${R}p-live`, 'state'])).stdout).State, 'running');
    assert.equal(JSON.parse((await vci(p, ['--json', 'show', `${R}p-live`, 'agent'])).stdout).URL, 'vsock://1234:1024');
    assert.ok(Array.isArray(JSON.parse((await vci(p, ['--json', 'show', `${R}p-live`, 'network'])).stdout).Endpoints));
    assert.deepEqual(JSON.parse((await vci(p, ['--json', 'show', `${R}p-live`, 'devices'])).stdout), []);
    assert.equal(JSON.parse((await vci(p, ['--json', 'show', `${R}p-live`, 'config'])).stdout).HypervisorType, 'qemu');
    assert.equal(JSON.parse((await vci(p, ['--json', 'show', `${R}p-live`, `${R}c2`, 'process'])).stdout).Pid > 0, true);
    assert.match((await vci(p, ['show', `${R}p-live`])).stdout, /layout persist/);
    assert.match((await vci(p, ['show', `${R}p-live`, `${R}c2`])).stdout, new RegExp(String.raw`^Container\s+${R}c2`));
    assert.equal(JSON.parse((await vci(p, ['--json', 'show', `${R}rs-dead`, 'hypervisor'])).stdout).hypervisor_type, 'qemu');
    assert.match((await vci(p, ['show', `${R}rs-dead`])).stdout, /Lock\s+none\n/);
    assert.equal((await vci(p, ['show', `${R}p-live`, 'bogus'])).code, 2);
  });
  it('persist lock is flock(2) on the directory: seen by flock(1) both ways', async () => {
    const dir = join(p, `run/vc/sbs/${R}p-live`);
    // lock -- CMD hands CMD its own stdio: spawned, to read CMD's output
    const r = vcp(p, ['lock', `${R}p-live`, '--', 'sh', '-c', `flock -n -s ${dir} true; echo $?`]);
    assert.equal(r.stdout, '1\n');
    assert.equal(flockFree(dir), true);
    const h = await holdFlock(dir);
    try {
      const probe = await vci(p, ['lock', `${R}p-live`]);
      assert.equal(probe.code, 4);
      assert.match(probe.stdout, /held by pid \d+/);
      assert.equal(JSON.parse((await vci(p, ['ls', '--json'])).stdout).find((s: any) => s.id === `${R}p-live`).lock.held, true);
      assert.equal((await vci(p, ['show', '--nonblock', `${R}p-live`, 'state'])).code, 4);
    } finally {
      await h.release();
    }
  });
  it('runtime-rs: lock says the runtime takes none', async () => {
    const r = await vci(p, ['lock', `${R}rs-dead`]);
    assert.equal(r.code, 2, 'unsupported layout: a usage error, as documented');
    assert.match(r.stderr, /runtime-rs layout, whose runtime takes no lock/);
  });
  it('set refuses runtime-rs and raw refuses every layout without raw/, with exit 2, nothing changed', async () => {
    const before = snapshot(p);
    assert.equal((await vci(p, ['set', `${R}rs-dead`, '--state', 'stopped'])).code, 2);
    assert.equal((await vci(p, ['raw', `${R}p-dead`])).code, 2);
    assert.equal((await vci(p, ['raw', `${R}rs-dead`])).code, 2);
    assert.deepEqual(snapshot(p), before);
  });
  it('check: dead hypervisors in every layout, the 1.11/1.12 config shell as debris', async () => {
    const j = JSON.parse((await vci(p, ['--json', 'check'])).stdout);
    const keys = j.findings.map((f: any) => `${f.code} ${f.id}${f.container ? '/' + f.container : ''}`).sort();
    assert.deepEqual(keys, [`config-shell ${R}p-dead`, `container-dead ${R}p-live/${R}c2`, `hypervisor-dead ${R}p-dead`, `hypervisor-dead ${R}rs-dead`]);
  });
});

describe('changes on other layouts', () => {
  it('rm of a live persist sandbox is refused; of a dead one removes run dir, config shell and VM dir', async () => {
    const q = tmp();
    const hv = track(fakeHypervisor(`${R}pl`));
    await once(hv, 'spawn');
    addPersistSandbox(q, `${R}pl`, { pid: hv.pid! });
    addPersistSandbox(q, `${R}pd`, { pid: deadPid(), configShell: true });
    const before = snapshot(q);
    assert.equal((await vci(q, ['rm', `${R}pl`])).code, 5);
    assert.deepEqual(snapshot(q), before);
    const r = await vci(q, ['rm', `${R}pd`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(join(q, `run/vc/sbs/${R}pd`)), false);
    assert.equal(existsSync(join(q, `var/lib/vc/sbs/${R}pd`)), false);
  });
  it('rm of a persist sandbox waits on the directory lock', async () => {
    const q = tmp();
    addPersistSandbox(q, `${R}pd`, { pid: deadPid() });
    const h = await holdFlock(join(q, `run/vc/sbs/${R}pd`), 's');
    try {
      const before = snapshot(q);
      assert.equal((await vci(q, ['rm', '--nonblock', `${R}pd`])).code, 4);
      assert.deepEqual(snapshot(q), before);
    } finally {
      await h.release();
    }
  });
  it('rm of runtime-rs: refused while alive, removed when dead', async () => {
    const q = tmp();
    const hv = track(fakeHypervisor(`${R}rl`));
    await once(hv, 'spawn');
    writeFileSync(join(q, 'x'), '');
    addRuntimeRsSandbox(q, `${R}rl`, { type: 'dragonball', pid: hv.pid! });
    addRuntimeRsSandbox(q, `${R}rd`, { pid: deadPid() });
    const before = snapshot(join(q, `run/kata/${R}rl`));
    const live = await vci(q, ['rm', `${R}rl`]);
    assert.equal(live.code, 5, live.stderr);
    assert.match(live.stderr, new RegExp(String.raw`refusing to remove sandbox ${R}rl: its hypervisor \(dragonball, pid \d+\) is alive`));
    assert.deepEqual(snapshot(join(q, `run/kata/${R}rl`)), before);
    assert.equal((await vci(q, ['rm', `${R}rd`])).code, 0);
    assert.equal(existsSync(join(q, `run/kata/${R}rd`)), false);
  });
  it('check --fix removes dead persist and runtime-rs sandboxes and the config shell of a live one', async () => {
    const q = tmp();
    const hv = track(fakeHypervisor(`${R}pl`));
    await once(hv, 'spawn');
    addPersistSandbox(q, `${R}pl`, { pid: hv.pid!, configShell: true });
    addPersistSandbox(q, `${R}pd`, { pid: deadPid() });
    addRuntimeRsSandbox(q, `${R}rd`, { pid: deadPid() });
    const live = snapshot(join(q, `run/vc/sbs/${R}pl`));
    const r = await vci(q, ['check', '--fix']);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(existsSync(join(q, `run/vc/sbs/${R}pd`)), false);
    assert.equal(existsSync(join(q, `run/kata/${R}rd`)), false);
    assert.equal(existsSync(join(q, `var/lib/vc/sbs/${R}pl`)), false);
    assert.deepEqual(snapshot(join(q, `run/vc/sbs/${R}pl`)), live);
  });
  it('the persist ACRN UUID store at /run/vc/uuid is read', async () => {
    const q = tmp();
    const U = 'dbeae168-26e4-4084-9227-622193e56325';
    fse.outputFileSync(join(q, 'run/vc/uuid/uuid.json'), JSON.stringify({ UUIDAvailability: [0, 1, 0, 0, 0, 0, 0, 0] }));
    addPersistSandbox(q, `${R}acrn1`, { type: 'acrn', uuid: U, pid: deadPid() });
    const j = JSON.parse((await vci(q, ['--json', 'uuid'])).stdout);
    assert.equal(j.path, join(q, 'run/vc/uuid/uuid.json'));
    assert.deepEqual(j.slots[1].sandboxes, [{ id: `${R}acrn1`, alive: false }]);
  });
});
