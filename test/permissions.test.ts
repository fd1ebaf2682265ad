// needs: root (makes a store of root's and runs vcstore as nobody)
// vcstore run by a user who cannot read the store (the runtime's 0750
// directories): one-line errors that name the file, the permission and the
// command that needs root, and nothing changed.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { addSandbox, deadPid, oneLine, R, ROOT, scratch, snapshot } from './helpers.js';

const { tmp } = scratch();

describe('a root-owned store, as nobody', { skip: process.getuid?.() !== 0 ? 'needs root to set up a root-owned store' : false }, () => {
  let p = '';
  let app = '';
  let asNobody: (args: string[]) => { code: number | null; stdout: string; stderr: string } = () => assert.fail('not set up');
  before(() => {
    p = tmp();
    chmodSync(p, 0o755);
    addSandbox(p, `${R}s1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    for (const d of ['var/lib/vc/sbs', 'run/vc/sbs']) {
      chmodSync(join(p, d), 0o750); // the runtime's DirMode
      for (const n of readdirSync(join(p, d))) chmodSync(join(p, d, n), 0o750);
    }
    // The checkout may sit where nobody cannot read (CI clones anywhere): run
    // a copy of the built CLI from a world-readable temp dir.
    app = tmp();
    chmodSync(app, 0o755);
    cpSync(join(ROOT, 'bin'), join(app, 'bin'), { recursive: true });
    for (const d of ['vcstore.cjs', 'core.cjs', 'core-base.cjs', 'cmd', 'vendor', 'native'])
      cpSync(join(ROOT, 'dist', d), join(app, 'dist', d), { recursive: true });
    spawnSync('chmod', ['-R', 'a+rX', app]);
    asNobody = (args: string[]) => {
      const r = spawnSync(process.execPath, [join(app, 'bin', 'vcstore'), '--prefix', p, ...args], {
        encoding: 'utf8',
        uid: 65534,
        gid: 65534,
        cwd: '/',
        env: { PATH: process.env.PATH },
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
  });
  it('ls names the directory it cannot list, the permission and that ls needs root (1), nothing changed', () => {
    const before = snapshot(p);
    const ls = asNobody(['ls']);
    oneLine(ls, 1, 'ls');
    assert.match(ls.stderr, new RegExp(`^vcstore: cannot list ${p}/var/lib/vc/sbs: permission denied; 'vcstore ls' needs root or the store's owner\\n$`));
    assert.deepEqual(snapshot(p), before);
  });
  it('rm says permission denied and that rm needs root (1), nothing changed', () => {
    const before = snapshot(p);
    const rm = asNobody(['rm', `${R}s1`]);
    oneLine(rm, 1, 'rm');
    assert.match(rm.stderr, /permission denied; 'vcstore rm' needs root/);
    assert.deepEqual(snapshot(p), before);
  });
  it('show says permission denied and that show needs root (1), nothing changed', () => {
    const before = snapshot(p);
    const show = asNobody(['show', `${R}s1`, 'state']);
    oneLine(show, 1, 'show');
    assert.match(show.stderr, /permission denied; 'vcstore show' needs root/);
    assert.deepEqual(snapshot(p), before);
  });
});
