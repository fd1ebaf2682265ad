// Sandboxes of the real Kata 1.x runtime killed with -9 (qemu, kata-proxy,
// kata-shim; or the shim v2 and qemu): what vcstore check reports, and
// whether check --fix leaves the host as the runtime's own clean-up of an
// identical leak does. Two identical sandboxes are leaked; the runtime cleans
// one (kata-runtime delete -f; the shim v2's delete + ctr c rm) and vcstore
// the other; a live sandbox beside them is never touched.
//
// What check reports after the kill (the real runtime, measured):
// - CLI path, 1.9 and 1.13: hypervisor-dead (error, fixable), container-dead
//   (warning, for the container whose kata-shim pid is gone), mounts-leaked
//   (error: the container rootfs bind below the shared dir; on 1.13 also the
//   mounts/ -> shared/ bind and its propagated copy).
// - containerd path: hypervisor-dead and mounts-leaked (the container has no
//   pid of its own under shim v2, so no container-dead); the cgroups
//   default/kata_<id> are recorded by the store and go with the sandbox.
// The test prints the codes it saw (t.diagnostic) so a change shows up.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { about, checkJson, codesOf, foreign, lsJson, type Finding } from './common.js';
import {
  BUNDLES,
  cleanupAll,
  ctr,
  CTRNS,
  diff,
  forget,
  hostState,
  keepStore,
  kill9,
  netnsOf,
  normalised,
  others,
  PATHS,
  requireIsolated,
  type Role,
  runtimeCleanup,
  runtimeState,
  type Sandbox,
  start,
  VARIANTS,
  containerdGaveUp,
} from './harness.js';

const ORDER: Record<'cli' | 'ctr', Role[]> = { cli: ['qemu', 'proxy', 'shim'], ctr: ['shimv2', 'qemu'] };

