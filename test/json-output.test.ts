// needs: nothing
// --json on failure (src/render/json.ts, src/render/errors.ts): every
// command prints exactly one JSON document with the exit code, and one line
// on stderr, never a raw Node error.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addSandbox, deadPid, R, scratch, vci } from './helpers.js';

const { tmp } = scratch();

describe('--json on failure', () => {
  it('every command prints exactly one JSON document with the exit code and the one-line message', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    writeFileSync(join(p, `run/vc/sbs/${R}s1/hypervisor.json`), '{');
    const cases: [string[], number][] = [
      [['ls', '--state', 'bogus'], 2],
      [['show', `${R}ghost`], 3],
      [['path', '../x'], 2],
      [['lock', `${R}ghost`], 3],
      [['raw', `${R}ghost`], 3],
      [['uuid'], 3],
      [['uuid', 'free', '9'], 2],
      [['set', `${R}s1`, '--state', 'stopped'], 5],
      [['check', '--dry-run'], 2],
      [['completion', 'fish'], 2],
      [['nosuchcommand'], 2],
    ];
    for (const [args, code] of cases) {
      const r = await vci(p, ['--json', ...args]);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.error.code, code, args.join(' '));
      assert.equal(r.stdout.trim().split('\n').length, 1, args.join(' '));
      assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, `${args.join(' ')}: one line on stderr`);
      assert.ok(!/E[A-Z]+: |errno \d/.test(r.stderr), `no raw Node error: ${r.stderr}`);
    }
  });
  it('rm keeps its own document and marks each failure in it', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    const rm = await vci(p, ['--json', 'rm', `${R}ghost`]);
    assert.equal(rm.code, 3);
    assert.equal(JSON.parse(rm.stdout)[0].status, 'absent');
  });
});
