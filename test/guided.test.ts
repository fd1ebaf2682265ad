// Guided repair (#27): every finding says what to do next, runnable as
// printed; --only steers a fix; --fail-on makes an exit a gate can use; on
// a terminal (a real tmux pane) check --fix and a bulk rm show the plan and
// ask once, and nothing ever asks when stdin is no terminal.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  addPersistSandbox,
  addSandbox,
  BIN,
  cleanup,
  criPod,
  deadPid,
  holdFlock,
  R,
  runLock,
  scratch,
  SLOW,
  snapshot,
  vci,
  writeUuidStore,
} from './helpers.js';

const criPodOf = (name: string, sid: string) => criPod('prod', name, `${name}-uid`, sid);
import { buildZoo } from './zoo.js';

const { tmp, track } = scratch();
const haveTmux = spawnSync('sh', ['-c', 'command -v tmux']).status === 0;

/** A store whose path has a space and a quote in it: every printed command must still run. */
function oddPrefix(): string {
  const d = mkdtempSync(join(tmpdir(), "vcstore test o'k "));
  after(() => cleanup(d));
  return d;
}

describe('every finding says what to do next', () => {
  it('every code the zoo plants carries a next step, and the man page lists one per code', async () => {
    const zoo = await buildZoo(tmp(), tmp(), track);
    try {
      const j = JSON.parse((await vci(zoo.p, ['--json', 'check', '--stuck-after', '0'])).stdout);
      for (const f of j.findings) {
        assert.equal(typeof f.next, 'string', f.code);
        assert.ok(f.next.length > 10, `${f.code}: ${f.next}`);
        if (f.next.startsWith('vcstore ')) assert.ok(f.next.startsWith(`vcstore --prefix ${zoo.p} `), f.next);
      }
      const table = (await vci(zoo.p, ['check', '--stuck-after', '0'])).stdout;
      assert.equal((table.match(/^\s+next: /gm) ?? []).length, j.findings.length);
    } finally {
      await zoo.release();
    }
  });

  it('every vcstore command a finding prints runs as printed against the store it came from: it succeeds or refuses with a documented code, never a usage error', async () => {
    const zoo = await buildZoo(tmp(), tmp(), track);
    try {
      const j = JSON.parse((await vci(zoo.p, ['--json', 'check', '--stuck-after', '0'])).stdout);
      const commands = [...new Set<string>(j.findings.map((f: any) => f.next).filter((n: string) => n.startsWith('vcstore ')))];
      assert.ok(commands.length >= 8, commands.join('\n'));
      for (const cmd of commands) {
        const r = spawnSync('sh', ['-c', `${cmd.replace(/^vcstore /, `${process.execPath} ${BIN} `)} </dev/null`], { encoding: 'utf8' });
        assert.ok([0, 1, 3, 4, 5, 6].includes(r.status ?? -1), `${cmd}: exit ${r.status} ${r.stderr}`);
        assert.notEqual(r.status, 2, `${cmd}: a usage error: ${r.stderr}`);
      }
    } finally {
      await zoo.release();
    }
  });

  it('the commands it prints run as printed, quoting and all, and do what they say', async () => {
    const p = oddPrefix();
    const dead = `${R}n1`;
    const box = `${R}n2`;
    addSandbox(p, dead, { state: 'running', pid: deadPid() });
    addSandbox(p, box, { state: 'stopped', containers: [{ id: `${R}c1`, state: 'running', pid: deadPid() }] });
    writeUuidStore(p, [0, 0, 1, 0, 0, 0, 0, 0]);
    const j = JSON.parse((await vci(p, ['--json', 'check'])).stdout);
    const next = (code: string) => j.findings.find((f: any) => f.code === code).next as string;
    const sh = (cmd: string) => spawnSync('sh', ['-c', cmd.replace(/^vcstore /, `${process.execPath} ${BIN} `)], { encoding: 'utf8' });
    for (const code of ['hypervisor-dead', 'container-dead', 'uuid-leaked']) {
      const r = sh(next(code));
      assert.equal(r.status, 0, `${next(code)}: ${r.stderr}`);
    }
    assert.equal(existsSync(join(p, 'run/vc/sbs', dead)), false);
    assert.match(readFileSync(join(p, 'run/vc/sbs', box, `${R}c1`, 'state.json'), 'utf8'), /"state":"stopped"/);
    const after = JSON.parse((await vci(p, ['--json', 'check'])).stdout);
    assert.deepEqual(after.findings, []);
  });
});

