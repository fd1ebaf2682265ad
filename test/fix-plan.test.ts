// needs: root (tmpfs mounts)
// A fix is exactly its plan: yes is to the lines shown, a removal frees in
// the same run what only that sandbox held (its UUID slot), nothing is
// planned that the fix would always refuse, and every `left` line says why.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { addSandbox, BIN, deadPid, isRoot, mountsAt, R, scratch, SLOW, tmpfsAt, vci, writeUuidStore } from './helpers.js';

const { tmp } = scratch();
const json = async (p: string, args: string[]) => JSON.parse((await vci(p, ['--json', ...args])).stdout);
const haveTmux = spawnSync('sh', ['-c', 'command -v tmux']).status === 0;

describe(
  'yes is to the plan shown',
  { skip: SLOW || (!isRoot ? 'needs root to mount' : haveTmux ? false : 'tmux not installed (.ci/run installs it)') },
  () => {
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', `vcstore-plan-${process.pid}`, ...args], { encoding: 'utf8' });
    after(() => void tmux('kill-server'));
    const screen = (s: string) => tmux('capture-pane', '-p', '-J', '-t', s).stdout;
    async function until(s: string, re: RegExp): Promise<string> {
      for (const end = Date.now() + 15_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
        const t = screen(s);
        if (re.test(t)) return t;
      }
      throw new Error(`no ${re} on the screen:\n${screen(s)}`);
    }

    it('a mount made under a planned path before the answer refuses that action: neither mount is unmounted', async () => {
      const p = tmp();
      const sid = `${R}pl${Math.random().toString(36).slice(2, 8)}`;
      const shared = join(p, 'run/kata-containers/shared/sandboxes', sid);
      mkdirSync(join(shared, 'a'), { recursive: true });
      mkdirSync(join(shared, 'b'), { recursive: true });
      mkdirSync(join(p, 'run/vc/sbs'), { recursive: true });
      tmpfsAt(join(shared, 'a'));
      tmux('new-session', '-d', '-s', 'm1', '-x', '200', '-y', '50', `${process.execPath} ${BIN} --prefix ${p} check --fix; echo EXIT=$?; sleep 60`);
      const plan = await until('m1', /Go ahead\? \[y\/N\]/);
      assert.match(plan, new RegExp(`would remove mounts-leaked ${sid}: unmount 1 mount`));
      tmpfsAt(join(shared, 'b'));
      tmux('send-keys', '-t', 'm1', 'y', 'Enter');
      const said = await until('m1', /EXIT=\d+/);
      assert.match(said, /not in the plan that was agreed/);
      assert.equal(mountsAt(shared), 2, 'both mounts stay');
      tmux('kill-session', '-t', 'm1');
    });

    it('a mount stacked on a planned mount point before the answer is one more than the plan: both layers stay', async () => {
      const p = tmp();
      const sid = `${R}ps${Math.random().toString(36).slice(2, 8)}`;
      const at = join(p, 'run/kata-containers/shared/sandboxes', sid, 'shared');
      mkdirSync(at, { recursive: true });
      mkdirSync(join(p, 'run/vc/sbs'), { recursive: true });
      tmpfsAt(at);
      tmux('new-session', '-d', '-s', 'm2', '-x', '200', '-y', '50', `${process.execPath} ${BIN} --prefix ${p} check --fix; echo EXIT=$?; sleep 60`);
      await until('m2', /Go ahead\? \[y\/N\]/);
      tmpfsAt(at);
      tmux('send-keys', '-t', 'm2', 'y', 'Enter');
      assert.match(await until('m2', /EXIT=\d+/), /not in the plan that was agreed/);
      assert.equal(mountsAt(at), 2, 'both layers stay');
      tmux('kill-session', '-t', 'm2');
    });
  },
);

