// needs: nothing
// Terminal-safe output (src/render/safe.ts): what the store holds (states,
// pod namespaces and names) reaches a table escaped, never as a control
// sequence or a fake row; long values are cut in tables and whole with
// --no-trunc; JSON keeps every value exact. Fitting tables to the terminal:
// test/width.test.ts.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addPersistSandbox, addSandbox, R, scratch, vci } from './helpers.js';

const { tmp } = scratch();

describe('a state holding a newline and ESC', () => {
  const evil = 'run\nning\u001b[31mX';
  function store(): string {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    writeFileSync(join(p, `run/vc/sbs/${R}s1/state.json`), JSON.stringify({ state: evil }));
    return p;
  }
  it('ls escapes it: no fake table row, no ESC on the terminal', async () => {
    const ls = await vci(store(), ['ls']);
    assert.equal(ls.stdout.split('\n').filter(Boolean).length, 2, 'no fake table row');
    assert.ok(!ls.stdout.includes('\u001b'), 'no ESC reaches the terminal');
    assert.match(ls.stdout, /run\\nning\\x1b\[31mX/);
  });
  it('show escapes it', async () => {
    const show = await vci(store(), ['show', `${R}s1`]);
    assert.ok(!show.stdout.includes('\u001b'));
    assert.match(show.stdout, /State\s+run\\nning\\x1b/);
  });
  it('ls --json keeps it exact', async () => {
    assert.equal(JSON.parse((await vci(store(), ['ls', '--json'])).stdout)[0].state, evil);
  });
});

describe('odd pod namespaces and names', () => {
  const long = `x${'y'.repeat(80)}`;
  function store(): string {
    const p = tmp();
    addPersistSandbox(p, `${R}odd`, {
      state: 'stopped',
      containers: [
        { id: `${R}odd`, state: 'stopped', annotations: { 'io.kubernetes.cri.sandbox-namespace': 'ns\u001b[31m3', 'io.kubernetes.cri.sandbox-name': long } },
      ],
    });
    return p;
  }
  it('escaped in the ls table and cut past 48 characters there', async () => {
    const table = (await vci(store(), ['ls'])).stdout;
    assert.ok(!table.includes('\u001b'), 'no escape sequence reaches the terminal');
    assert.ok(!table.includes(long), 'cut in the table');
    assert.match(table, /ns\\x1b\[31m3\/xy+…/);
  });
  it('whole with ls --no-trunc', async () => {
    assert.ok((await vci(store(), ['ls', '--no-trunc'])).stdout.includes(long));
  });
  it('bidi controls and line separators are escaped in the ls table', async () => {
    const p = tmp();
    addPersistSandbox(p, `${R}rtl`, {
      state: 'stopped',
      containers: [
        { id: `${R}rtl`, state: 'stopped', annotations: { 'io.kubernetes.cri.sandbox-namespace': 'a\u202eb', 'io.kubernetes.cri.sandbox-name': 'c\u2028d' } },
      ],
    });
    const t = (await vci(p, ['ls'])).stdout;
    assert.ok(!/[\u202e\u2028]/.test(t));
    assert.ok(t.includes('a\\u202eb/c\\u2028d'));
  });
});