describe('a fix a person can steer, an exit a gate can use', () => {
  it('--only limits what is reported and what --fix touches; an unknown code is exit 2 and changes nothing', async () => {
    const p = tmp();
    addSandbox(p, `${R}o1`, { state: 'running', pid: deadPid() });
    addPersistSandbox(p, `${R}o2`, { state: 'stopped', containers: [] });
    const before = snapshot(p);
    const bad = await vci(p, ['check', '--fix', '--only', 'hypervisor-dead,nope']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.deepEqual(snapshot(p), before);
    const r = JSON.parse((await vci(p, ['--json', 'check', '--fix', '--only', 'sandbox-stale'])).stdout);
    assert.deepEqual(
      r.findings.map((f: any) => f.code),
      ['sandbox-stale'],
    );
    assert.equal(existsSync(join(p, 'run/vc/sbs', `${R}o2`)), false);
    assert.equal(existsSync(join(p, 'run/vc/sbs', `${R}o1`)), true);
  });

  it('what a hostile operator found: --only never frees UUID slots of another code, a selection fixes and reports only its own, --only rejects what only looks like a code, --fail-on holds for metrics, no ps -p 0', async () => {
    const p = tmp();
    addSandbox(p, `${R}h1`, { state: 'running', pid: deadPid() });
    writeUuidStore(p, [0, 0, 1, 0, 0, 0, 0, 0]);
    const only = JSON.parse((await vci(p, ['--json', 'check', '--fix', '--only', 'hypervisor-dead'])).stdout);
    assert.deepEqual(
      only.actions.map((a: any) => a.code),
      ['hypervisor-dead'],
    );
    assert.match(readFileSync(join(p, 'var/lib/vc/uuid/uuid.json'), 'utf8'), /\[0,0,1,/, 'the leaked slot stays: not asked for');
    const q = tmp();
    addPersistSandbox(q, `${R}a1`, { state: 'running', pid: deadPid(), containers: [{ id: `${R}a1`, pid: -1, annotations: criPodOf('a', `${R}a1`) }] });
    addPersistSandbox(q, `${R}b1`, { state: 'running', pid: deadPid(), containers: [{ id: `${R}b1`, pid: -1, annotations: criPodOf('b', `${R}b1`) }] });
    mkdirSync(join(q, 'run/vc/vm', `${R}orphan`), { recursive: true });
    const sel = JSON.parse((await vci(q, ['--json', 'check', '--fix', '--pod', 'prod/a'])).stdout);
    assert.deepEqual(sel.remaining, []);
    assert.equal(existsSync(join(q, 'run/vc/sbs', `${R}b1`)), true);
    assert.equal(existsSync(join(q, 'run/vc/vm', `${R}orphan`)), true);
    for (const bad of ['toString', '__proto__', 'constructor']) assert.equal((await vci(q, ['check', '--only', bad])).code, 2, bad);
    assert.equal((await vci(q, ['check', '-o', 'prometheus', '--fail-on', 'never'])).code, 0);
    const r = tmp();
    addPersistSandbox(r, `${R}u1`, { state: 'running', pid: 0 });
    const u = JSON.parse((await vci(r, ['--json', 'check'])).stdout).findings.find((f: any) => f.code === 'liveness-unknown');
    assert.doesNotMatch(u.next, /-p 0\b/);
  });

  it('--fail-on: warning (the default) exits 6 on a warning; error ignores warnings; never always exits 0; the summary counts what needs a person', async () => {
    const p = tmp();
    addSandbox(p, `${R}f1`, { state: 'stopped', containers: [{ id: `${R}fc`, state: 'running', pid: deadPid() }] });
    assert.equal((await vci(p, ['check'])).code, 6);
    assert.equal((await vci(p, ['check', '--fail-on', 'warning'])).code, 6);
    const err = await vci(p, ['check', '--fail-on', 'error']);
    assert.equal(err.code, 0, err.stdout);
    assert.match(err.stdout, /1 needs a person/);
    assert.equal((await vci(p, ['check', '--fail-on', 'never'])).code, 0);
    assert.equal((await vci(p, ['check', '--fail-on', 'sometimes'])).code, 2);
    const j = JSON.parse((await vci(p, ['--json', 'check', '--fail-on', 'error'])).stdout);
    assert.equal(j.summary.person, 1);
    addSandbox(p, `${R}f2`, { state: 'running', pid: deadPid() });
    assert.equal((await vci(p, ['check', '--fail-on', 'error'])).code, 6);
  });

  it('completion offers the codes after --only and the levels after --fail-on', () => {
    const p = tmp();
    const only = spawnSync(process.execPath, [BIN, '--prefix', p, '__complete', '--', 'check', '--only', 'cgroup'], { encoding: 'utf8' });
    assert.equal(only.stdout, 'cgroup-leaked\n');
    const fail = spawnSync(process.execPath, [BIN, '--prefix', p, '__complete', '--', 'check', '--fail-on', ''], { encoding: 'utf8' });
    assert.equal(fail.stdout, 'error\nwarning\nnever\n');
  });

  it('without a terminal nothing asks: check --fix and a bulk rm go ahead as scripts expect', async () => {
    const p = tmp();
    for (const s of ['a', 'b']) addSandbox(p, `${R}s${s}`, { state: 'running', pid: deadPid() });
    const rm = await vci(p, ['rm', `${R}sa`, `${R}sb`]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.doesNotMatch(rm.stderr, /\[y\/N\]/);
    assert.equal(existsSync(join(p, 'run/vc/sbs', `${R}sa`)), false);
  });
});

describe('on a terminal: the plan, then one question', { skip: SLOW || (haveTmux ? false : 'tmux not installed (.ci/run installs it)') }, () => {
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', `vcstore-guided-${process.pid}`, ...args], { encoding: 'utf8' });
  after(() => void tmux('kill-server'));
  const screen = (s: string) => tmux('capture-pane', '-p', '-J', '-t', s).stdout;
  async function until(s: string, re: RegExp): Promise<string> {
    for (const end = Date.now() + 15_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      const t = screen(s);
      if (re.test(t)) return t;
    }
    throw new Error(`no ${re} on the screen:\n${screen(s)}`);
  }
  const start = (s: string, cmd: string) => tmux('new-session', '-d', '-s', s, '-x', '200', '-y', '50', `${cmd}; echo EXIT=$?; sleep 60`);

  it('check --fix shows what it will remove and changes nothing on "n"; "y" goes ahead; -y never asks', async () => {
    const p = tmp();
    const sid = `${R}t1`;
    addSandbox(p, sid, { state: 'running', pid: deadPid() });
    const before = snapshot(p);
    start('c1', `${process.execPath} ${BIN} --prefix ${p} check --fix`);
    const plan = await until('c1', /Go ahead\? \[y\/N\]/);
    assert.match(plan, new RegExp(`would remove hypervisor-dead ${sid}`));
    assert.match(plan, /1 removal/);
    assert.deepEqual(snapshot(p), before, 'nothing changes while it asks');
    tmux('send-keys', '-t', 'c1', 'n', 'Enter');
    const said = await until('c1', /EXIT=\d+/);
    assert.match(said, /nothing changed/);
    assert.deepEqual(snapshot(p), before);
    tmux('kill-session', '-t', 'c1');

    start('c2', `${process.execPath} ${BIN} --prefix ${p} check --fix`);
    await until('c2', /Go ahead\?/);
    tmux('send-keys', '-t', 'c2', 'y', 'Enter');
    assert.match(await until('c2', /EXIT=\d+/), /EXIT=0/);
    assert.equal(existsSync(join(p, 'run/vc/sbs', sid)), false);
    tmux('kill-session', '-t', 'c2');

    addSandbox(p, `${R}t2`, { state: 'running', pid: deadPid() });
    start('c3', `${process.execPath} ${BIN} --prefix ${p} check --fix -y`);
    const yes = await until('c3', /EXIT=\d+/);
    assert.doesNotMatch(yes, /Go ahead/);
    assert.equal(existsSync(join(p, 'run/vc/sbs', `${R}t2`)), false);
    tmux('kill-session', '-t', 'c3');
  });

  it('yes is to the plan shown: a sandbox whose lock was held while it asked waits for the next run', async () => {
    const p = tmp();
    addSandbox(p, `${R}v1`, { state: 'running', pid: deadPid() });
    addSandbox(p, `${R}v2`, { state: 'running', pid: deadPid() });
    const h = await holdFlock(runLock(p, `${R}v1`));
    start('y1', `${process.execPath} ${BIN} --prefix ${p} check --fix`);
    const plan = await until('y1', /Go ahead\?/);
    assert.match(plan, /1 removal/);
    await h.release();
    tmux('send-keys', '-t', 'y1', 'y', 'Enter');
    await until('y1', /EXIT=\d+/);
    assert.equal(existsSync(join(p, 'run/vc/sbs', `${R}v2`)), false);
    assert.equal(existsSync(join(p, 'run/vc/sbs', `${R}v1`)), true, 'not in the plan: left');
    tmux('kill-session', '-t', 'y1');
  });

  it('a bulk rm asks once and exits 5 on "n" with nothing changed; Ctrl-C at the question is exit 130', async () => {
    const p = tmp();
    for (const s of ['a', 'b']) addSandbox(p, `${R}u${s}`, { state: 'stopped' });
    const before = snapshot(p);
    start('r1', `${process.execPath} ${BIN} --prefix ${p} rm ${R}ua ${R}ub`);
    const plan = await until('r1', /Remove 2 sandboxes\? \[y\/N\]/);
    assert.match(plan, new RegExp(`sandbox ${R}ua: would remove`));
    tmux('send-keys', '-t', 'r1', 'Enter');
    assert.match(await until('r1', /EXIT=\d+/), /EXIT=5/);
    assert.deepEqual(snapshot(p), before);
    tmux('kill-session', '-t', 'r1');
    start('r2', `${process.execPath} ${BIN} --prefix ${p} rm ${R}ua ${R}ub`);
    await until('r2', /Remove 2 sandboxes\?/);
    tmux('send-keys', '-t', 'r2', 'C-c');
    assert.match(await until('r2', /EXIT=\d+/), /EXIT=130/);
    assert.deepEqual(snapshot(p), before);
    tmux('kill-session', '-t', 'r2');
  });
});
