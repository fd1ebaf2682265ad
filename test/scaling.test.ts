// needs: nothing
// Work that grows with the store, counted, not timed: a fix of a leaked
// store lists each root a bounded number of times, however many sandboxes
// there are (it listed every root again for every planned removal: at 500
// sandboxes each root was opened about 1,100 times, and 18,000 leaked
// sandboxes took over ten minutes). strace records the opens of check --fix
// --dry-run at two sizes; the opens of a root must not grow with the store.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addPersistSandbox, addSandbox, BIN, deadPid, R, scratch, SLOW, writeUuidStore } from './helpers.js';

const { tmp } = scratch();
const haveStrace = spawnSync('sh', ['-c', 'command -v strace']).status === 0;

/** How many times the run-time root itself was opened. */
function rootOpens(n: number): number {
  const p = tmp('vcstore-scale-', true);
  for (let i = 0; i < n; i++) addPersistSandbox(p, `${R}s${i}`, { state: 'running', pid: deadPid(), containers: [] });
  const out = join(tmp(), 'strace');
  const args = ['-f', '-e', 'trace=openat', '-o', out, process.execPath, BIN, '--prefix', p, 'check', '--fix', '--dry-run', '--json'];
  const r = spawnSync('strace', args, { encoding: 'utf8', env: { ...process.env, VCSTORE_WORKERS: '0' }, maxBuffer: 1 << 26 });
  assert.equal(r.status, 6, r.stderr);
  const planned = JSON.parse(r.stdout).actions.filter((a: { action: string }) => a.action === 'would-remove').length;
  assert.equal(planned, n, 'every sandbox is planned');
  const root = JSON.stringify(join(p, 'run/vc/sbs'));
  return readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`openat(AT_FDCWD, ${root},`)).length;
}

describe('a fix scales with the store', { skip: SLOW || (haveStrace ? false : 'strace not installed (.ci/run installs it)') }, () => {
  it('check --fix --dry-run opens the run-time root as often at 600 sandboxes as at 150', () => {
    const small = rootOpens(150);
    const big = rootOpens(600);
    assert.ok(small > 0, 'strace saw the root opened');
    // Per sandbox would be 4x as many at 600; per run, the same.
    assert.ok(big <= small + 2, `the root opened ${small} times at 150 sandboxes, ${big} at 600`);
  });
});

describe('each 1.x config.json is read once a command', { skip: haveStrace ? false : 'strace not installed (.ci/run installs it)' }, () => {
  // The pod and the ACRN slot come from one read of the file: two could see
  // two versions of a file being rewritten (and cost twice).
  for (const args of [['uuid'], ['ls', '--json'], ['check', '--json']])
    it(args.join(' '), () => {
      const p = tmp();
      const ids = Array.from({ length: 6 }, (_, i) => `${R}c${i}`);
      for (const sid of ids) addSandbox(p, sid, { state: 'stopped', pid: deadPid() });
      writeUuidStore(p, [0, 0, 0, 0, 0, 0, 0, 0]);
      const out = join(tmp(), 'strace');
      const r = spawnSync('strace', ['-f', '-e', 'trace=openat', '-o', out, process.execPath, BIN, '--prefix', p, ...args], { encoding: 'utf8' });
      assert.ok(r.status === 0 || r.status === 6, r.stderr);
      const log = readFileSync(out, 'utf8');
      for (const sid of ids) {
        const cfg = JSON.stringify(join(p, 'var/lib/vc/sbs', sid, 'config.json'));
        assert.equal(log.split('\n').filter((l) => l.includes(`openat(AT_FDCWD, ${cfg},`)).length, 1, `${sid}'s config.json`);
      }
    });
});
