// needs: root (bind and tmpfs mounts)
// What decides a destructive step is read after its lock is held, and "could
// not tell" is no: processes and mounts that appear while rm waits, a
// liveness that changes between check and --fix, a pid whose arguments are
// gone, UUID slots, garbage pid files, empty shells, what remains after
// --fix, unfinished removals whose writer's pid was reused, stacked mounts
// and mounts below a removal, long and dotted IDs, and every family of
// runtime process. Real processes, locks and mounts; every refusal leaves the
// store byte for byte as it was.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveRoots } from '../src/store/fs/roots.js';
import { check } from '../src/store/inspect/check.js';
import { fix } from '../src/store/ops/fix.js';
import {
  addPersistSandbox,
  addSandbox,
  bindAt,
  collect,
  deadPid,
  holdFlock,
  isRoot,
  mountsAt,
  namedProc,
  oneLine,
  R,
  registerMount,
  runLock,
  scratch,
  SLOW,
  snapshot,
  tmpfsAt,
  until,
  vcAsync,
  vci,
  waiterOn,
  writeUuidStore,
} from './helpers.js';

const { tmp, track } = scratch();
const settings = { workers: false, youngMb: 6, addon: process.env.VCSTORE_ADDON !== '0' };
const U1 = 'dbeae168-26e4-4084-9227-622193e56325';

