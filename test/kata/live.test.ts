// Live sandboxes of the real Kata 1.x runtime (kata-runtime CLI, and
// containerd 1.6 with the shim v2), for 1.9 (1.x store) and 1.13 (persist):
// vcstore agrees with the runtime about them, reports nothing, refuses every
// change and leaves the host byte for byte as it was; after a normal stop and
// delete it finds nothing. Run by npm run test:kata (scripts/kata/kata.sh).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { about, checkJson, foreign, lsJson, vcs } from './common.js';
import {
  cleanupAll,
  diff,
  hostState,
  keepStore,
  requireIsolated,
  runtimeList,
  runtimeState,
  type Sandbox,
  scrub,
  start,
  stopDelete,
  VARIANTS,
} from './harness.js';

for (const v of VARIANTS) {
  describe(`${v}: live sandboxes (kata-runtime CLI and containerd shim v2)`, () => {
    let cli: Sandbox;
    let ctrd: Sandbox;
    let ids: string[] = [];
    before(async () => {
      requireIsolated();
      cli = await start(v, 'cli');
      ctrd = await start(v, 'ctr');
      ids = [cli.id, ctrd.id];
      keepStore(cli, 'running');
      keepStore(ctrd, 'running');
    });
    after(async () => {
      await cleanupAll();
    });

    it('ls --json agrees with kata-runtime list and state: IDs, states, pids', () => {
      const ls = lsJson();
      const list = runtimeList(v);
      for (const sb of [cli, ctrd]) {
        const e = ls.find((x) => x.id === sb.id);
        assert.ok(e, `${sb.path} sandbox ${sb.id} is listed`);
        assert.equal(e.layout, v === 'abec' ? 'legacy' : 'persist');
        assert.equal(e.state, 'running');
        const qemu = Number(readFileSync(`/run/vc/vm/${sb.id}/pid`, 'utf8'));
        assert.deepEqual({ type: e.hypervisor.type, pid: e.hypervisor.pid, alive: e.hypervisor.alive }, { type: 'qemu', pid: qemu, alive: true });
        assert.deepEqual(e.problems, []);
        assert.deepEqual(
          e.containers.map((c) => c.id),
          [sb.id],
        );
        if (sb.path === 'cli') {
          // The CLI's container pid is its kata-shim's, as kata-runtime says.
          const st = runtimeState(v, sb.id);
          assert.ok(st, `kata-runtime state ${sb.id}`);
          assert.equal(st.status, 'running');
          assert.equal(e.containers[0]?.pid, st.pid);
          assert.equal(e.containers[0]?.alive, true);
          const l = list.find((x) => x.id === sb.id);
          assert.deepEqual(l && { status: l.status, pid: l.pid }, { status: e.state, pid: e.containers[0]?.pid });
        } else {
          // Under shim v2 the container has no process of its own (pid -1): alive is null.
          assert.equal(e.containers[0]?.pid, -1);
          assert.equal(e.containers[0]?.alive, null);
        }
      }
      // Every sandbox the runtime lists, vcstore lists with the same state.
      for (const l of list) assert.equal(ls.find((x) => x.id === l.id)?.state, l.status, `state of ${l.id}`);
    });

    it('check reports nothing about them and exits 0', () => {
      const r = checkJson();
      assert.deepEqual(about(r.json, ids), []);
      const other = foreign(r.json, ids);
      // Debris of another suite on this host (cgroups and processes are host-wide) makes exit 6; ours never does.
      if (other.length === 0) assert.equal(r.code, 0, r.stderr);
      const text = vcs(['check']);
      assert.ok(!ids.some((id) => text.stdout.includes(id.slice(0, 12))), text.stdout);
    });

    it('rm, rm --unmount, set and check --fix refuse or leave them, and the host is byte for byte as it was', () => {
      const before = hostState(ids);
      for (const sb of [cli, ctrd]) {
        for (const args of [
          ['rm', sb.id],
          ['rm', '--unmount', sb.id],
          ['set', sb.id, sb.id, 'state', '--state', 'stopped'],
        ]) {
          const r = vcs(args);
          assert.equal(r.code, 5, `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
          assert.match(r.stderr, /alive|refus/, `${args.join(' ')}: ${r.stderr}`);
        }
      }
      const afterRefusals = hostState(ids);
      assert.deepEqual(afterRefusals, before, diff(before, afterRefusals));
      // check --fix has nothing of theirs to act on: no action names them, and nothing of theirs changes
      // (it may remove debris that is not theirs: the shells a runtime's delete leaves, say).
      const fix = checkJson(['--fix', '-y', '--only', 'hypervisor-dead,mounts-leaked,container-dead,sandbox-stale,empty-shell']);
      assert.deepEqual(
        (fix.json.actions ?? []).filter((a) => ids.includes(a.id)),
        [],
      );
      const theirs = (s: string[]) =>
        s.filter((l) => ids.some((id) => l.includes(id)) || (!l.startsWith('file /run/vc/sbs/') && !l.startsWith('file /var/lib/vc/sbs/')));
      const afterFix = hostState(ids);
      assert.deepEqual(theirs(afterFix), theirs(before), diff(theirs(before), theirs(afterFix)));
      for (const sb of [cli, ctrd]) assert.equal(lsJson().find((x) => x.id === sb.id)?.hypervisor.alive, true);
    });

    it('after a normal stop and delete vcstore finds nothing of them, or exactly what the runtime left', async (t) => {
      await stopDelete(cli);
      await stopDelete(ctrd);
      // What the runtime itself leaves after a normal delete (1.9's shim v2 leaves empty
      // /var/lib/vc/sbs/<id> and /run/vc/sbs/<id> shells: lock and raw/ only).
      const left = hostState(ids).filter((l) => ids.some((id) => l.includes(id)));
      const r = checkJson();
      const mine = about(r.json, ids);
      t.diagnostic(
        `left by the runtime: ${left.length ? left.map((l) => l.slice(0, 120)).join(' | ') : 'nothing'}; vcstore: ${mine.map((f) => `${f.code}:${f.id.slice(0, 12)}`).join(' ') || 'nothing'}`,
      );
      if (left.length === 0) {
        assert.deepEqual(mine, []);
        assert.deepEqual(
          lsJson().filter((x) => ids.includes(x.id)),
          [],
        );
        if (foreign(r.json, ids).length === 0) assert.equal(r.code, 0, r.stderr);
      } else {
        // Debris, never a live or dead sandbox: empty shells check --fix may remove.
        for (const f of mine) assert.ok(['empty-shell', 'config-shell'].includes(f.code) && f.fixable, JSON.stringify(f));
        const shells = new Set(left.filter((l) => l.startsWith('file ')).map((l) => ids.find((id) => l.includes(id))));
        assert.deepEqual(new Set(mine.map((f) => f.id)), shells, 'each shell is reported, nothing else');
        scrub(cli.id, cli.netns);
        scrub(ctrd.id, ctrd.netns);
      }
    });
  });
}