for (const v of VARIANTS) {
  for (const path of PATHS) {
    describe(`${v} ${path}: sandboxes killed with -9, cleaned by vcstore and by the runtime`, () => {
      let a: Sandbox; // vcstore cleans this one
      let b: Sandbox; // the runtime cleans this one
      let live: Sandbox; // never touched
      let nsA: string | undefined;
      let nsB: string | undefined;
      let leaked: string[] = [];
      let runtimeCleaned: string[] = [];
      let fixed: string[] = [];
      before(async () => {
        requireIsolated();
        a = await start(v, path);
        b = await start(v, path);
        live = await start(v, path);
        nsA = netnsOf(a.id);
        nsB = netnsOf(b.id);
      });
      after(async () => {
        await cleanupAll();
      });

      it('kill -9 leaves two identical leaks, and check reports them (never the live one)', async (t) => {
        await kill9(a.id, ORDER[path]);
        await kill9(b.id, ORDER[path]);
        // containerd runs the dead shim's delete itself and gives up after 5 s: wait for that to end.
        if (path === 'ctr') for (const sb of [a, b]) await containerdGaveUp(sb.id);
        leaked = hostState([a.id, b.id, live.id]);
        keepStore(a, 'leaked');
        assert.ok(nsA && nsB, 'the store records each netns');
        assert.deepEqual(normalised(leaked, a.id, nsA), normalised(leaked, b.id, nsB), 'the two leaks are alike');
        assert.ok(
          leaked.some((l) => l.includes(`/run/netns/${nsA}`)),
          'the netns is left',
        );
        const r = checkJson();
        assert.equal(r.code, 6);
        const mine = about(r.json, [a.id]);
        t.diagnostic(`${v} ${path} findings: ${codesOf(mine).join(' ')}`);
        // The CLI's leak is vcstore's to fix; containerd's keeps its bundle rootfs mounted, and the sandbox is kept
        // (its store the only record of that mount) until containerd's teardown or an umount has undone it.
        assert.ok(
          mine.some((f) => f.code === 'hypervisor-dead' && f.fixable === (path === 'cli')),
          JSON.stringify(mine),
        );
        if (path === 'ctr') {
          const bundle = mine.find((f) => f.code === 'bundle-mounted') as (Finding & { next: string }) | undefined;
          assert.ok(bundle, JSON.stringify(mine));
          assert.equal(
            bundle.next,
            `containerd's teardown first: ctr -n ${CTRNS} tasks delete -f ${a.id}; ctr -n ${CTRNS} containers delete ${a.id}; once containerd no longer has it, umount ${BUNDLES}/${a.id}/rootfs`,
          );
        }
        assert.ok(
          mine.some((f) => f.code === 'mounts-leaked'),
          JSON.stringify(mine),
        );
        assert.deepEqual(codesOf(about(r.json, [b.id])), codesOf(mine));
        assert.deepEqual(about(r.json, [live.id]), [], 'nothing about the live sandbox');
      });

      it("the runtime's own clean-up of one", async () => {
        const r = await runtimeCleanup(b);
        assert.equal(r.code, 0, r.stderr);
        forget(b.id);
        runtimeCleaned = hostState([a.id, b.id, live.id]);
      });

      it('check --fix cleans the other as the runtime did: nothing of it left that the runtime removes', (t) => {
        if (path === 'ctr') {
          // bundle-mounted's next step, as printed: containerd's teardown, then the umount if the mount outlived it.
          const held = checkJson(['--fix', '-y', '--layout', v === 'abec' ? 'legacy' : 'persist']);
          assert.deepEqual(
            (held.json.actions ?? []).filter((x) => x.id === a.id && x.action !== 'left'),
            [],
            'nothing of it is removed while its bundle is mounted',
          );
          ctr(['tasks', 'delete', '-f', a.id]);
          ctr(['containers', 'delete', a.id]);
          const rootfs = `${BUNDLES}/${a.id}/rootfs`;
          const still = readFileSync('/proc/self/mountinfo', 'utf8')
            .split('\n')
            .some((l) => l.split(' ')[4] === rootfs);
          t.diagnostic(`after containerd's teardown the bundle rootfs is ${still ? 'still mounted: umount' : 'gone'}`);
          if (still) assert.equal(spawnSync('umount', [rootfs]).status, 0);
        }
        const before = checkJson();
        // Only the codes of our leak: a unit-test suite beside this one may have fake debris on this host.
        const codes = [...new Set(about(before.json, [a.id]).map((f) => f.code))];
        if (foreign(before.json, [a.id, b.id, live.id]).length) t.diagnostic(`foreign findings left alone: ${codesOf(foreign(before.json, [a.id])).join(' ')}`);
        // And only this layout's sandboxes: a selection leaves out the store-wide findings (Kata-named
        // cgroups with no store), which on a shared host may be another suite's.
        const fix = checkJson(['--fix', '-y', '--only', codes.join(','), '--layout', v === 'abec' ? 'legacy' : 'persist']);
        t.diagnostic(`actions: ${JSON.stringify((fix.json.actions ?? []).map((x) => [x.code, x.action, x.reason ?? '']))}`);
        assert.deepEqual(
          (fix.json.actions ?? []).filter((x) => x.id === live.id),
          [],
          'the live sandbox is not acted on',
        );
        fixed = hostState([a.id, b.id, live.id]);
        const byVcstore = normalised(fixed, a.id, nsA);
        const byRuntime = normalised(runtimeCleaned, b.id, nsB);
        assert.deepEqual(byVcstore, byRuntime, `left by vcstore (-) against left by the runtime (+):\n${diff(byVcstore, byRuntime)}`);
      });

      it('what belongs to no sandbox (the /run/netns self-bind, kata_vc, the store roots) is as the runtime leaves it', () => {
        const o1 = others(runtimeCleaned, [a.id, b.id], [nsA, nsB]);
        const o2 = others(fixed, [a.id, b.id], [nsA, nsB]);
        assert.deepEqual(o2, o1, diff(o1, o2));
      });

      it('the live sandbox beside them is untouched', () => {
        const mine = (s: string[]) => s.filter((l) => l.includes(live.id));
        assert.deepEqual(mine(fixed), mine(leaked), diff(mine(leaked), mine(fixed)));
        assert.equal(lsJson().find((x) => x.id === live.id)?.hypervisor.alive, true);
        if (path === 'cli') assert.equal(runtimeState(v, live.id)?.status, 'running');
        else assert.match(ctr(['task', 'ls']).stdout, new RegExp(`${live.id}\\s+\\d+\\s+RUNNING`));
      });

      it('afterwards check finds nothing about either leaked sandbox', () => {
        const r = checkJson();
        assert.deepEqual(about(r.json, [a.id, b.id]), []);
      });
    });
  }
}
