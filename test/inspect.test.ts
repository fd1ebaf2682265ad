// needs: nothing
// ls, show and path end to end: the real bin/vcstore on real stores.
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { addSandbox, codes, deadPid, fakeHypervisor, hasProblem, hex64, holdFlock, oneLine, R, run, runLock, scratch, snapshot, vc, vci } from './helpers.js';

const { tmp, track } = scratch();

const LIVE = hex64(`${R}live-qemu`);
const DEAD = hex64(`${R}dead-fc`);
const ACRN = hex64('acrn');
let store: string;
let hvPid: number;

before(async () => {
  store = tmp();
  const hv = fakeHypervisor(LIVE);
  track(hv);
  hvPid = hv.pid!;
  await once(hv, 'spawn');
  addSandbox(store, LIVE, {
    state: 'running',
    hypervisor: 'qemu',
    pid: hvPid,
    containers: [
      { id: LIVE, state: 'running', pid: -1 },
      { id: hex64(`${R}c2`), state: 'running', pid: -1 },
    ],
  });
  addSandbox(store, DEAD, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
  addSandbox(store, ACRN, { state: 'paused', hypervisor: 'acrn', pid: 1 });
  addSandbox(store, `${R}ready1`, { state: 'ready', hypervisor: 'clh' });
  addSandbox(store, `${R}stopped1`, { state: 'stopped', hypervisor: 'qemu' });
  addSandbox(store, `${R}cfgonly`, { configOnly: true });
  addSandbox(store, `${R}runonly`, { runtimeOnly: true, state: 'stopped' });
  addSandbox(store, `${R}corrupt`, { state: 'running' });
  writeFileSync(join(store, `run/vc/sbs/${R}corrupt/state.json`), '{"state":"run');
  addSandbox(store, `${R}truncated`, { state: 'running', hypervisor: 'firecracker' });
  writeFileSync(join(store, `run/vc/sbs/${R}truncated/hypervisor.json`), '');
});

const byId = (list: any[], id: string) => list.find((s) => s.id === id);

describe('ls', () => {
  it('--json: every sandbox, stable fields, liveness per hypervisor type', async () => {
    const before = snapshot(store);
    const r = await vci(store, ['ls', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const list = JSON.parse(r.stdout);
    assert.equal(list.length, 9);
    const live = byId(list, LIVE);
    assert.deepEqual(Object.keys(live), [
      'id',
      'pod',
      'created',
      'createdFrom',
      'state',
      'layout',
      'hypervisor',
      'containers',
      'lock',
      'paths',
      'problems',
      'host',
    ]);
    assert.deepEqual(Object.keys(live.host), ['shared', 'mounts', 'processes', 'vm']);
    assert.deepEqual(live.hypervisor, { type: 'qemu', pid: hvPid, alive: true, verified: true });
    assert.equal(live.layout, 'legacy');
    assert.equal(live.containers.length, 2);
    assert.deepEqual(live.problems, []);
    assert.deepEqual(live.lock, { path: join(store, 'run/vc/sbs', LIVE, 'lock'), held: false, visible: true, holders: [] });
    assert.equal(live.paths.runtime, join(store, 'run/vc/sbs', LIVE));
    const dead = byId(list, DEAD);
    assert.equal(dead.hypervisor.type, 'firecracker');
    assert.equal(dead.hypervisor.alive, false);
    assert.ok(codes(dead.problems).includes('hypervisor-dead'));
    // pid 1 is alive but is not this sandbox's acrn-dm: pid reuse.
    const acrn = byId(list, ACRN);
    assert.equal(acrn.hypervisor.type, 'acrn');
    assert.equal(acrn.hypervisor.alive, false);
    assert.equal(acrn.problems.find((x: any) => x.code === 'hypervisor-dead').evidence.reason, 'reused');
    assert.equal(byId(list, `${R}ready1`).hypervisor.type, 'clh');
    assert.deepEqual(codes(byId(list, `${R}cfgonly`).problems), ['runtime-missing']);
    // ready, and no pid recorded: alive cannot be told, which is never "no"
    assert.equal(byId(list, `${R}ready1`).hypervisor.alive, null);
    assert.match(byId(list, `${R}ready1`).hypervisor.unknown, /no hypervisor pid is recorded/);
    assert.ok(codes(byId(list, `${R}ready1`).problems).includes('liveness-unknown'));
    assert.ok(codes(byId(list, `${R}runonly`).problems).includes('config-missing'));
    assert.ok(hasProblem(byId(list, `${R}corrupt`).problems, 'corrupt-item', 'state.json'));
    assert.ok(hasProblem(byId(list, `${R}truncated`).problems, 'corrupt-item', 'hypervisor.json'));
    assert.deepEqual(snapshot(store), before, 'ls never writes');
  });
  it('every state is listed and --state filters', async () => {
    const q = async (s: string) => (await vci(store, ['ls', '-q', '--sort', 'id', '--state', s])).stdout;
    assert.equal(await q('paused'), `${ACRN}\n`);
    assert.equal(await q('ready'), `${R}ready1\n`);
    assert.equal(await q('stopped'), `${R}runonly\n${R}stopped1\n`);
    assert.equal((await vci(store, ['ls', '--state', 'bogus'])).code, 2);
  });
  it('-q prints IDs only; the table truncates IDs unless --no-trunc', async () => {
    const q = await vci(store, ['ls', '-q']);
    assert.equal(q.stdout.trim().split('\n').length, 9);
    const t = await vci(store, ['ls']);
    assert.match(t.stdout, /^ID\s+STATE\s+HYPERVISOR\s+PID\s+ALIVE\s+CONTAINERS\s+AGE\s+LOCK\s+PROBLEMS\n/);
    assert.ok(t.stdout.includes(LIVE.slice(0, 12) + ' '));
    assert.ok(!t.stdout.includes(LIVE));
    assert.ok((await vci(store, ['ls', '--no-trunc'])).stdout.includes(LIVE));
    assert.ok(!t.stdout.includes('\u001b['), 'no colour off a TTY');
  });
  it('colour only when forced (TTY stand-in), never with NO_COLOR or --no-color', async () => {
    assert.ok((await vci(store, ['ls'], { env: { FORCE_COLOR: '1' } })).stdout.includes('\u001b['));
    assert.ok(!(await vci(store, ['ls'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).stdout.includes('\u001b['));
    assert.ok(!(await vci(store, ['--no-color', 'ls'], { env: { FORCE_COLOR: '1' } })).stdout.includes('\u001b['));
  });
  it('shows a lock held by another process, without blocking', async () => {
    const h = await holdFlock(runLock(store, `${R}ready1`));
    try {
      const list = JSON.parse((await vci(store, ['ls', '--json'])).stdout);
      const s = byId(list, `${R}ready1`);
      assert.equal(s.lock.held, true);
      assert.ok(s.lock.holders.length >= 1);
      assert.ok(['flock', 'sh', 'sleep'].includes(s.lock.holders[0].command));
      assert.match((await vci(store, ['ls'])).stdout, new RegExp(String.raw`${R}ready1\s+ready\s+clh.*\d+\/(flock|sh|sleep)`));
    } finally {
      await h.release();
    }
  });
  it('an empty store: [] and exit 0; a missing --prefix or no Kata root at all: exit 3 naming them; nothing created', async () => {
    const p = tmp();
    mkdirSync(join(p, 'run/vc/sbs'), { recursive: true });
    const before = snapshot(p);
    const r = await vci(p, ['ls', '--json']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '[]\n');
    assert.equal((await vci(p, ['ls', '-q'])).stdout, '');
    const missing = await vci(join(p, 'nothing'), ['ls', '--json']);
    assert.equal(missing.code, 3);
    assert.equal(JSON.parse(missing.stdout).error.message, `--prefix ${join(p, 'nothing')}: no such directory`);
    assert.equal(existsSync(join(p, 'nothing')), false);
    const bare = tmp();
    for (const args of [['ls'], ['check'], ['ls', '-q']]) {
      const n = await vci(bare, args);
      assert.equal(n.code, 3, args.join(' '));
      assert.equal(n.stdout, '');
      assert.equal(
        n.stderr,
        `vcstore: no Kata store here: none of ${['var/lib/vc/sbs', 'run/vc/sbs', 'run/kata', 'run/vc/vm', 'run/kata-containers/shared/sandboxes'].map((d) => join(bare, d)).join(', ')} exists\n`,
      );
    }
    assert.deepEqual(readdirSync(bare), []);
    assert.deepEqual(snapshot(p), before);
  });
});

describe('show', () => {
  it('summary: paths, items, hypervisor, containers', async () => {
    const r = await vci(store, ['show', LIVE]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Sandbox\s+[0-9a-f]{64}\nPod\s+\(none recorded\)\nCreated\s+.*\nState\s+running/);
    assert.match(r.stdout, new RegExp(`Hypervisor\\s+qemu\\s+pid ${hvPid}\\s+alive`));
    assert.match(r.stdout, /runtime\/state\.json/);
    assert.match(r.stdout, /Containers \(2\)/);
    assert.match(r.stdout, /Lock\s+free/);
  });
  it('--json summary is one object with items', async () => {
    const j = JSON.parse((await vci(store, ['--json', 'show', LIVE])).stdout);
    assert.equal(j.id, LIVE);
    assert.ok(j.items.some((i: any) => i.file === 'config.json' && i.root === 'config' && i.size > 0));
    assert.ok(Array.isArray(j.raw));
  });
  it('one item by enum name, file name or short form, any case', async () => {
    for (const name of ['State', 'state.json', 'STATE', 'state']) {
      const r = await vci(store, ['show', `${R}ready1`, name]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).state, 'ready');
    }
    assert.equal((await vci(store, ['--json', 'show', `${R}ready1`, 'hypervisor'])).stdout, '{"PID":0,"VirtiofsdPID":0}\n');
  });
  it('container summary and container item', async () => {
    const c = hex64(`${R}c2`);
    assert.match((await vci(store, ['show', LIVE, c])).stdout, /^Container\s+[0-9a-f]{64}/);
    assert.equal(JSON.parse((await vci(store, ['show', LIVE, c, 'process'])).stdout).Pid, -1);
  });
  it('devices.json decoded by type', async () => {
    writeFileSync(
      join(store, `run/vc/sbs/${R}stopped1/devices.json`),
      JSON.stringify([
        {
          Type: 'block',
          Data: {
            ID: 'b1',
            DeviceInfo: { HostPath: '/dev/dm-5' },
            RefCount: 1,
            AttachCount: 1,
            BlockDrive: { VirtPath: '/dev/vda', Format: 'raw', PCIAddr: '01/02' },
          },
        },
        { Type: 'generic', Data: { ID: 'g1', DeviceInfo: { HostPath: '/dev/fuse', DevType: 'c', Major: 10, Minor: 229 } } },
        { Type: 'weird', Data: {} },
      ]),
    );
    // On a terminal: the decoded table, then the JSON.
    const r = await run(['--prefix', store, '--no-color', 'show', `${R}stopped1`, 'devices'], {}, { tty: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^block\s+b1\s+\/dev\/dm-5 -> \/dev\/vda\s+raw\s+addr 01\/02/m);
    assert.match(r.stdout, /^generic\s+g1\s+\/dev\/fuse\s+c 10:229/m);
    assert.match(r.stdout, /unknown device type/);
    // Off one (`| jq`): the item's JSON alone, for every item.
    for (const item of ['devices', 'state', 'hypervisor', 'agent', 'config']) JSON.parse((await vci(store, ['show', `${R}stopped1`, item])).stdout);
  });
  it('missing sandbox, container or item exits 3 with one line', async () => {
    const a = await vci(store, ['show', `${R}ghost`]);
    assert.equal(a.code, 3);
    assert.equal(a.stderr, `vcstore: sandbox ${R}ghost not found\n`);
    // a word no item is called (a container ID that is gone): a container not found, exit 3
    const gone = await vci(store, ['show', LIVE, `${R}ghost1c`]);
    oneLine(gone, 3, 'show of a container that is gone');
    assert.match(gone.stderr, new RegExp(`container "?${R}ghost1c"? not found in sandbox`));
    // a word that can be an item name but is none: an unknown item, exit 2, naming the valid ones
    const b = await vci(store, ['show', LIVE, 'ghostitem']);
    assert.equal(b.code, 2);
    assert.equal(b.stderr.split('\n').length, 2);
    assert.match(b.stderr, /unknown item "?ghostitem"?.*State/);
    const c = await vci(store, ['show', `${R}cfgonly`, 'network']);
    assert.equal(c.code, 3);
    assert.match(c.stderr, /^vcstore: Network item not found: /);
  });
  it('a corrupt item exits 1 naming the file', async () => {
    const r = await vci(store, ['show', `${R}corrupt`, 'state']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(String.raw`^vcstore: .*${R}corrupt\/state\.json: corrupt JSON`));
  });
  it('waits for the shared lock: exit 4 when a writer holds it; --no-lock reads and warns', async () => {
    const h = await holdFlock(runLock(store, `${R}stopped1`));
    try {
      const r = await vci(store, ['show', '--wait', '0.2', `${R}stopped1`, 'state']);
      assert.equal(r.code, 4);
      assert.match(r.stderr, /locked after waiting 0\.2s: held by pid/);
      const n = await vci(store, ['show', '--no-lock', `${R}stopped1`, 'state']);
      assert.equal(n.code, 0);
      assert.match(n.stderr, /^vcstore: warning: reading without the lock/);
    } finally {
      await h.release();
    }
    const s = await holdFlock(runLock(store, `${R}stopped1`), 's');
    try {
      assert.equal((await vci(store, ['show', '--nonblock', `${R}stopped1`, 'state'])).code, 0, 'readers share');
      const summary = await vci(store, ['show', '--nonblock', `${R}stopped1`]);
      assert.equal(summary.code, 0, summary.stderr);
      assert.match(summary.stdout, /^Lock\s+held by pid \d+ \((flock|sh|sleep), shared\)$/m, 'another reader shows in show');
    } finally {
      await s.release();
    }
  });
  it('bad IDs and unknown items exit 2', async () => {
    for (const args of [
      ['show', '../x'],
      ['show', 'A/b'],
      ['show', 'a/b/c'],
      ['show', 'x'.repeat(4096)],
      ['show', LIVE, LIVE, 'nope'],
    ]) {
      const r = await vci(store, args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr.split('\n').length, 2);
    }
  });
});

describe('path', () => {
  it('roots, sandbox, container, item; never touches the store', async () => {
    const p = tmp();
    assert.equal((await vci(p, ['path'])).stdout.split('\n')[1], `runtime ${p}/run/vc/sbs`);
    assert.deepEqual(JSON.parse((await vci(p, ['--json', 'path', `${R}s1`])).stdout), {
      config: `${p}/var/lib/vc/sbs/${R}s1`,
      runtime: `${p}/run/vc/sbs/${R}s1`,
      vm: `${p}/run/vc/vm/${R}s1`,
      lock: `${p}/run/vc/sbs/${R}s1/lock`,
      shared: `${p}/run/kata-containers/shared/sandboxes/${R}s1`,
    });
    assert.match((await vci(p, ['path'])).stdout, new RegExp(`^shared ${p}/run/kata-containers/shared/sandboxes$`, 'm'));
    assert.equal((await vci(p, ['path', `${R}s1`, 'state'])).stdout, `${p}/run/vc/sbs/${R}s1/state.json\n`);
    assert.equal((await vci(p, ['path', `${R}s1`, `${R}c1`, 'config'])).stdout, `${p}/var/lib/vc/sbs/${R}s1/${R}c1/config.json\n`);
    assert.equal((await vci(p, ['path', `${R}s1`, `${R}c1`])).stdout, `config ${p}/var/lib/vc/sbs/${R}s1/${R}c1\nruntime ${p}/run/vc/sbs/${R}s1/${R}c1\n`);
    assert.equal(vc(['path'], { env: { VCSTORE_PREFIX: p } }).stdout.split('\n')[0], `config ${p}/var/lib/vc/sbs`);
    assert.equal(existsSync(join(p, 'run')), false);
  });
});

describe('symlinked sandbox dir', () => {
  it('is reported and never read through', async () => {
    const p = tmp();
    const outside = tmp();
    mkdirSync(join(p, 'run/vc/sbs'), { recursive: true });
    mkdirSync(join(outside, 'evil'));
    writeFileSync(join(outside, 'evil/state.json'), '{"state":"running"}');
    symlinkSync(join(outside, 'evil'), join(p, 'run/vc/sbs/evil'));
    const list = JSON.parse((await vci(p, ['ls', '--json'])).stdout);
    assert.deepEqual(codes(list[0].problems), ['symlink']);
    assert.equal(list[0].problems[0].evidence.what, 'run-time root');
    assert.equal(list[0].state, null);
    const r = await vci(p, ['show', 'evil', 'state']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /symbolic link/);
  });
});
