// needs: nothing
// check's exit, for a gate (--fail-on warning|error|never): what each level
// makes of warnings and errors, and the summary's count of what needs a
// person. Gates that could not judge: test/gate.test.ts.
import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addPersistSandbox, addSandbox, criPod, deadPid, R, scratch, vci } from './helpers.js';

const { tmp } = scratch();

/** A stopped sandbox with a dead running container: one warning that needs a person. */
function oneWarning(): string {
  const p = tmp();
  addSandbox(p, `${R}f1`, { state: 'stopped', containers: [{ id: `${R}fc`, state: 'running', pid: deadPid() }] });
  return p;
}

describe('--fail-on', () => {
  it('--fail-on warning (the default) exits 6 on a warning', async () => {
    const p = oneWarning();
    assert.equal((await vci(p, ['check'])).code, 6);
    assert.equal((await vci(p, ['check', '--fail-on', 'warning'])).code, 6);
  });
  it('--fail-on error ignores warnings: exit 0', async () => {
    const p = oneWarning();
    const err = await vci(p, ['check', '--fail-on', 'error']);
    assert.equal(err.code, 0, err.stdout);
  });
  it('the summary counts what needs a person, in the table and in JSON', async () => {
    const p = oneWarning();
    assert.match((await vci(p, ['check', '--fail-on', 'error'])).stdout, /1 needs a person/);
    const j = JSON.parse((await vci(p, ['--json', 'check', '--fail-on', 'error'])).stdout);
    assert.equal(j.summary.person, 1);
  });
  it('--fail-on error exits 6 on an error', async () => {
    const p = oneWarning();
    addSandbox(p, `${R}f2`, { state: 'running', pid: deadPid() });
    assert.equal((await vci(p, ['check', '--fail-on', 'error'])).code, 6);
  });
  it('--fail-on never always exits 0', async () => {
    const p = oneWarning();
    assert.equal((await vci(p, ['check', '--fail-on', 'never'])).code, 0);
  });
  it('--fail-on never holds for -o prometheus too', async () => {
    const q = tmp();
    for (const n of ['a', 'b'])
      addPersistSandbox(q, `${R}${n}1`, {
        state: 'running',
        pid: deadPid(),
        containers: [{ id: `${R}${n}1`, pid: -1, annotations: criPod('prod', n, `${n}-uid`, `${R}${n}1`) }],
      });
    mkdirSync(join(q, 'run/vc/vm', `${R}orphan`), { recursive: true });
    assert.equal((await vci(q, ['check', '-o', 'prometheus', '--fail-on', 'never'])).code, 0);
  });
  it('an unknown --fail-on level is a usage error (2)', async () => {
    const p = oneWarning();
    assert.equal((await vci(p, ['check', '--fail-on', 'sometimes'])).code, 2);
  });
});
