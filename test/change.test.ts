// needs: nothing
// rm, raw, uuid, set end to end. Every refusal path checks exit code and
// that nothing changed on disk.
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addSandbox, deadPid, fakeHypervisor, flockFree, holdFlock, oneLine, R, runLock, scratch, snapshot, vci, writeUuidStore } from './helpers.js';

const { tmp, track } = scratch();
async function live(sid: string): Promise<number> {
  const p = track(fakeHypervisor(sid));
  await once(p, 'spawn');
  return p.pid!;
}

describe('rm', () => {
  it('removes config root, run-time root and VM dir, and says so', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { hypervisor: 'qemu', pid: deadPid() });
    addSandbox(p, `${R}keep`);
    const keep = snapshot(join(p, `run/vc/sbs/${R}keep`));
    const r = await vci(p, ['rm', `${R}s1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `sandbox ${R}s1: removed ${p}/var/lib/vc/sbs/${R}s1 ${p}/run/vc/vm/${R}s1 ${p}/run/vc/sbs/${R}s1\n`);
    for (const d of [`var/lib/vc/sbs/${R}s1`, `run/vc/sbs/${R}s1`, `run/vc/vm/${R}s1`]) assert.equal(existsSync(join(p, d)), false, d);
    assert.deepEqual(readdirSync(join(p, 'run/vc/sbs')), [`${R}keep`], 'no trash left behind');
    assert.deepEqual(snapshot(join(p, `run/vc/sbs/${R}keep`)), keep);
  });
  it('--dry-run lists and changes nothing', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    const before = snapshot(p);
    const r = await vci(p, ['rm', '--dry-run', `${R}s1`]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(String.raw`^sandbox ${R}s1: would remove `));
    assert.deepEqual(snapshot(p), before);
  });
  it('refuses with 5 while the hypervisor is alive; --force removes', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { hypervisor: 'qemu', pid: await live(`${R}s1`) });
    const before = snapshot(p);
    const r = await vci(p, ['rm', `${R}s1`]);
    assert.equal(r.code, 5);
    assert.match(r.stderr, new RegExp(String.raw`^vcstore: refusing to remove sandbox ${R}s1: its hypervisor \(qemu, pid \d+\) is alive`));
    assert.deepEqual(snapshot(p), before);
    assert.equal((await vci(p, ['rm', '--force', `${R}s1`])).code, 0);
    assert.equal(existsSync(join(p, `run/vc/sbs/${R}s1`)), false);
  });
  it('busy lock: exit 4 naming the holder, nothing removed', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`);
    const h = await holdFlock(runLock(p, `${R}s1`));
    try {
      const before = snapshot(p);
      const r = await vci(p, ['rm', '--wait', '0.2', `${R}s1`]);
      assert.equal(r.code, 4);
      assert.match(r.stderr, new RegExp(String.raw`sandbox ${R}s1 is locked after waiting 0\.2s: held by pid \d+ \((flock|sh|sleep), exclusive\)`));
      assert.deepEqual(snapshot(p), before);
    } finally {
      await h.release();
    }
  });
  it('missing: 3 (also with --force), or 0 with --ignore-not-found; several IDs report each and exit with the worst', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    assert.equal((await vci(p, ['rm', `${R}ghost`])).code, 3);
    oneLine(await vci(p, ['rm', '-f', `${R}ghost`]), 3, 'rm --force of a missing sandbox');
    const f = await vci(p, ['rm', '--ignore-not-found', `${R}ghost`]);
    assert.equal(f.code, 0);
    assert.equal(f.stdout, `sandbox ${R}ghost: not found, ignored\n`);
    const m = await vci(p, ['--json', 'rm', `${R}s1`, `${R}ghost`]);
    assert.equal(m.code, 3);
    const j = JSON.parse(m.stdout);
    assert.deepEqual(
      j.map((x: any) => [x.id, x.status, x.exitCode]),
      [
        [`${R}s1`, 'removed', 0],
        [`${R}ghost`, 'absent', 3],
      ],
    );
  });
  it('bad IDs: exit 2 before anything is touched', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`);
    const before = snapshot(p);
    for (const bad of [`../${R}s1`, '/etc', '.', 'a\nb']) {
      const r = await vci(p, ['rm', '-f', `${R}s1`, bad]);
      assert.equal(r.code, 2, bad);
    }
    assert.deepEqual(snapshot(p), before);
  });
  it('never follows a symlinked sandbox dir out of the store', async () => {
    const p = tmp();
    const outside = tmp();
    writeFileSync(join(outside, 'precious'), 'x');
    mkdirSync(join(p, 'run/vc/sbs'), { recursive: true });
    symlinkSync(outside, join(p, 'run/vc/sbs/evil'));
    const before = snapshot(p);
    const out = snapshot(outside);
    const r = await vci(p, ['rm', 'evil']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /symbolic link/);
    assert.deepEqual(snapshot(p), before);
    const f = await vci(p, ['rm', '--force', 'evil']);
    assert.equal(f.code, 0, f.stderr);
    assert.equal(existsSync(join(p, 'run/vc/sbs/evil')), false);
    assert.deepEqual(snapshot(outside), out, 'the target is untouched');
  });
  it('a symlink inside a sandbox is removed, not followed', async () => {
    const p = tmp();
    const outside = tmp();
    writeFileSync(join(outside, 'precious'), 'x');
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    symlinkSync(outside, join(p, `run/vc/sbs/${R}s1/raw/escape`));
    assert.equal((await vci(p, ['rm', `${R}s1`])).code, 0);
    assert.equal(readFileSync(join(outside, 'precious'), 'utf8'), 'x');
  });
  it('--container removes one container under the sandbox lock', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { containers: [{ id: `${R}s1` }, { id: `${R}c2`, pid: deadPid() }] });
    const r = await vci(p, ['rm', `${R}s1`, '--container', `${R}c2`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(join(p, `run/vc/sbs/${R}s1/${R}c2`)), false);
    assert.equal(existsSync(join(p, `var/lib/vc/sbs/${R}s1/${R}c2`)), false);
    assert.equal(existsSync(join(p, `run/vc/sbs/${R}s1/${R}s1/state.json`)), true);
    assert.equal((await vci(p, ['rm', `${R}s1`, '--container', `${R}c2`])).code, 3);
    assert.equal((await vci(p, ['rm', `${R}s1`, `${R}s2`, '--container', `${R}c2`])).code, 2);
  });
  it('never creates a store', async () => {
    const p = tmp();
    await vci(p, ['rm', `${R}ghost`]);
    await vci(p, ['rm', '-f', `${R}ghost`]);
    assert.deepEqual(readdirSync(p), []);
  });
});

describe('raw', () => {
  it('creates raw-<random> 0600 and named items 0644, prints file:// URLs', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`);
    const r = await vci(p, ['raw', `${R}s1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^file://${p}/run/vc/sbs/${R}s1/raw/raw-\\d+\\n$`));
    const f = r.stdout.trim().slice('file://'.length);
    assert.equal(statSync(f).mode & 0o777, 0o600);
    assert.equal(statSync(f).size, 0);
    const n = await vci(p, ['raw', `${R}s1`, 'disk0']);
    assert.equal(n.stdout, `file://${p}/run/vc/sbs/${R}s1/raw/disk0\n`);
    assert.equal(statSync(join(p, `run/vc/sbs/${R}s1/raw/disk0`)).mode & 0o777, 0o644);
  });
  it('an existing named item is left as it is', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`);
    writeFileSync(join(p, `run/vc/sbs/${R}s1/raw/disk0`), 'data');
    assert.equal((await vci(p, ['raw', `${R}s1`, 'disk0'])).code, 0);
    assert.equal(readFileSync(join(p, `run/vc/sbs/${R}s1/raw/disk0`), 'utf8'), 'data');
  });
  it('--list with sizes; --container; --json', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { containers: [{ id: `${R}c1` }] });
    writeFileSync(join(p, `run/vc/sbs/${R}s1/raw/disk0`), 'abc');
    assert.equal((await vci(p, ['raw', `${R}s1`, '--list'])).stdout, `disk0\t3\tfile://${p}/run/vc/sbs/${R}s1/raw/disk0\n`);
    assert.equal((await vci(p, ['raw', `${R}s1`, 'x', '--container', `${R}c1`])).stdout, `file://${p}/run/vc/sbs/${R}s1/${R}c1/raw/x\n`);
    assert.deepEqual(JSON.parse((await vci(p, ['--json', 'raw', `${R}s1`, '-l', '-c', `${R}c1`])).stdout), [
      { name: 'x', size: 0, url: `file://${p}/run/vc/sbs/${R}s1/${R}c1/raw/x` },
    ]);
  });
  it('refusals: bad name 2, missing sandbox 3, busy 4, raw/x symlink 1; nothing changed', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`);
    symlinkSync('/etc/passwd', join(p, `run/vc/sbs/${R}s1/raw/x`));
    const before = snapshot(p);
    assert.equal((await vci(p, ['raw', `${R}s1`, '../x'])).code, 2);
    assert.equal((await vci(p, ['raw', `${R}ghost`])).code, 3);
    assert.equal((await vci(p, ['raw', `${R}s1`, 'x'])).code, 1);
    const h = await holdFlock(runLock(p, `${R}s1`), 's');
    try {
      assert.equal((await vci(p, ['raw', '--nonblock', `${R}s1`, 'y'])).code, 4);
    } finally {
      await h.release();
    }
    assert.deepEqual(snapshot(p), before);
  });
});

describe('uuid', () => {
  const U0 = 'a7ada506-1ab0-4b6b-a0da-e513ca9b8c2f';
  const U2 = '18ed60cd-e9ea-4bf4-8f87-8523fc8347a3';
  it('shows 8 slots with users, flags leaked ones', async () => {
    const p = tmp();
    writeUuidStore(p, [1, 0, 1, 0, 0, 0, 0, 0]);
    addSandbox(p, `${R}acrn1`, { hypervisor: 'acrn', acrnUuid: U0, pid: await live(`${R}acrn1`) });
    const j = JSON.parse((await vci(p, ['--json', 'uuid'])).stdout);
    assert.equal(j.slots.length, 8);
    assert.deepEqual(j.slots[0], { slot: 0, uuid: U0, busy: true, sandboxes: [{ id: `${R}acrn1`, alive: true }], leaked: false });
    assert.equal(j.slots[2].leaked, true);
    assert.equal(j.slots[1].busy, false);
    assert.match((await vci(p, ['uuid'])).stdout, /^2\s+18ed60cd\S+\s+leaked/m);
  });
  it('free: by slot or UUID, atomic, compact, same keys', async () => {
    const p = tmp();
    writeUuidStore(p, [0, 0, 1, 0, 0, 0, 0, 1]);
    assert.equal((await vci(p, ['uuid', 'free', U2])).code, 0);
    assert.equal(readFileSync(join(p, 'var/lib/vc/uuid/uuid.json'), 'utf8'), '{"UUIDAvailability":[0,0,0,0,0,0,0,1]}');
    assert.equal((await vci(p, ['uuid', 'free', '7'])).stdout, `slot 7 (e3189497-c3f6-4b97-9e2c-18ac0ab9064d): freed\n`);
    assert.equal((await vci(p, ['uuid', 'free', '7'])).stdout, `slot 7 (e3189497-c3f6-4b97-9e2c-18ac0ab9064d): already free\n`);
    assert.deepEqual(readdirSync(join(p, 'var/lib/vc/uuid')).sort(), ['lock', 'raw', 'uuid.json']);
  });
  it('free refuses (5) when a live sandbox uses the slot; bad slot 2; missing store 3', async () => {
    const p = tmp();
    writeUuidStore(p, [1, 0, 0, 0, 0, 0, 0, 0]);
    addSandbox(p, `${R}acrn1`, { hypervisor: 'acrn', acrnUuid: U0, pid: await live(`${R}acrn1`) });
    const before = snapshot(p);
    assert.equal((await vci(p, ['uuid', 'free', '0'])).code, 5);
    assert.equal((await vci(p, ['uuid', 'free', '8'])).code, 2);
    assert.equal((await vci(p, ['uuid', 'free', 'nope'])).code, 2);
    assert.deepEqual(snapshot(p), before);
    assert.equal((await vci(p, ['uuid', 'free', '0', '--force'])).code, 0);
    const q = tmp();
    assert.equal((await vci(q, ['uuid'])).code, 3);
    assert.deepEqual(readdirSync(q), []);
  });
});

describe('set', () => {
  it('replaces an item from stdin, compact, atomically, keeping the mode', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    const f = join(p, `run/vc/sbs/${R}s1/hypervisor.json`);
    const r = await vci(p, ['set', `${R}s1`, 'hypervisor', '-'], { input: '{\n  "PID": 42\n}\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(f, 'utf8'), '{"PID":42}');
    assert.equal(statSync(f).mode & 0o777, 0o644);
  });
  it('from a FILE, for a container item', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped', containers: [{ id: `${R}c1`, pid: deadPid() }] });
    const src = join(tmp(), 'mounts.json');
    writeFileSync(src, '[{"Source":"/a","Destination":"/b"}]');
    assert.equal((await vci(p, ['set', `${R}s1`, `${R}c1`, 'mounts', src])).code, 0);
    assert.equal(readFileSync(join(p, `run/vc/sbs/${R}s1/${R}c1/mounts.json`), 'utf8'), '[{"Source":"/a","Destination":"/b"}]');
  });
  it('--state rewrites only the state, keeping every other key and its order', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    const f = join(p, `run/vc/sbs/${R}s1/state.json`);
    const old = JSON.parse(readFileSync(f, 'utf8'));
    assert.equal((await vci(p, ['set', `${R}s1`, '--state', 'stopped'])).code, 0);
    const now = JSON.parse(readFileSync(f, 'utf8'));
    assert.deepEqual(Object.keys(now), Object.keys(old));
    assert.deepEqual({ ...now, state: 'running' }, old);
    assert.equal(now.state, 'stopped');
  });
  it('refusals leave the store unchanged: live 5, invalid JSON/shape 2, missing 3, busy 4, symlink item 1', async () => {
    const p = tmp();
    addSandbox(p, `${R}live1`, { hypervisor: 'qemu', pid: await live(`${R}live1`) });
    addSandbox(p, `${R}s1`, { hypervisor: 'firecracker', pid: deadPid() });
    symlinkSync('/etc/passwd', join(p, `run/vc/sbs/${R}s1/network.json`));
    const before = snapshot(p);
    const cases: [string[], string, number][] = [
      [['set', `${R}live1`, '--state', 'stopped'], '', 5],
      [['set', `${R}s1`, 'state', '-'], '{"state":"runn', 2],
      [['set', `${R}s1`, 'state', '-'], '{"state":"exploded"}', 2],
      [['set', `${R}s1`, 'state', '-'], '', 2],
      [['set', `${R}s1`, 'devices', '-'], '[{"Type":"warp","Data":{}}]', 2],
      [['set', `${R}s1`, 'mounts', '-'], '{}', 2],
      [['set', `${R}s1`, 'bogus', '-'], '{}', 2],
      [['set', `${R}s1`, 'lock', '-'], '{}', 2],
      [['set', `${R}ghost`, 'state', '-'], '{"state":"ready"}', 3],
      [['set', '../etc', 'state', '-'], '{"state":"ready"}', 2],
      [['set', `${R}s1`, 'network', '-'], '{"NetNsPath":"","Endpoints":[]}', 1],
      [['set', `${R}s1`, '--state', 'bogus'], '', 2],
    ];
    for (const [args, input, code] of cases) {
      const r = await vci(p, args, { input });
      assert.equal(r.code, code, `${args.join(' ')} <<< ${input}: ${r.stderr}`);
      assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    }
    const h = await holdFlock(runLock(p, `${R}s1`), 's');
    try {
      assert.equal((await vci(p, ['set', '--nonblock', `${R}s1`, '--state', 'stopped'])).code, 4);
    } finally {
      await h.release();
    }
    assert.deepEqual(snapshot(p), before);
    assert.equal(readFileSync('/etc/passwd', 'utf8').length > 0, true);
  });
  it('--force writes on a live sandbox; the lock is free afterwards', async () => {
    const p = tmp();
    addSandbox(p, `${R}live1`, { hypervisor: 'qemu', pid: await live(`${R}live1`) });
    assert.equal((await vci(p, ['set', '--force', `${R}live1`, '--state', 'paused'])).code, 0);
    assert.equal(JSON.parse(readFileSync(join(p, `run/vc/sbs/${R}live1/state.json`), 'utf8')).state, 'paused');
    assert.equal(flockFree(runLock(p, `${R}live1`)), true);
  });
});
