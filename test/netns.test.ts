// needs: root (network namespaces, nsfs bind mounts)
// Network namespaces are part of the sandbox: the one the runtime made
// (NetNsCreated / NetworkCreated) goes with the sandbox's removal, as the
// runtime's own delete takes it (unmount MNT_DETACH, remove the file);
// never one it did not make, never one a live process uses. Real nsfs bind
// mounts of real network namespaces, made by unshare(1).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addPersistSandbox, addSandbox, deadPid, isRoot, mountsAt, oneLine, R, registerMount, scratch, snapshot, vci } from './helpers.js';

const { tmp } = scratch();
const json = async (p: string, args: string[]) => JSON.parse((await vci(p, ['--json', ...args])).stdout);

/** A network namespace no process is in, bound at `<p>/run/netns/<name>` as `ip netns add` (and the runtime) leave it. */
function netns(p: string, name: string, inUseBy?: 'me'): string {
  const file = join(p, 'run/netns', name);
  mkdirSync(join(p, 'run/netns'), { recursive: true });
  writeFileSync(file, '');
  const r =
    inUseBy === 'me'
      ? spawnSync('mount', ['--bind', `/proc/${process.pid}/ns/net`, file], { encoding: 'utf8' })
      : spawnSync('unshare', ['--net', 'mount', '--bind', '/proc/self/ns/net', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  registerMount(file);
  return file;
}

/** A dead persist sandbox whose Network records `name` (2.4+ keys). */
function deadWith(p: string, sid: string, name: string, created: boolean): void {
  addPersistSandbox(p, sid, { state: 'running', pid: deadPid() });
  const file = join(p, 'run/vc/sbs', sid, 'persist.json');
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  doc.Network = { NetworkID: `/var/run/netns/${name}`, NetworkCreated: created, Endpoints: [] };
  writeFileSync(file, `${JSON.stringify(doc)}\n`, { mode: 0o600 });
}

describe('the network namespace the runtime made goes with its sandbox', { skip: !isRoot && 'needs root to mount' }, () => {
  it('persist (NetworkCreated): show names it, check reports netns-leaked, check --fix unmounts and removes it with the store', async () => {
    const p = tmp();
    const sid = `${R}ns${Math.random().toString(36).slice(2, 8)}`;
    const name = `cnitest-${sid}`;
    const file = netns(p, name);
    deadWith(p, sid, name, true);
    const shown = await json(p, ['show', sid]);
    assert.deepEqual(shown.netns, { path: `/var/run/netns/${name}`, created: true });
    const c = await json(p, ['check']);
    const f = c.findings.find((x: any) => x.code === 'netns-leaked');
    assert.deepEqual([f?.id, f?.fixable, f?.evidence.path, f?.evidence.mounted], [sid, true, file, true]);
    const plan = await json(p, ['check', '--fix', '--dry-run']);
    assert.ok(plan.actions[0].paths.includes(file), JSON.stringify(plan.actions));
    const r = await vci(p, ['check', '--fix']);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(existsSync(join(p, 'run/vc/sbs', sid)), false);
    assert.equal(mountsAt(file), 0);
    assert.equal(existsSync(file), false);
  });

  it('1.x network.json (NetNsCreated): rm takes it too', async () => {
    const p = tmp();
    const sid = `${R}nx${Math.random().toString(36).slice(2, 8)}`;
    const name = `cnitest-${sid}`;
    const file = netns(p, name);
    addSandbox(p, sid, { state: 'running', pid: deadPid() });
    writeFileSync(join(p, 'run/vc/sbs', sid, 'network.json'), JSON.stringify({ NetNsPath: `/var/run/netns/${name}`, NetNsCreated: true, Endpoints: [] }));
    const r = await vci(p, ['rm', sid]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(file), false);
  });

  it("one the runtime did not make (the CRI's) is never touched; one a live process uses refuses the removal (5), nothing changed", async () => {
    const p = tmp();
    const theirs = `${R}nc${Math.random().toString(36).slice(2, 8)}`;
    const cni = netns(p, `cni-${theirs}`);
    deadWith(p, theirs, `cni-${theirs}`, false);
    const c = await json(p, ['check']);
    assert.ok(!c.findings.some((f: any) => f.code === 'netns-leaked'));
    assert.equal((await vci(p, ['rm', theirs])).code, 0);
    assert.equal(mountsAt(cni), 1, "the CRI's namespace stays");

    const q = tmp();
    const used = `${R}nu${Math.random().toString(36).slice(2, 8)}`;
    netns(q, `cnitest-${used}`, 'me');
    deadWith(q, used, `cnitest-${used}`, true);
    const j = await json(q, ['check']);
    const f = j.findings.find((x: any) => x.code === 'netns-leaked');
    assert.deepEqual([f?.severity, f?.fixable], ['error', false]);
    assert.ok(f.evidence.users.includes(process.pid));
    const before = snapshot(q);
    oneLine(await vci(q, ['rm', used]), 5, 'rm of a sandbox whose namespace is in use');
    await vci(q, ['check', '--fix']);
    assert.deepEqual(snapshot(q), before);
  });
});
