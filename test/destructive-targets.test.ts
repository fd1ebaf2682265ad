// needs: nothing
// One meaning per flag, and an ID that never widens between two runs:
// --force overrides the witnesses and nothing else; --ignore-not-found makes
// a missing sandbox exit 0 and overrides nothing; under either, only a
// whole ID that is there names a sandbox (no prefix, no pod).
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addPersistSandbox, addSandbox, criPod, deadPid, hex64, namedProc, oneLine, R, scratch, snapshot, vci } from './helpers.js';

const { tmp } = scratch();

/** A live sandbox `X…` (64 hex, its qemu running) and an orphan VM dir named exactly X, its first 12 characters. */
async function liveBesideShort(): Promise<{ p: string; live: string; short: string }> {
  const p = tmp();
  const live = hex64(`${R}live${Math.random()}`);
  const short = live.slice(0, 12);
  addSandbox(p, live, { state: 'running', hypervisor: 'qemu', pid: deadPid() });
  await namedProc('qemu-system-x86_64', ['-name', `sandbox-${live}`]);
  mkdirSync(join(p, 'run/vc/vm', short), { recursive: true });
  writeFileSync(join(p, 'run/vc/vm', short, 'pid'), String(deadPid()));
  return { p, live, short };
}

describe('rm -f X run twice never reaches a sandbox the first run did not name', () => {
  for (const flag of ['--force', '--ignore-not-found'])
    it(`rm ${flag} X: the first run removes exactly X, the second finds nothing (the live X… is never reached)`, async () => {
      const { p, live, short } = await liveBesideShort();
      const first = await vci(p, ['rm', flag, short]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(existsSync(join(p, 'run/vc/vm', short)), false);
      const before = snapshot(p);
      const second = await vci(p, ['rm', flag, short]);
      assert.equal(second.code, flag === '--force' ? 3 : 0, second.stderr);
      if (flag === '--force') assert.match(second.stderr, /--force takes whole IDs only, never a prefix/);
      else assert.equal(second.stdout, `sandbox ${short}: not found, ignored\n`);
      assert.deepEqual(snapshot(p), before, 'the live sandbox is untouched');
      assert.ok(existsSync(join(p, 'run/vc/sbs', live)));
    });

  it('set -f and uuid free -f take whole IDs only; a pod under --force or --ignore-not-found is a usage error', async () => {
    const p = tmp();
    const sid = hex64(`${R}pod${Math.random()}`);
    addPersistSandbox(p, sid, {
      state: 'running',
      pid: deadPid(),
      containers: [{ id: sid, state: 'running', pid: -1, annotations: criPod('prod', 'web-1', 'u1', sid) }],
    });
    const before = snapshot(p);
    oneLine(await vci(p, ['set', '-f', sid.slice(0, 12), '--state', 'stopped']), 3, 'set -f of a prefix');
    for (const flag of ['--force', '--ignore-not-found']) {
      const r = await vci(p, ['rm', flag, 'prod/web-1']);
      oneLine(r, 2, `rm ${flag} of a pod`);
      assert.match(r.stderr, /acts only on whole sandbox IDs, not on pod/);
    }
    assert.deepEqual(snapshot(p), before);
    // Whole, it goes through.
    assert.equal((await vci(p, ['set', '-f', sid, '--state', 'stopped'])).code, 0);
  });
});

describe('--ignore-not-found is not --force', () => {
  it('a live sandbox is still refused (5) under --ignore-not-found; a missing one is exit 3 under --force', async () => {
    const p = tmp();
    const live = hex64(`${R}ign${Math.random()}`);
    addSandbox(p, live, { state: 'running', hypervisor: 'qemu', pid: deadPid() });
    await namedProc('qemu-system-x86_64', ['-name', `sandbox-${live}`]);
    const before = snapshot(p);
    oneLine(await vci(p, ['rm', '--ignore-not-found', live]), 5, 'rm --ignore-not-found of a live sandbox');
    assert.deepEqual(snapshot(p), before);
    const gone = await vci(p, ['--json', 'rm', '--force', `${R}nothere`]);
    assert.equal(gone.code, 3);
    assert.equal(JSON.parse(gone.stdout)[0].status, 'absent');
    const fine = await vci(p, ['--json', 'rm', '--ignore-not-found', `${R}nothere`, live]);
    assert.equal(fine.code, 5, 'the worst part decides: the live one');
    assert.deepEqual(
      JSON.parse(fine.stdout).map((x: any) => [x.status, x.exitCode]),
      [
        ['absent', 0],
        ['error', 5],
      ],
    );
  });
});
