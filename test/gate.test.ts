// needs: root (a pid namespace)
// Gates and loops that cannot pass blind: a check that could not judge
// fails `--fail-on error`, and a --every --fix round that fails says so in
// the textfile (vcstore_check_completed 0), as without --fix.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addSandbox, BIN, deadPid, fakeHypervisor, isRoot, R, scratch, until, vci } from './helpers.js';

const { tmp, track } = scratch();

describe('a check that could not look does not pass the gate', () => {
  it(
    '--fail-on error: 0 on a store it judged clean here, 6 in another pid namespace where it could judge nothing',
    { skip: !isRoot && 'needs root for a pid namespace' },
    async () => {
      const p = tmp();
      const sid = `${R}g1`;
      const hv = track(fakeHypervisor(sid));
      await once(hv, 'spawn');
      addSandbox(p, sid, { state: 'running', hypervisor: 'qemu', pid: hv.pid });
      addSandbox(p, `${R}g2`, { state: 'stopped' });
      const here = await vci(p, ['check', '--fail-on', 'error']);
      assert.equal(here.code, 0, here.stdout);
      const blind = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, BIN, '--prefix', p, '--json', 'check', '--fail-on', 'error'], {
        encoding: 'utf8',
      });
      assert.equal(blind.status, 6, blind.stderr);
      const j = JSON.parse(blind.stdout);
      assert.ok(
        j.findings.some((f: any) => f.code === 'liveness-unknown' && f.severity === 'warning'),
        blind.stdout,
      );
      // A report that never fails still says what it found.
      const never = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, BIN, '--prefix', p, 'check', '--fail-on', 'never'], {
        encoding: 'utf8',
      });
      assert.equal(never.status, 0);
    },
  );

  it('containerd named and unreachable fails --fail-on error too', async () => {
    const p = tmp();
    addSandbox(p, `${R}g3`, { state: 'stopped' });
    const r = await vci(p, ['check', '--fail-on', 'error', `--cri=${join(p, 'nobody.sock')}`]);
    assert.equal(r.code, 6, r.stdout);
    assert.match(r.stdout, /cri-unreachable/);
  });
});

describe('--every --fix says when a round failed', () => {
  it('a round whose check fails writes vcstore_check_completed 0 and keeps the last success, with --fix as without', async () => {
    for (const fix of [[], ['--fix']]) {
      const store = tmp();
      addSandbox(store, `${R}ev`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
      const text = tmp();
      const file = join(text, 'v.prom');
      const loop = track(spawn(process.execPath, [BIN, '--prefix', store, 'check', '--textfile', file, '--every', '1s', ...fix], { stdio: 'ignore' }));
      await until(() => existsSync(file) && /^vcstore_check_completed 1$/m.test(readFileSync(file, 'utf8')), `a first round ${fix.join(' ')}`);
      const success = /^vcstore_check_last_success_timestamp_seconds (\d+)/m.exec(readFileSync(file, 'utf8'))?.[1];
      // The store goes away under the loop: every later round fails.
      renameSync(join(store, 'run'), join(store, 'run.gone'));
      renameSync(join(store, 'var'), join(store, 'var.gone'));
      await until(() => /^vcstore_check_completed 0$/m.test(readFileSync(file, 'utf8')), `a failed round said ${fix.join(' ')}`, 15_000);
      assert.equal(/^vcstore_check_last_success_timestamp_seconds (\d+)/m.exec(readFileSync(file, 'utf8'))?.[1], success);
      loop.kill('SIGTERM');
      await once(loop, 'exit');
    }
  });
});

describe("--cri takes crictl's endpoint form", () => {
  it('unix:///path is the path; another scheme is a usage error (2)', async () => {
    const p = tmp();
    addSandbox(p, `${R}g4`, { state: 'stopped' });
    const sock = join(p, 'nobody.sock');
    const j = JSON.parse((await vci(p, ['--json', 'check', `--cri=unix://${sock}`])).stdout);
    assert.equal(j.findings.find((f: any) => f.code === 'cri-unreachable')?.evidence.socket, sock);
    const r = await vci(p, ['check', '--cri=tcp://127.0.0.1:1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /give a Unix socket, as a path or unix:\/\/\/path/);
  });
});
