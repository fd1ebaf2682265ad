// needs: nothing
// Broken and hostile store contents, read end to end (src/store/fs/read.ts
// and the readers above it): items too big, too deep, of the wrong type,
// not UTF-8, empty, a FIFO or a directory; locks, sandbox and container
// dirs that are symbolic links. One-line errors with documented exit codes,
// never a stack trace or a hang, and nothing outside the store read,
// written or deleted.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addSandbox, deadPid, DOCUMENTED_EXITS, hasProblem, oneLine, R, scratch, snapshot, vci, vcp } from './helpers.js';

const { tmp } = scratch();

function store(): string {
  const p = tmp();
  addSandbox(p, `${R}s1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
  return p;
}
const state = (p: string) => join(p, `run/vc/sbs/${R}s1/state.json`);
const problems = (p: string) => JSON.parse(vcp(p, ['ls', '--json']).stdout)[0].problems;

describe('items that cannot be read as JSON', () => {
  const huge = () => {
    const p = store();
    writeFileSync(state(p), `{"state":"running","x":"${'a'.repeat(17 * 1024 * 1024)}"}`);
    return p;
  };
  it('huge JSON: show refuses with exit 1 naming the limit', () => {
    const p = huge();
    oneLine(vcp(p, ['show', `${R}s1`, 'state']), 1, 'show');
    assert.match(vcp(p, ['show', `${R}s1`, 'state']).stderr, /over the 16777216-byte limit/);
  });
  it('huge JSON: ls flags it unreadable and goes on', () => {
    const p = huge();
    assert.ok(hasProblem(problems(p), 'unreadable-item', 'state.json'));
  });
  const deep = () => {
    const p = store();
    writeFileSync(state(p), '['.repeat(100000) + ']'.repeat(100000));
    return p;
  };
  it('deeply nested JSON: show refuses with exit 1 naming the depth, no stack overflow', () => {
    const p = deep();
    const r = vcp(p, ['show', `${R}s1`, 'state']);
    oneLine(r, 1, 'show');
    assert.match(r.stderr, /nested deeper than 1000 levels/);
  });
  it('deeply nested JSON: ls flags it corrupt', () => {
    const p = deep();
    assert.ok(hasProblem(problems(p), 'corrupt-item', 'state.json'));
  });
  for (const [what, body, code, problem] of [
    ['wrong type', '[1,2]', 0, 'bad-shape:state.json'],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 1, 'corrupt-item:state.json'],
    ['empty', '', 1, 'corrupt-item:state.json'],
  ] as const)
    it(`${what}: show exits ${code}, ls flags ${problem}`, () => {
      const p = store();
      writeFileSync(state(p), body);
      const r = vcp(p, ['show', `${R}s1`, 'state']);
      assert.equal(r.code, code, r.stderr);
      assert.ok(hasProblem(problems(p), problem.split(':')[0]!, problem.split(':')[1]));
    });
});

describe('items that are no regular file', () => {
  /** state.json a FIFO, hypervisor.json a directory (beside a hypervisor.json.d). */
  function odd(): string {
    const p = store();
    spawnSync('rm', [state(p)]);
    spawnSync('mkfifo', [state(p)]);
    mkdirSync(join(p, `run/vc/sbs/${R}s1/hypervisor.json.d`));
    spawnSync('rm', [join(p, `run/vc/sbs/${R}s1/hypervisor.json`)]);
    mkdirSync(join(p, `run/vc/sbs/${R}s1/hypervisor.json`));
    return p;
  }
  it('a FIFO where an item should be: show exits 1 naming it, no hang', () => {
    const p = odd();
    const t0 = Date.now();
    const r = vcp(p, ['show', `${R}s1`, 'state']);
    oneLine(r, 1, 'show fifo');
    assert.match(r.stderr, /a FIFO/);
    assert.ok(Date.now() - t0 < 20_000, 'no hang');
  });
  it('a directory where an item should be: show exits 1', () => {
    const p = odd();
    oneLine(vcp(p, ['show', `${R}s1`, 'hypervisor']), 1, 'show dir');
  });
  it('ls flags a FIFO and a directory item unreadable, and check exits 6, without hanging', () => {
    const p = odd();
    const t0 = Date.now();
    const list = problems(p);
    assert.ok(hasProblem(list, 'unreadable-item', 'state.json'));
    assert.ok(hasProblem(list, 'unreadable-item', 'hypervisor.json'));
    assert.equal(vcp(p, ['check']).code, 6);
    assert.ok(Date.now() - t0 < 20_000, 'no hang');
  });
});

describe('symbolic links, at every level', () => {
  /** The sandbox's lock, and an agent.json.tmp, symlinks to /etc/passwd. */
  function linkedLock(): string {
    const p = store();
    const lock = join(p, `run/vc/sbs/${R}s1/lock`);
    spawnSync('rm', [lock]);
    symlinkSync('/etc/passwd', lock);
    symlinkSync('/etc/passwd', join(p, `run/vc/sbs/${R}s1/agent.json.tmp`));
    return p;
  }
  it('a lock file that is a symlink to /etc/passwd: lock refuses (1) naming it, never following it', () => {
    const p = linkedLock();
    const before = snapshot(p);
    const etc = snapshot('/etc/passwd');
    oneLine(vcp(p, ['lock', `${R}s1`]), 1, 'lock probe');
    assert.match(vcp(p, ['lock', `${R}s1`]).stderr, /refusing lock .*: it is a symbolic link/);
    oneLine(vcp(p, ['lock', `${R}s1`, '--', 'true']), 1, 'lock cmd');
    assert.deepEqual(snapshot(p), before);
    assert.deepEqual(snapshot('/etc/passwd'), etc);
  });
  it('a lock that is no regular file keeps no runtime out: rm and set refuse (5), nothing changed', () => {
    const p = linkedLock();
    const before = snapshot(p);
    const etc = snapshot('/etc/passwd');
    oneLine(vcp(p, ['rm', `${R}s1`]), 5, 'rm');
    oneLine(vcp(p, ['set', `${R}s1`, '--state', 'stopped']), 5, 'set');
    assert.deepEqual(snapshot(p), before);
    assert.deepEqual(snapshot('/etc/passwd'), etc);
  });
  it('ls reports a lock that is a symlink as not held', () => {
    const p = linkedLock();
    assert.equal(JSON.parse(vcp(p, ['ls', '--json']).stdout)[0].lock.held, false);
  });
  it('a sandbox dir that is a symlink out of the store: nothing outside is read, written or deleted', () => {
    const p = tmp();
    const outside = tmp();
    addSandbox(outside, `${R}victim`, { state: 'running' });
    mkdirSync(join(p, 'run/vc/sbs'), { recursive: true });
    symlinkSync(join(outside, `run/vc/sbs/${R}victim`), join(p, 'run/vc/sbs/evil'));
    const out = snapshot(outside);
    for (const args of [
      ['show', 'evil'],
      ['show', 'evil', 'state'],
      ['lock', 'evil', '--', 'true'],
      ['set', 'evil', '--state', 'stopped'],
      ['raw', 'evil'],
      ['rm', 'evil'],
      ['check', '--fix'],
    ]) {
      const r = vcp(p, args);
      assert.ok(r.code !== null && DOCUMENTED_EXITS.has(r.code), `${args.join(' ')}: ${r.code} ${r.stderr}`);
      assert.ok(!/internal error/.test(r.stderr), r.stderr);
    }
    assert.deepEqual(snapshot(outside), out);
  });
  /** A container dir that is a symlink to a container dir outside the store. */
  function linkedContainer(): string {
    const p = tmp();
    const outside = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    mkdirSync(join(outside, `${R}c9`));
    writeFileSync(join(outside, `${R}c9/state.json`), '{"state":"running"}');
    symlinkSync(join(outside, `${R}c9`), join(p, `run/vc/sbs/${R}s1/${R}c9`));
    return p;
  }
  it('a symlinked container dir: show refuses (1) naming it', async () => {
    const p = linkedContainer();
    const r = await vci(p, ['show', `${R}s1`, `${R}c9`, 'state']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(String.raw`${R}c9: the container dir is a symbolic link`));
  });
  it('a symlinked container dir: check reports symlink', async () => {
    const p = linkedContainer();
    const j = JSON.parse((await vci(p, ['--json', 'check'])).stdout);
    assert.ok(j.findings.some((f: any) => f.code === 'symlink' && f.container === `${R}c9`));
  });
  it('a symlinked container dir is no container in ls', async () => {
    const p = linkedContainer();
    assert.ok(!JSON.parse((await vci(p, ['ls', '--json'])).stdout)[0].containers.some((c: any) => c.id === `${R}c9`));
  });
});

describe('directories that are no container, files that are no item', () => {
  /** A sandbox with a dir `deep`, a dir network.json, and raw/ holding a subdir and a file. */
  function odd(): string {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    mkdirSync(join(p, `run/vc/sbs/${R}s1/deep`));
    mkdirSync(join(p, `run/vc/sbs/${R}s1/network.json`), { recursive: true });
    rmSync(join(p, `run/vc/sbs/${R}s1/raw`), { recursive: true });
    mkdirSync(join(p, `run/vc/sbs/${R}s1/raw/subdir`), { recursive: true });
    writeFileSync(join(p, `run/vc/sbs/${R}s1/raw/item`), '');
    return p;
  }
  it('a directory that holds no container item is no container', async () => {
    const p = odd();
    assert.deepEqual(
      JSON.parse((await vci(p, ['ls', '--json'])).stdout)[0].containers.map((c: any) => c.id),
      [`${R}s1`],
    );
  });
  it('raw --list lists regular files only', async () => {
    const p = odd();
    assert.deepEqual(
      JSON.parse((await vci(p, ['--json', 'raw', '--list', `${R}s1`])).stdout).map((i: any) => i.name),
      ['item'],
    );
  });
});
