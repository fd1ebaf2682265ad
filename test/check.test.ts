// needs: nothing
// check: a store with every problem planted next to healthy and live
// sandboxes; check finds exactly those; --fix removes exactly the safe ones.
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { addSandbox, deadPid, fakeHypervisor, holdFlock, R, runLock, scratch, snapshot, until, vci, waiterOn, writeUuidStore } from './helpers.js';

const { tmp, track } = scratch();

const U1 = 'dbeae168-26e4-4084-9227-622193e56325';

async function plant(): Promise<{ p: string; livePid: number }> {
  const p = tmp();
  const hv = fakeHypervisor(`${R}healthy`);
  const hv2 = fakeHypervisor(`${R}acrnlive`);
  track(hv);
  track(hv2);
  await Promise.all([once(hv, 'spawn'), once(hv2, 'spawn')]);
  addSandbox(p, `${R}healthy`, { state: 'running', hypervisor: 'qemu', pid: hv.pid!, containers: [{ id: `${R}healthy`, state: 'running', pid: -1 }] });
  addSandbox(p, `${R}acrnlive`, { state: 'running', hypervisor: 'acrn', acrnUuid: U1, pid: hv2.pid! });
  addSandbox(p, `${R}stopped-ok`, { state: 'stopped', hypervisor: 'qemu' });
  // 1. state says running, hypervisor dead
  addSandbox(p, `${R}deadhv`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
  // 2. run-time root without config root (hypervisor not started: no pid)
  addSandbox(p, `${R}runonly`, { runtimeOnly: true, state: 'stopped' });
  // 3. config root without run-time root, older than boot, and one newer
  addSandbox(p, `${R}oldcfg`, { configOnly: true });
  utimesSync(join(p, `var/lib/vc/sbs/${R}oldcfg`), 1_000_000, 1_000_000);
  addSandbox(p, `${R}newcfg`, { configOnly: true });
  // 4. empty shell (1.11/1.12 debris)
  mkdirSync(join(p, `var/lib/vc/sbs/${R}shell/raw`), { recursive: true });
  writeFileSync(join(p, `var/lib/vc/sbs/${R}shell/lock`), '');
  // 5. truncated item and wrong shape
  addSandbox(p, `${R}trunc`, { state: 'stopped' });
  writeFileSync(join(p, `run/vc/sbs/${R}trunc/network.json`), '{"NetNsPath":"/var/ru');
  addSandbox(p, `${R}shape`, { state: 'stopped' });
  writeFileSync(join(p, `run/vc/sbs/${R}shape/state.json`), '{"state":42}');
  // 7. VM dir with no sandbox
  mkdirSync(join(p, `run/vc/vm/${R}orphan`), { recursive: true });
  writeFileSync(join(p, `run/vc/vm/${R}orphan/pid`), String(deadPid()));
  // 8. leaked ACRN slot 3; slot 1 used by the live acrn sandbox
  writeUuidStore(p, [0, 1, 0, 1, 0, 0, 0, 0]);
  // 9. container says running, its process is dead (sandbox itself healthy: stopped state)
  addSandbox(p, `${R}cdead`, { state: 'stopped', hypervisor: 'qemu', containers: [{ id: `${R}c1`, state: 'running', pid: deadPid() }] });
  return { p, livePid: hv.pid! };
}

const key = (f: any) => `${f.code} ${f.id}${f.container ? `/${f.container}` : ''}`;

describe('check', () => {
  let p: string;
  before(async () => {
    ({ p } = await plant());
  });
  it('finds exactly the planted problems, with evidence, and exits 6', async () => {
    const before = snapshot(p);
    const r = await vci(p, ['--json', 'check']);
    assert.equal(r.code, 6, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.findings.map(key).sort(), [
      `bad-shape ${R}shape`,
      `config-missing ${R}runonly`,
      `container-dead ${R}cdead/${R}c1`,
      `corrupt-item ${R}trunc`,
      `empty-shell ${R}shell`,
      `hypervisor-dead ${R}deadhv`,
      // state unreadable and no pid recorded: liveness cannot be told
      `liveness-unknown ${R}shape`,
      `orphan-vm-dir ${R}orphan`,
      `runtime-missing ${R}newcfg`,
      `runtime-missing ${R}oldcfg`,
      'uuid-leaked slot-3',
    ]);
    const sev = Object.fromEntries(j.findings.map((f: any) => [key(f), f.severity]));
    assert.equal(sev[`runtime-missing ${R}oldcfg`], 'info', 'normal after a reboot');
    assert.equal(sev[`runtime-missing ${R}newcfg`], 'warning');
    assert.equal(sev[`hypervisor-dead ${R}deadhv`], 'error');
    assert.match(j.findings.find((f: any) => f.code === 'hypervisor-dead').message, /state says running but the firecracker pid \d+ is gone/);
    assert.equal(j.findings.find((f: any) => f.code === 'hypervisor-dead').evidence.reason, 'gone');
    assert.deepEqual(j.summary, { sandboxes: 11, errors: 3, warnings: 7, info: 1, remaining: 10, person: 6 });
    assert.deepEqual(snapshot(p), before, 'check never writes');
  });
  it('table and one-line summary for people', async () => {
    const r = await vci(p, ['check']);
    assert.equal(r.code, 6);
    assert.match(r.stdout, /^SEVERITY\s+CODE\s+ID\s+DETAIL/);
    assert.match(r.stdout, /\n11 sandboxes checked: 3 errors, 7 warnings, 1 info; 6 need a person\n$/);
  });
  it('--fix --dry-run prints the plan and changes nothing', async () => {
    const before = snapshot(p);
    const r = await vci(p, ['--json', 'check', '--fix', '--dry-run']);
    assert.equal(r.code, 6);
    const a = JSON.parse(r.stdout).actions;
    assert.deepEqual(
      a
        .filter((x: any) => x.action.startsWith('would'))
        .map((x: any) => `${x.action} ${x.id}`)
        .sort(),
      // oldcfg: a 1.x config root from before the last boot (runtime-missing, info).
      ['would-free slot-3', `would-remove ${R}deadhv`, `would-remove ${R}oldcfg`, `would-remove ${R}orphan`, `would-remove ${R}shell`],
    );
    assert.deepEqual(snapshot(p), before);
  });
  it('--fix removes exactly the safe ones; healthy and live stay byte for byte; a held lock is left', async () => {
    const { p: q } = await plant();
    addSandbox(q, `${R}deadlocked`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    const h = await holdFlock(runLock(q, `${R}deadlocked`));
    const keep = [`${R}healthy`, `${R}acrnlive`, `${R}stopped-ok`, `${R}runonly`, `${R}trunc`, `${R}shape`, `${R}cdead`, `${R}deadlocked`].map(
      (s) => [s, snapshot(join(q, 'run/vc/sbs', s)), snapshot(join(q, 'var/lib/vc/sbs', s))] as const,
    );
    try {
      const r = await vci(q, ['check', '--fix']);
      assert.equal(r.code, 6, 'problems that need a person remain');
      assert.match(r.stdout, new RegExp(String.raw`^removed hypervisor-dead ${R}deadhv: `, 'm'));
      assert.match(
        r.stdout,
        new RegExp(String.raw`^left hypervisor-dead ${R}deadlocked: state says running .* \(not fixed: sandbox ${R}deadlocked is locked: held by pid \d+`, 'm'),
      );
      assert.match(r.stdout, /^freed uuid-leaked slot-3/m);
      for (const gone of [`run/vc/sbs/${R}deadhv`, `var/lib/vc/sbs/${R}deadhv`, `var/lib/vc/sbs/${R}shell`, `run/vc/vm/${R}orphan`])
        assert.equal(existsSync(join(q, gone)), false, gone);
      for (const [s, run, cfg] of keep) {
        assert.deepEqual(snapshot(join(q, 'run/vc/sbs', s)), run, s);
        assert.deepEqual(snapshot(join(q, 'var/lib/vc/sbs', s)), cfg, s);
      }
      assert.equal(readFileSync(join(q, 'var/lib/vc/uuid/uuid.json'), 'utf8'), '{"UUIDAvailability":[0,1,0,0,0,0,0,0]}');
    } finally {
      await h.release();
    }
  });
  it('a clean store exits 0', async () => {
    const c = tmp();
    addSandbox(c, `${R}ok1`, { state: 'stopped' });
    const r = await vci(c, ['check']);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.stdout, '1 sandbox checked: 0 errors, 0 warnings, 0 info\n');
    rmSync(join(c, 'run'), { recursive: true });
  });
  it('a lock held or waited on for longer than --stuck-after is reported with pid and command', async () => {
    const c = tmp();
    addSandbox(c, `${R}stuck`, { state: 'stopped' });
    const h = await holdFlock(runLock(c, `${R}stuck`));
    const waiter = track(spawn('flock', ['-s', runLock(c, `${R}stuck`), 'true'], { stdio: 'ignore' }));
    try {
      // Any age is past --stuck-after 0: the waiter only has to be waiting.
      await until(() => waiterOn(runLock(c, `${R}stuck`)), 'the waiter to queue for the lock');
      const j = JSON.parse((await vci(c, ['--json', 'check', '--stuck-after', '0'])).stdout);
      const held = j.findings.find((f: any) => f.code === 'lock-held-long');
      assert.ok(held, JSON.stringify(j.findings));
      assert.match(held.message, /^pid \d+ \((flock|sh|sleep)\) has held the lock \(exclusive\)/);
      const waiting = j.findings.find((f: any) => f.code === 'lock-waiter-stuck');
      assert.ok(waiting, JSON.stringify(j.findings));
      assert.match(waiting.message, new RegExp(`^pid ${waiter.pid} \\(flock\\) has waited for the lock \\(shared\\)`));
      assert.equal(JSON.parse((await vci(c, ['--json', 'check'])).stdout).findings.length, 0, 'the default threshold is 60 s');
    } finally {
      await h.release();
    }
  });
});
