// Kata pods made through containerd's CRI, as kubelet makes them: containerd
// 1.6 with its CRI plugin and a `kata` runtime handler (runtime_type
// io.containerd.kata.v2, the real shim v2 of each version), the pod's sandbox
// run, stopped and removed with the CRI's own calls. The store then carries
// exactly the annotations containerd's CRI writes, and check --cri asks that
// containerd. The leak operators report: the shim and its VM killed with -9,
// containerd's own clean-up of the dead shim (bounded by its timeout) over,
// the pod NOTREADY. vcstore's findings and next steps must lead from there to
// a clean host.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CriClient, criContainerd } from '../cri-pods.js';
import { about, checkJson, codesOf, lsJson, vcs, type Finding } from './common.js';
import { binPath, config, hostState, kill9, netnsOf, poll, requireIsolated, sandboxProcs, scrub, VARIANTS } from './harness.js';

/** Every trace of a sandbox on the host: the Kata paths, processes, netns and cgroups (hostState), any mount or cgroup naming it anywhere. */
function traces(id: string, netns: string | undefined): string[] {
  const mine = (l: string) => l.includes(id) || (netns !== undefined && l.includes(netns));
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(mine)
    .map((l) => `mount ${l.split(' ')[4]}`);
  const cgroups = spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '4', '-type', 'd', '-name', `*${id}*`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
    .map((d) => `cgroup ${d}`);
  return [...new Set([...hostState([id]).filter(mine), ...mounts, ...cgroups])].sort();
}

for (const v of VARIANTS) {
  describe(`${v}: Kata pods through containerd's CRI (handler kata)`, () => {
    const dir = mkdtempSync('/tmp/vck-');
    let sock = '';
    let stop: () => Promise<void> = () => Promise.resolve();
    let cri: CriClient;
    const made: { id: string; netns?: string }[] = [];
    before(async () => {
      requireIsolated();
      ({ sock, stop } = await criContainerd(dir, {
        extra: ['[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]', '  runtime_type = "io.containerd.kata.v2"'],
        env: { PATH: binPath(v), KATA_CONF_FILE: config(v) },
      }));
      cri = new CriClient(sock);
    });
    after(async () => {
      await stop();
      for (const m of made) scrub(m.id, m.netns ?? netnsOf(m.id));
    });
    const pod = (tag: string) => ({ name: `kata-${tag}-${Math.random().toString(36).slice(2, 7)}`, namespace: 'prod', uid: `uid-${tag}` });
    const run = async (tag: string) => {
      const meta = pod(tag);
      const id = await cri.run(meta, 'kata');
      const m = { id, netns: netnsOf(id) };
      made.push(m);
      await poll(() => sandboxProcs(id).qemu, `the qemu of ${id}`);
      return { id, meta, m };
    };

    it('a live pod: ls names it from the annotations containerd wrote, check --cri is silent, rm refuses while containerd has it', async (t) => {
      const { id, meta } = await run('live');
      const entry = lsJson().find((e) => e.id === id) as unknown as { pod?: { namespace: string; name: string } };
      assert.deepEqual([entry?.pod?.namespace, entry?.pod?.name], [meta.namespace, meta.name], JSON.stringify(entry));
      const c = checkJson([`--cri=unix://${sock}`]);
      assert.deepEqual(codesOf(about(c.json, [id])), []);
      assert.equal(c.json.summary.cri && (c.json.summary.cri as { runtime: string }).runtime, 'containerd');
      const rm = vcs(['rm', `--cri=${sock}`, id]);
      assert.equal(rm.code, 5, rm.stderr);
      await cri.stop(id);
      await cri.remove(id);
      await poll(() => Object.keys(sandboxProcs(id)).length === 0, `the processes of ${id} to end`);
      // What the runtime's own teardown leaves (1.9's shim re-opens the store after deleting it: empty dirs with a lock
      // and raw/), check finds and --fix removes; after that the host is clean.
      const left = traces(id, made.find((m) => m.id === id)?.netns);
      t.diagnostic(`${v} after a normal CRI stop and remove, the runtime left: ${left.length ? left.join('; ') : 'nothing'}`);
      if (left.length) {
        const found = about(checkJson([`--cri=unix://${sock}`]).json, [id]);
        assert.ok(found.length > 0 && found.every((f) => f.fixable), JSON.stringify(found));
        vcs(['check', '--fix', `--cri=unix://${sock}`]);
      }
      assert.deepEqual(traces(id, made.find((m) => m.id === id)?.netns), []);
    });

    it("killed with -9: the pod goes NOTREADY and cri-notready says kubelet's teardown comes first; crictl rmp, then check --fix, leave nothing of it", async (t) => {
      const { id, m } = await run('killed');
      m.netns = netnsOf(id);
      await kill9(id, ['shimv2', 'qemu']);
      // containerd's clean-up of the dead shim runs its delete once, bounded by its timeout: wait until it is over.
      await poll(
        () => !spawnSync('pgrep', ['-f', `containerd-shim-kata-v2 .*-id ${id}.* delete`]).stdout.length,
        'containerd to give up on the dead shim',
        60_000,
      );
      const notReady = await poll(
        () => {
          const j = checkJson([`--cri=unix://${sock}`]).json;
          return about(j, [id]).some((f) => f.code === 'cri-notready') ? j : undefined;
        },
        'containerd to report the pod NOTREADY',
        120_000,
      );
      const mine = about(notReady, [id]);
      t.diagnostic(`${v} killed, NOTREADY: ${codesOf(mine).join(' ')}`);
      assert.ok(
        mine.every((f) => f.severity === 'info' && !f.fixable),
        JSON.stringify(mine),
      );
      const step = (mine.find((f) => f.code === 'cri-notready') as unknown as { next: string }).next;
      assert.ok(step.endsWith(`crictl --runtime-endpoint unix://${sock} rmp ${id}`), step);
      // check --fix touches nothing of a pod containerd still has.
      const before = traces(id, m.netns);
      const held = vcs(['--json', 'check', '--fix', `--cri=unix://${sock}`]);
      assert.deepEqual(traces(id, m.netns), before, held.stdout);

      // The next step, as crictl rmp makes it.
      await cri.remove(id);
      let left = about(checkJson([`--cri=unix://${sock}`]).json, [id]);
      t.diagnostic(`${v} after crictl rmp: ${codesOf(left).join(' ') || 'nothing'}`);
      // containerd's bundle rootfs outlives the pod it forgot: its umount is the next step, and the sandbox waits for it.
      const bundle = left.find((f) => f.code === 'bundle-mounted') as (Finding & { next: string }) | undefined;
      if (bundle) {
        assert.ok(
          left.every((f) => !f.fixable),
          JSON.stringify(left),
        );
        assert.match(bundle.next, /^umount \/tmp\/vck-[^ ]+\/rootfs$/);
        assert.equal(spawnSync('sh', ['-c', bundle.next]).status, 0, bundle.next);
        left = about(checkJson([`--cri=unix://${sock}`]).json, [id]);
      }
      assert.ok(left.length > 0 && left.every((f) => f.fixable), JSON.stringify(left));
      const fix = vcs(['--json', 'check', '--fix', `--cri=unix://${sock}`]);
      assert.ok([0, 6].includes(fix.code ?? -1), fix.stderr);
      assert.deepEqual(codesOf(about(checkJson([`--cri=unix://${sock}`]).json, [id])), []);
      assert.deepEqual(traces(id, m.netns), [], 'a clean host');
    });
  });
}
