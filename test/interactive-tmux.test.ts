// needs: nothing (tmux; its tests skip without it)
// The one question, in a real terminal: tmux runs check --fix and a bulk rm
// in a pseudo-terminal; they show the plan and ask once, and "yes" is to the
// plan shown. Without a terminal nothing asks. The same paths in process,
// with a fake person: test/interactive.test.ts.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { addSandbox, BIN, deadPid, holdFlock, R, runLock, scratch, SLOW, snapshot, vci } from './helpers.js';

const { tmp } = scratch();
const haveTmux = spawnSync('sh', ['-c', 'command -v tmux']).status === 0;

describe('without a terminal', () => {
  it('nothing asks: a bulk rm goes ahead as scripts expect', async () => {
    const p = tmp();
    for (const s of ['a', 'b']) addSandbox(p, `${R}s${s}`, { state: 'running', pid: deadPid() });
    const rm = await vci(p, ['rm', `${R}sa`, `${R}sb`]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.doesNotMatch(rm.stderr, /\[y\/N\]/);
    assert.equal(existsSync(join(p, 'run/vc/sbs', `${R}sa`)), false);
  });
});

describe('on a terminal: the plan, then one question', { skip: SLOW || (haveTmux ? false : 'tmux not installed (.ci/run installs it)') }, () => {
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', `vcstore-interactive-${process.pid}`, ...args], { encoding: 'utf8' });
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

  it('check --fix shows what it will remove and changes nothing on "n"', async () => {
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
  });

  it('check --fix goes ahead on "y"', async () => {
    const p = tmp();
    const sid = `${R}t1`;
    addSandbox(p, sid, { state: 'running', pid: deadPid() });
    start('c2', `${process.execPath} ${BIN} --prefix ${p} check --fix`);
    await until('c2', /Go ahead\?/);
    tmux('send-keys', '-t', 'c2', 'y', 'Enter');
    assert.match(await until('c2', /EXIT=\d+/), /EXIT=0/);
    assert.equal(existsSync(join(p, 'run/vc/sbs', sid)), false);
    tmux('kill-session', '-t', 'c2');
  });

  it('check --fix -y never asks', async () => {
    const p = tmp();
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

  /** Two stopped sandboxes, ua and ub. */
  function pair(): string {
    const p = tmp();
    for (const s of ['a', 'b']) addSandbox(p, `${R}u${s}`, { state: 'stopped' });
    return p;
  }
  it('a bulk rm asks once and exits 5 on "n" with nothing changed', async () => {
    const p = pair();
    const before = snapshot(p);
    start('r1', `${process.execPath} ${BIN} --prefix ${p} rm ${R}ua ${R}ub`);
    const plan = await until('r1', /Remove 2 sandboxes\? \[y\/N\]/);
    assert.match(plan, new RegExp(`sandbox ${R}ua: would remove`));
    tmux('send-keys', '-t', 'r1', 'Enter');
    assert.match(await until('r1', /EXIT=\d+/), /EXIT=5/);
    assert.deepEqual(snapshot(p), before);
    tmux('kill-session', '-t', 'r1');
  });

  it('Ctrl-C at the question of a bulk rm is exit 130, nothing changed', async () => {
    const p = pair();
    const before = snapshot(p);
    start('r2', `${process.execPath} ${BIN} --prefix ${p} rm ${R}ua ${R}ub`);
    await until('r2', /Remove 2 sandboxes\?/);
    tmux('send-keys', '-t', 'r2', 'C-c');
    assert.match(await until('r2', /EXIT=\d+/), /EXIT=130/);
    assert.deepEqual(snapshot(p), before);
    tmux('kill-session', '-t', 'r2');
  });
});
