// needs: nothing
// set's input (src/commands/set.ts): the two ways to name the state, and
// input bounded in size and depth whether it comes from a file or standard
// input (refused with 2, nothing written). set's refusals and writes end to
// end: test/change.test.ts.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addSandbox, deadPid, oneLine, R, scratch, snapshot, vci, vcp } from './helpers.js';

const { tmp } = scratch();

describe('bounded input', () => {
  it('set from standard input past the limit is refused with 2, like a file; nothing written', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    const before = snapshot(p);
    const big = `{"state":"stopped","x":"${'a'.repeat(17 * 1024 * 1024)}"}`;
    const r = await vci(p, ['set', `${R}s1`, 'state', '-'], { input: big });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /standard input is over the 16777216-byte limit/);
    const f = join(tmp(), 'big.json');
    writeFileSync(f, big);
    assert.equal((await vci(p, ['set', `${R}s1`, 'state', f])).code, 2);
    assert.deepEqual(snapshot(p), before);
  });
  it('set from standard input nested deeper than the limit is refused with 2 and one line', () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    oneLine(vcp(p, ['set', `${R}s1`, 'state', '-'], { input: '['.repeat(5000) + ']'.repeat(5000) }), 2, 'set');
  });
});

describe('the state by option', () => {
  it('set SID state --state S and set SID --state S both work', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    assert.equal((await vci(p, ['set', `${R}s1`, 'state', '--state', 'stopped'])).code, 0);
    assert.equal((await vci(p, ['set', `${R}s1`, '--state', 'ready'])).code, 0);
    assert.equal(JSON.parse((await vci(p, ['--json', 'show', `${R}s1`, 'state'])).stdout).state, 'ready');
  });
});