describe('witnesses read after the lock is held', () => {
  it('a shim started while rm waits for the lock refuses the removal (5), nothing changed', async () => {
    const p = tmp();
    const sid = `${R}w1`;
    addSandbox(p, sid, { state: 'stopped' });
    const h = await holdFlock(runLock(p, sid));
    const before = snapshot(p);
    const child = vcAsync(['--prefix', p, 'rm', '--wait', '30', sid]);
    const done = collect(child);
    await until(() => waiterOn(runLock(p, sid)), 'rm to queue for the lock');
    await namedProc('containerd-shim-kata-v2', ['-namespace', 'k8s.io', '-id', sid]);
    await h.release();
    const r = await done;
    oneLine(r, 5, 'rm');
    assert.match(r.stderr, /runtime process pid \d+ \(containerd-shim-kata-v2/);
    assert.deepEqual(snapshot(p), before);
  });
  it('a bind mount made while rm waits refuses the removal (5) before anything moves', { skip: !isRoot && 'needs root to mount' }, async () => {
    const p = tmp();
    const data = tmp();
    writeFileSync(join(data, 'precious'), 'x');
    const sid = `${R}w2`;
    addSandbox(p, sid, { state: 'stopped' });
    const h = await holdFlock(runLock(p, sid));
    const child = vcAsync(['--prefix', p, 'rm', '--wait', '30', sid]);
    const done = collect(child);
    await until(() => waiterOn(runLock(p, sid)), 'rm to queue for the lock');
    bindAt(data, join(p, 'run/kata-containers/shared/sandboxes', sid, 'mounts'));
    const before = snapshot(join(p, 'run/vc'));
    await h.release();
    const r = await done;
    oneLine(r, 5, 'rm');
    assert.match(r.stderr, /1 mount below it/);
    assert.deepEqual(snapshot(join(p, 'run/vc')), before);
    assert.equal(readFileSync(join(data, 'precious'), 'utf8'), 'x');
  });
  it('check --fix decides under each lock: a sandbox found dead that came back is left', async () => {
    const p = tmp();
    const sid = `${R}w3`;
    addSandbox(p, sid, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    const roots = resolveRoots({ prefix: p, env: {} });
    const report = await check(roots, { stuckAfter: 60, settings });
    assert.ok(report.findings.some((f) => f.code === 'hypervisor-dead' && f.id === sid));
    // The runtime starts it again between the check and the fix.
    const hv = await namedProc('firecracker', ['--api-sock', `/run/vc/vm/${sid}/fc.sock`]);
    writeFileSync(join(p, `run/vc/sbs/${sid}/hypervisor.json`), JSON.stringify({ PID: hv.pid }));
    const before = snapshot(p);
    const { actions } = await fix(roots, report, { dryRun: false });
    const a = actions.find((x) => x.id === sid);
    assert.equal(a?.action, 'left');
    assert.match(a?.reason ?? '', /is alive/);
    assert.deepEqual(snapshot(p), before);
  });
  it('check --fix re-reads liveness under the lock before it unmounts a leak', { skip: !isRoot && 'needs root to mount' }, async () => {
    const p = tmp();
    const data = tmp();
    writeFileSync(join(data, 'precious'), 'x');
    const sid = `${R}w4`;
    addSandbox(p, sid, { state: 'stopped', hypervisor: 'firecracker', pid: deadPid() });
    const at = join(p, 'run/kata-containers/shared/sandboxes', sid, 'mounts');
    bindAt(data, at);
    const roots = resolveRoots({ prefix: p, env: {} });
    const report = await check(roots, { stuckAfter: 60, settings });
    assert.ok(
      report.findings.some((f) => f.code === 'mounts-leaked' && f.id === sid),
      JSON.stringify(report.findings),
    );
    const hv = await namedProc('firecracker', ['--api-sock', `/run/vc/vm/${sid}/fc.sock`]);
    writeFileSync(join(p, `run/vc/sbs/${sid}/hypervisor.json`), JSON.stringify({ PID: hv.pid }));
    writeFileSync(join(p, `run/vc/sbs/${sid}/state.json`), JSON.stringify({ state: 'running' }));
    const { actions } = await fix(roots, report, { dryRun: false });
    assert.equal(actions.find((x) => x.id === sid)?.action, 'left');
    assert.equal(mountsAt(at), 1, 'the mount of a live sandbox stays');
  });
});

describe('what cannot be told is unknown', () => {
  const cc = spawnSync('sh', ['-c', 'command -v cc']).status === 0;
  it('a pid whose main thread exited while its threads run: read through its threads (alive), rm refuses (5)', { skip: !cc && 'needs cc' }, async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 't.c'),
      '#include <pthread.h>\n#include <unistd.h>\nstatic void *t(void *a){(void)a;for(;;)pause();}\nint main(){pthread_t h;pthread_create(&h,0,t,0);pthread_exit(0);}\n',
    );
    const cr = spawnSync('cc', ['-pthread', '-o', join(dir, 't'), join(dir, 't.c')], { encoding: 'utf8' });
    assert.equal(cr.status, 0, cr.stderr);
    const child = track(spawn(join(dir, 't'), ['-name', `sandbox-${R}u1`], { stdio: 'ignore' }));
    await once(child, 'spawn');
    const pid = child.pid ?? 0;
    await until(() => readFileSync(`/proc/${pid}/cmdline`, 'latin1') === '', 'the main thread to exit');
    const p = tmp();
    addSandbox(p, `${R}u1`, { state: 'running', hypervisor: 'qemu', pid });
    const before = snapshot(p);
    const ls = JSON.parse((await vci(p, ['--json', 'ls'])).stdout);
    assert.equal(ls[0].hypervisor.alive, true, JSON.stringify(ls[0].hypervisor));
    oneLine(await vci(p, ['rm', `${R}u1`]), 5, 'rm');
    assert.deepEqual(snapshot(p), before);
  });
  it('a zombie has exited and a kernel thread is another program: both are dead', async () => {
    // A parent that never waits (a shell may reap its background job before it execs): the child stays a zombie.
    const holder = track(
      spawn('python3', ['-c', 'import os,sys,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid,flush=True)\ntime.sleep(60)'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    const [line] = (await once(holder.stdout, 'data')) as [Buffer];
    const zombie = Number(line.toString().trim());
    await until(() => {
      try {
        return readFileSync(`/proc/${zombie}/stat`, 'latin1').split(') ')[1]?.startsWith('Z') === true;
      } catch {
        return false;
      }
    }, 'the zombie');
    const p = tmp();
    addSandbox(p, `${R}z1`, { state: 'running', hypervisor: 'firecracker', pid: zombie });
    addSandbox(p, `${R}k1`, { state: 'running', hypervisor: 'firecracker', pid: 2 });
    const ls = JSON.parse((await vci(p, ['--json', 'ls'])).stdout);
    for (const s of ls) assert.equal(s.hypervisor.alive, false, s.id);
    assert.equal((await vci(p, ['rm', `${R}z1`, `${R}k1`])).code, 0);
  });
  it('a VM dir whose pid file is garbage or a directory is not provably dead: reported live, never removed', async () => {
    const p = tmp();
    mkdirSync(join(p, `run/vc/vm/${R}v1`), { recursive: true });
    writeFileSync(join(p, `run/vc/vm/${R}v1/pid`), 'garbage');
    mkdirSync(join(p, `run/vc/vm/${R}v2/pid`), { recursive: true });
    const j = JSON.parse((await vci(p, ['--json', 'check', '--fix'])).stdout);
    for (const id of [`${R}v1`, `${R}v2`]) {
      assert.equal(j.findings.find((f: any) => f.id === id)?.code, 'orphan-vm-live', id);
      assert.equal(existsSync(join(p, 'run/vc/vm', id)), true, id);
    }
  });
  it('an empty shell (only lock and an empty raw/) is fixed, and a second check is clean', async () => {
    const p = tmp();
    mkdirSync(join(p, `run/vc/sbs/${R}e1/raw`), { recursive: true });
    writeFileSync(join(p, `run/vc/sbs/${R}e1/lock`), '');
    const first = await vci(p, ['check', '--fix']);
    assert.equal(first.code, 0, first.stdout);
    assert.match(first.stdout, new RegExp(String.raw`^removed empty-shell ${R}e1`, 'm'));
    assert.equal(existsSync(join(p, `run/vc/sbs/${R}e1`)), false);
    assert.equal((await vci(p, ['check'])).code, 0);
  });
});

describe('UUID slots go through the same witnesses', () => {
  it('a live acrn-dm naming the holder, a holder whose UUID cannot be read, a process carrying the UUID: uuid free refuses (5)', async () => {
    const p = tmp();
    writeUuidStore(p, [0, 1, 0, 0, 0, 0, 0, 0]);
    addSandbox(p, `${R}a1`, { state: 'stopped', hypervisor: 'acrn', acrnUuid: U1, pid: deadPid() });
    const before = snapshot(p);
    const dm = await namedProc('acrn-dm', ['-U', U1, `sandbox-${R}a1`]);
    let r = await vci(p, ['uuid', 'free', '1']);
    oneLine(r, 5, 'uuid free, acrn-dm naming the holder');
    assert.match(r.stderr, /runtime process pid \d+ \(hypervisor|sandbox \S+ uses it and is not provably dead/);
    dm.kill('SIGKILL');
    await once(dm, 'exit');
    // the holder is gone from the store, but a process still carries the UUID
    const q = tmp();
    writeUuidStore(q, [0, 1, 0, 0, 0, 0, 0, 0]);
    await namedProc('acrn-dm', ['-U', U1, 'sandbox-elsewhere']);
    r = await vci(q, ['uuid', 'free', '1']);
    oneLine(r, 5, 'uuid free, a process carries the UUID');
    assert.match(r.stderr, /carries its UUID/);
    // a running sandbox whose hypervisor.json is corrupt may hold any slot
    const s = tmp();
    writeUuidStore(s, [0, 1, 0, 0, 0, 0, 0, 0]);
    addSandbox(s, `${R}a2`, { state: 'running', hypervisor: 'acrn', acrnUuid: U1, pid: deadPid() });
    writeFileSync(join(s, `run/vc/sbs/${R}a2/hypervisor.json`), '{"UUID":');
    const beforeS = snapshot(s);
    r = await vci(s, ['uuid', 'free', '1']);
    oneLine(r, 5, 'uuid free, unreadable holder');
    assert.match(r.stderr, /may use it \(its UUID cannot be read\)/);
    const c = JSON.parse((await vci(s, ['--json', 'check', '--fix'])).stdout);
    assert.ok(!c.findings.some((f: any) => f.code === 'uuid-leaked'), 'not leaked: it may be held');
    assert.deepEqual(snapshot(s), beforeS);
    assert.deepEqual(snapshot(p), before);
  });
});

describe('honest results', () => {
  it('check --fix says what remains, and its exit status follows it', { skip: !isRoot && 'needs root to mount' }, async () => {
    const p = tmp();
    const data = tmp();
    const sid = `${R}h1`;
    addSandbox(p, sid, { state: 'stopped', hypervisor: 'firecracker', pid: deadPid() });
    writeFileSync(join(p, `run/vc/sbs/${sid}/network.json`), '{"NetNsPath":');
    bindAt(data, join(p, 'run/kata-containers/shared/sandboxes', sid, 'mounts'));
    const r = await vci(p, ['check', '--fix']);
    assert.equal(r.code, 6, r.stdout);
    assert.match(r.stdout, new RegExp(String.raw`^unmounted mounts-leaked ${R}h1`, 'm'));
    assert.match(r.stdout, new RegExp(String.raw`^left corrupt-item ${R}h1: `, 'm'));
    assert.match(r.stdout, /; 1 fixed, 1 remaining; 1 needs a person$/m);
    const j = JSON.parse((await vci(p, ['--json', 'check', '--fix'])).stdout);
    assert.equal(j.summary.remaining, 1);
    assert.deepEqual(
      j.remaining.map((f: any) => f.code),
      ['corrupt-item'],
    );
  });
  it('a symlinked container dir and a symlinked shared dir are check findings, as ls shows them', async () => {
    const p = tmp();
    const outside = tmp();
    addSandbox(p, `${R}l1`, { state: 'stopped', containers: [{ id: `${R}c1`, state: 'stopped' }] });
    const run = join(p, `run/vc/sbs/${R}l1/${R}c1`);
    spawnSync('rm', ['-rf', run]);
    spawnSync('ln', ['-s', outside, run]);
    mkdirSync(join(p, 'run/kata-containers/shared/sandboxes'), { recursive: true });
    spawnSync('ln', ['-s', outside, join(p, 'run/kata-containers/shared/sandboxes', `${R}l1`)]);
    const ls = JSON.parse((await vci(p, ['--json', 'ls'])).stdout)[0].problems.map((x: any) => `${x.code} ${x.evidence.what}`);
    const ck = JSON.parse((await vci(p, ['--json', 'check'])).stdout).findings.map((x: any) => `${x.code} ${x.evidence.what}`);
    assert.deepEqual(ls.sort(), ['symlink container dir', 'symlink shared dir']);
    for (const x of ls) assert.ok(ck.includes(x), `${x} in check`);
  });
});

describe('unfinished removals can always be finished', () => {
  it('a trash dir whose writer pid now belongs to another process is finished by rm and by check --fix', async () => {
    for (const how of ['rm', 'fix'] as const) {
      const p = tmp();
      const sid = `${R}t${how}`;
      const sleeper = track(spawn('sleep', ['60'], { stdio: 'ignore' }));
      await once(sleeper, 'spawn');
      // today's form: the pid is alive, its start time is not the writer's
      mkdirSync(join(p, `run/vc/sbs/.vcstore-trash-${sleeper.pid}-1-0123abcd/${sid}/raw`), { recursive: true });
      // 0.1.0's form: a live pid that is no vcstore
      mkdirSync(join(p, `var/lib/vc/sbs/.vcstore-rm-${sid}-${sleeper.pid}-0123abcd/x`), { recursive: true });
      const ls = JSON.parse((await vci(p, ['--json', 'ls'])).stdout);
      assert.equal(ls[0].id, sid);
      assert.deepEqual(
        ls[0].problems.map((x: any) => x.code),
        ['removal-unfinished'],
      );
      const r = how === 'rm' ? await vci(p, ['rm', sid]) : await vci(p, ['check', '--fix']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(JSON.parse((await vci(p, ['--json', 'ls'])).stdout), []);
      assert.equal(spawnSync('find', [p, '-name', '.vcstore-*']).stdout.toString(), '');
    }
  });
  it('an ID of 250 characters can be removed (the trash name fits NAME_MAX)', async () => {
    const p = tmp();
    const sid = `${R}${'x'.repeat(247)}`;
    addPersistSandbox(p, sid, { state: 'stopped' });
    const r = await vci(p, ['rm', sid]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(join(p, 'run/vc/sbs', sid)), false);
  });
});

describe('mounts, stacked and below a removal', { skip: !isRoot && 'needs root to mount' }, () => {
  it('three mounts stacked on one point all come off with rm --unmount', async () => {
    const p = tmp();
    const sid = `${R}m1`;
    addSandbox(p, sid, { state: 'stopped' });
    const at = join(p, 'run/kata-containers/shared/sandboxes', sid, 'mounts');
    for (let i = 0; i < 3; i++) tmpfsAt(at);
    assert.equal(mountsAt(at), 3);
    const r = await vci(p, ['rm', '--unmount', sid]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(mountsAt(at), 0);
    assert.equal(existsSync(join(p, 'run/kata-containers/shared/sandboxes', sid)), false);
  });
  it('rm --unmount of many mounts stops promptly on SIGINT (unmounting is bulk work like any other)', { skip: SLOW }, async () => {
    const p = tmp();
    const sid = `${R}m3`;
    addSandbox(p, sid, { state: 'stopped' });
    const base = join(p, 'run/kata-containers/shared/sandboxes', sid, 'mounts');
    mkdirSync(base, { recursive: true });
    const n = 600;
    const made = spawnSync('sh', ['-c', `cd ${base} && for i in $(seq ${n}); do mkdir m$i && mount -t tmpfs vcstore-test m$i || exit 1; done`]);
    assert.equal(made.status, 0, String(made.stderr));
    for (let i = 1; i <= n; i++) registerMount(join(base, `m${i}`));
    const child = vcAsync(['--prefix', p, 'rm', '--unmount', sid]);
    const done = collect(child);
    await until(() => mountsAt(base) < n, 'unmounting to start', 30_000);
    const t0 = Date.now();
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    // What proves it stopped early is what is left; the time only bounds a hang (a loaded machine is slow, not wrong).
    assert.ok(mountsAt(base) > 0, 'it stopped before the end');
    assert.ok(Date.now() - t0 < 5000, `stopped after ${Date.now() - t0} ms`);
    assert.equal(existsSync(join(p, 'run/vc/sbs', sid, 'state.json')), true, 'nothing of the store moved');
  });
  it('a mount below an unfinished removal is seen by check and show, refused by rm, detached by rm --unmount', async () => {
    const p = tmp();
    const data = tmp();
    writeFileSync(join(data, 'precious'), 'x');
    const sid = `${R}m2`;
    const trash = join(p, `run/vc/sbs/.vcstore-trash-${deadPid()}-1-0123abcd/${sid}`);
    mkdirSync(join(trash, 'c1'), { recursive: true });
    bindAt(data, join(trash, 'c1'));
    const c = JSON.parse((await vci(p, ['--json', 'check'])).stdout);
    assert.ok(
      c.findings.some((f: any) => f.id === sid && f.code === 'mounts-leaked'),
      JSON.stringify(c.findings),
    );
    assert.equal(JSON.parse((await vci(p, ['--json', 'show', sid])).stdout).host.mounts.length, 1);
    oneLine(await vci(p, ['rm', sid]), 5, 'rm below a mount');
    assert.equal((await vci(p, ['rm', '--unmount', sid])).code, 0);
    assert.equal(existsSync(trash), false);
    assert.equal(readFileSync(join(data, 'precious'), 'utf8'), 'x');
  });
});

describe('IDs and the runtime processes that name them', () => {
  it('a shim for ab.2 does not name ab, and does name ab.2', async () => {
    const p = tmp();
    addSandbox(p, `${R}ab`, { state: 'stopped' });
    addSandbox(p, `${R}ab.2`, { state: 'stopped' });
    await namedProc('containerd-shim-kata-v2', ['-id', `${R}ab.2`]);
    assert.equal((await vci(p, ['rm', `${R}ab`])).code, 0);
    oneLine(await vci(p, ['rm', `${R}ab.2`]), 5, 'rm ab.2');
  });
  const families: [string, string[], string][] = [
    ['containerd-shim-kata-qemu-v2', ['-id', 'SID'], 'containerd-shim-kata-v2'],
    ['containerd-shim-kata-qemu-runtime-rs-v2', ['-id', 'SID'], 'containerd-shim-kata-v2'],
    ['/opt/kata/runtime-rs/bin/containerd-shim-kata-v2', ['-id', 'SID'], 'containerd-shim-kata-v2'],
    ['stratovirt', ['-name', 'sandbox-SID'], 'hypervisor'],
    ['nemu-system-x86_64', ['-name', 'sandbox-SID'], 'hypervisor'],
    ['qemu-system-x86_64-tdx-experimental', ['-name', 'sandbox-SID'], 'hypervisor'],
    ['cloud-hypervisor', ['--api-socket', '/run/vc/vm/SID/clh-api.sock'], 'hypervisor'],
    ['jailer', ['--id', 'SID', '--exec-file', '/opt/kata/bin/firecracker'], 'hypervisor'],
    ['acrn-dm', ['-U', U1, 'sandbox-SID'], 'hypervisor'],
    ['nydusd', ['--apisock', '/run/vc/vm/SID/nydusd-api.sock'], 'virtiofsd'],
    ['/opt/kata/libexec/virtiofsd', ['--shared-dir=/run/kata-containers/shared/sandboxes/SID/shared'], 'virtiofsd'],
    ['kata-netmon', ['-s', 'SID'], 'kata-netmon'],
  ];
  for (const [name, args, role] of families)
    it(`${name} makes a sandbox live (${role}): rm refuses with 5`, async () => {
      const p = tmp();
      const sid = `${R}f${families.findIndex((f) => f[0] === name)}`;
      addSandbox(p, sid, { state: 'stopped' });
      await namedProc(
        name,
        args.map((a) => a.replace('SID', sid)),
      );
      const before = snapshot(p);
      const r = await vci(p, ['rm', sid]);
      oneLine(r, 5, name);
      // A hypervisor naming a stopped sandbox makes its liveness unknown first; the others name the process.
      assert.match(r.stderr, new RegExp(role === 'hypervisor' ? `hypervisor pid \\d+ names the sandbox` : `runtime process pid \\d+ \\(${role}:`));
      assert.deepEqual(snapshot(p), before);
    });
});