describe('a removal frees what only its sandbox held, in the same run', () => {
  it('the UUID slot of a dead ACRN sandbox is freed by the fix that removes it, listed in the plan; the re-check is clean', async () => {
    const p = tmp();
    const sid = `${R}acrn${Math.random().toString(36).slice(2, 8)}`;
    // Slot 4: no test on this host runs a process carrying its UUID (which would rightly hold up the free).
    writeUuidStore(p, [0, 0, 0, 0, 1, 0, 0, 0]);
    addSandbox(p, sid, { state: 'running', hypervisor: 'acrn', acrnUuid: '1ae8587b-e599-4b59-8260-6d14ac166a55', pid: deadPid() });
    const plan = await json(p, ['check', '--fix', '--dry-run']);
    assert.deepEqual(
      plan.actions.map((a: any) => `${a.action} ${a.code} ${a.id}`),
      [`would-remove hypervisor-dead ${sid}`, 'would-free uuid-leaked slot-4'],
    );
    const r = await vci(p, ['check', '--fix']);
    assert.match(r.stdout, /freed uuid-leaked slot-4/);
    const doc = JSON.parse(readFileSync(join(p, 'var/lib/vc/uuid/uuid.json'), 'utf8'));
    assert.deepEqual(doc.UUIDAvailability, [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(r.code, 0, r.stdout);
  });
});

describe('a fix frees only what the sandboxes it removed held', () => {
  it('finishing an unfinished removal of a sandbox that stays never frees the UUID slot it holds', async () => {
    const p = tmp();
    const sid = `${R}tr${Math.random().toString(36).slice(2, 8)}`;
    writeUuidStore(p, [1, 0, 0, 0, 0, 0, 0, 0]);
    addSandbox(p, sid, { state: 'stopped', hypervisor: 'acrn', acrnUuid: 'a7ada506-1ab0-4b6b-a0da-e513ca9b8c2f' });
    mkdirSync(join(p, 'run/vc/sbs/.vcstore-trash-999999-1-deadbeef', sid, 'junk'), { recursive: true });
    const j = await json(p, ['check', '--fix']);
    assert.ok(!j.actions.some((a: any) => a.code === 'uuid-leaked'), JSON.stringify(j.actions));
    assert.deepEqual(JSON.parse(readFileSync(join(p, 'var/lib/vc/uuid/uuid.json'), 'utf8')).UUIDAvailability, [1, 0, 0, 0, 0, 0, 0, 0]);
    assert.ok(existsSync(join(p, 'run/vc/sbs', sid)));
  });
});

describe('a 1.x config root left from before the last boot', () => {
  it('is removed by check --fix (runtime-missing, info); a younger one is left, and the left line says why', async () => {
    const p = tmp();
    const old = `${R}ob${Math.random().toString(36).slice(2, 8)}`;
    const young = `${R}yb${Math.random().toString(36).slice(2, 8)}`;
    addSandbox(p, old, { configOnly: true });
    addSandbox(p, young, { configOnly: true });
    const past = new Date(Date.now() - 400 * 86400e3);
    utimesSync(join(p, 'var/lib/vc/sbs', old), past, past);
    const plan = await json(p, ['check', '--fix', '--dry-run']);
    assert.deepEqual(
      plan.actions.map((a: any) => `${a.action} ${a.code} ${a.id}`),
      [`would-remove runtime-missing ${old}`],
    );
    const r = await vci(p, ['check', '--fix']);
    assert.equal(existsSync(join(p, 'var/lib/vc/sbs', old)), false, r.stdout);
    assert.ok(existsSync(join(p, 'var/lib/vc/sbs', young)));
    assert.match(r.stdout, new RegExp(`left runtime-missing ${young}: .*\\(not fixed: its config root is younger than this boot`));
  });
});

describe('reasons are true', () => {
  it('a finding --fix never acts on is left with that said, and its next step', async () => {
    const p = tmp();
    const sid = `${R}cg${Math.random().toString(36).slice(2, 8)}`;
    addSandbox(p, sid, { state: 'running', pid: deadPid(), containers: [{ id: sid, state: 'running', pid: deadPid() }] });
    // A never-fixed code's left line says so and names the next step (the store-held cgroup under
    // --only is in cgroups.test.ts, which has cgroup file systems).
    const j = await json(p, ['check', '--fix', '--only', 'container-dead']);
    assert.deepEqual(j.actions, []);
    const t = await vci(p, ['check', '--fix', '--only', 'container-dead']);
    assert.match(t.stdout, new RegExp(`left container-dead ${sid}/${sid}: .*\\(not fixed: vcstore does not fix container-dead; next: `));
    assert.ok(existsSync(join(p, 'run/vc/sbs', sid)));
  });
});
