// Faults mid-life with the real Kata 1.x runtime: `kata-runtime run` is
// watched while it creates the sandbox, and killed part-way. While the
// runtime process still works on the sandbox, vcstore must never call it dead
// (ls alive=false, or a fixable finding about it), and never remove it.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { about, checkJson, codesOf, lsJson, vcs } from './common.js';
import {
  cleanupAll,
  cliRunStart,
  forget,
  gone,
  hostState,
  K,
  kill9,
  netnsOf,
  newId,
  poll,
  qemuSettled,
  reaped,
  requireIsolated,
  sandboxProcs,
  scrub,
  VARIANTS,
} from './harness.js';

/** When the runtime is killed: as soon as its store appears, or once qemu runs. */
const POINTS = ['store', 'qemu'] as const;

for (const v of VARIANTS) {
  describe(`${v}: kata-runtime run watched while it creates the sandbox, then killed part-way`, () => {
    before(() => requireIsolated());
    after(async () => {
      await cleanupAll();
    });

    for (const point of POINTS) {
      it(`killed once ${point === 'store' ? 'its store appears' : 'qemu runs'}: never called dead while the runtime works, never removed while qemu lives`, async (t) => {
        const id = newId();
        const nsBefore = new Set(readdirSync('/run/netns'));
        const run = cliRunStart(v, id);
        const calledDead: string[] = [];
        let looks = 0;
        // Watch: every vcstore look while the runtime process is at work.
        for (const end = Date.now() + 60_000; Date.now() < end && !gone(run.pid);) {
          const ready = point === 'store' ? existsSync(`/run/vc/sbs/${id}`) : sandboxProcs(id).qemu !== undefined;
          if (ready) break;
          if (!existsSync(`/run/vc/sbs/${id}`)) continue;
          looks++;
          const e = lsJson().find((x) => x.id === id);
          const running = !gone(run.pid);
          if (running && e?.hypervisor.alive === false)
            calledDead.push(`ls: state ${e.state}, alive false, problems ${e.problems.map((p) => p.code).join(',')}`);
          const c = checkJson();
          const fixable = about(c.json, [id]).filter((f) => f.fixable);
          if (!gone(run.pid) && fixable.length) calledDead.push(`check: fixable ${fixable.map((f) => `${f.code}: ${f.message}`).join('; ')}`);
        }
        assert.ok(!gone(run.pid), `kata-runtime run ended before the kill point (${point})`);
        // One more look right at the kill point, the runtime still at work.
        const e = lsJson().find((x) => x.id === id);
        const c = checkJson();
        t.diagnostic(
          `${v} at '${point}' (${looks} looks before): ls ${JSON.stringify(e && { state: e.state, alive: e.hypervisor.alive, unknown: e.hypervisor.unknown })}; check ${codesOf(about(c.json, [id])).join(' ')}`,
        );
        if (!gone(run.pid) && e?.hypervisor.alive === false) calledDead.push(`ls at the kill point: state ${e.state}, alive false`);
        const fixable = about(c.json, [id]).filter((f) => f.fixable);
        if (!gone(run.pid) && fixable.length) calledDead.push(`check at the kill point: fixable ${fixable.map((f) => `${f.code}: ${f.message}`).join('; ')}`);
        // What check --fix would do right now, the runtime still at work.
        const plan = checkJson(['--fix', '--dry-run']);
        const wouldRemove = (plan.json.actions ?? []).filter((x) => x.id === id && !/^(left|skipped)/.test(x.action));
        if (!gone(run.pid) && wouldRemove.length) calledDead.push(`check --fix --dry-run at the kill point: ${JSON.stringify(wouldRemove)}`);

        process.kill(run.pid, 'SIGKILL');
        await run.done;
        await poll(() => reaped(run.pid), 'kata-runtime to be reaped');
        await qemuSettled(id);
        const ps = sandboxProcs(id);
        const netns = netnsOf(id);
        t.diagnostic(`left running after the kill: ${Object.keys(ps).join(' ') || 'nothing'}`);
        const leftState = hostState([id]);
        if (ps.qemu) {
          // qemu is alive: the sandbox is not dead, whatever else the runtime did not finish.
          const rm = vcs(['rm', id]);
          assert.equal(rm.code, 5, `rm while qemu lives: ${rm.stderr}`);
          const fix = checkJson(['--fix', '-y', '--only', 'hypervisor-dead,mounts-leaked,container-dead,sandbox-stale,empty-shell,liveness-unknown']);
          assert.deepEqual(
            (fix.json.actions ?? []).filter((x) => x.id === id && /remov/.test(x.action)),
            [],
          );
          assert.deepEqual(hostState([id]), leftState, 'nothing changed while qemu lives');
        }

        // The runtime's own clean-up of what the killed run left, then vcstore finds nothing of it.
        if (Object.keys(ps).length) await kill9(id, ['shim', 'proxy', 'qemu']);
        const d = K(v, ['delete', '-f', id]);
        t.diagnostic(`kata-runtime delete -f: exit ${d.code} ${d.stderr.trim().slice(0, 200)}`);
        forget(id);
        const after = checkJson();
        t.diagnostic(`check after the runtime's delete -f: ${codesOf(about(after.json, [id])).join(' ') || 'nothing'}`);
        // What the runtime could not clean after a create killed part-way goes by hand: the next test starts clean.
        // 1.13 killed before persist.json records the netns: the one it made is the new entry in /run/netns.
        const made = netns ?? readdirSync('/run/netns').find((n) => !nsBefore.has(n));
        const left = scrub(id, made);
        t.diagnostic(`left by the runtime, scrubbed by hand: ${left.map((l) => l.replaceAll(id, '<ID>').slice(0, 140)).join(' | ') || 'nothing'}`);
        // Asserted last, so that the clean-up above runs either way.
        assert.deepEqual(calledDead, [], 'vcstore called the sandbox dead while kata-runtime was creating it');
      });
    }
  });
}
