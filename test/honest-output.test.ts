// Honest output: terminal-safe tables, exactly one JSON document on every
// failure, bounded input, and no reading through a symlink at any level.
import { strict as assert } from 'node:assert';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addSandbox, deadPid, R, scratch, snapshot, vci } from './helpers.js';

const { tmp } = scratch();

describe('terminal-safe output', () => {
  it('a state holding a newline and ESC is escaped in ls and show, exact in JSON', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    const evil = 'run\nning\u001b[31mX';
    writeFileSync(join(p, `run/vc/sbs/${R}s1/state.json`), JSON.stringify({ state: evil }));
    const ls = await vci(p, ['ls']);
    assert.equal(ls.stdout.split('\n').filter(Boolean).length, 2, 'no fake table row');
    assert.ok(!ls.stdout.includes('\u001b'), 'no ESC reaches the terminal');
    assert.match(ls.stdout, /run\\nning\\x1b\[31mX/);
    const show = await vci(p, ['show', `${R}s1`]);
    assert.ok(!show.stdout.includes('\u001b'));
    assert.match(show.stdout, /State\s+run\\nning\\x1b/);
    assert.equal(JSON.parse((await vci(p, ['ls', '--json'])).stdout)[0].state, evil);
  });
});

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
    // rm keeps its own document and marks each failure in it
    const rm = await vci(p, ['--json', 'rm', `${R}ghost`]);
    assert.equal(rm.code, 3);
    assert.equal(JSON.parse(rm.stdout)[0].status, 'absent');
  });
});

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
  it('set SID state --state S and set SID --state S both work', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    assert.equal((await vci(p, ['set', `${R}s1`, 'state', '--state', 'stopped'])).code, 0);
    assert.equal((await vci(p, ['set', `${R}s1`, '--state', 'ready'])).code, 0);
    assert.equal(JSON.parse((await vci(p, ['--json', 'show', `${R}s1`, 'state'])).stdout).state, 'ready');
    assert.equal((await vci(p, ['show', `${R}s1`, 'stat'])).code, 2, 'a typo is an unknown item');
  });
});

describe('no reading through a symlink at any level', () => {
  it('a symlinked container dir: show refuses naming it, check reports symlink, it is no container', async () => {
    const p = tmp();
    const outside = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    mkdirSync(join(outside, `${R}c9`));
    writeFileSync(join(outside, `${R}c9/state.json`), '{"state":"running"}');
    symlinkSync(join(outside, `${R}c9`), join(p, `run/vc/sbs/${R}s1/${R}c9`));
    const r = await vci(p, ['show', `${R}s1`, `${R}c9`, 'state']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(String.raw`${R}c9: the container dir is a symbolic link`));
    const j = JSON.parse((await vci(p, ['--json', 'check'])).stdout);
    assert.ok(j.findings.some((f: any) => f.code === 'symlink' && f.container === `${R}c9`));
    assert.ok(!JSON.parse((await vci(p, ['ls', '--json'])).stdout)[0].containers.some((c: any) => c.id === `${R}c9`));
  });
  it('a directory that holds no container item is no container; raw --list lists regular files only', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    mkdirSync(join(p, `run/vc/sbs/${R}s1/deep`));
    mkdirSync(join(p, `run/vc/sbs/${R}s1/network.json`), { recursive: true });
    rmSync(join(p, `run/vc/sbs/${R}s1/raw`), { recursive: true });
    mkdirSync(join(p, `run/vc/sbs/${R}s1/raw/subdir`), { recursive: true });
    writeFileSync(join(p, `run/vc/sbs/${R}s1/raw/item`), '');
    assert.deepEqual(
      JSON.parse((await vci(p, ['ls', '--json'])).stdout)[0].containers.map((c: any) => c.id),
      [`${R}s1`],
    );
    assert.deepEqual(
      JSON.parse((await vci(p, ['--json', 'raw', '--list', `${R}s1`])).stdout).map((i: any) => i.name),
      ['item'],
    );
  });
});
