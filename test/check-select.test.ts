// needs: nothing
// What check looks at and what --fix touches, steered by a person: the
// selection ls takes (-n, --pod) and --only CODE. Nothing outside the
// selection is reported or changed; an unknown code changes nothing.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addPersistSandbox, addSandbox, criPod, deadPid, oneLine, podSandbox, R, scratch, snapshot, vci, vcp, writeUuidStore } from './helpers.js';

const { tmp } = scratch();
const json = async (p: string, args: string[]) => JSON.parse((await vci(p, ['--json', ...args])).stdout);
const criPodOf = (name: string, sid: string) => criPod('prod', name, `${name}-uid`, sid);

describe('check takes the selection ls takes', () => {
  /** Two dead sandboxes of one pod name, in prod and in staging. */
  function twoNamespaces(): string {
    const p = tmp();
    podSandbox(p, 'persist', `${R}p1`, 'prod', 'a-0', { state: 'running', pid: deadPid() });
    podSandbox(p, 'persist', `${R}s1`, 'staging', 'a-0', { state: 'running', pid: deadPid() });
    return p;
  }
  it('check -n checks one namespace alone', async () => {
    const p = twoNamespaces();
    const c = await json(p, ['check', '-n', 'staging']);
    assert.deepEqual([...new Set(c.findings.map((f: { id: string }) => f.id))], [`${R}s1`]);
    assert.equal(c.summary.sandboxes, 1);
  });
  it('check --fix -n fixes one namespace alone', async () => {
    const p = twoNamespaces();
    const fix = await vci(p, ['check', '--fix', '-n', 'staging']);
    assert.equal(fix.code, 0, fix.stdout + fix.stderr);
    assert.equal(existsSync(join(p, 'run/vc/sbs', `${R}s1`)), false);
    assert.ok(existsSync(join(p, 'run/vc/sbs', `${R}p1`)), 'the other namespace untouched');
  });
  it('check --format prometheus takes no selection (2): metrics cover the whole store', () => {
    const p = twoNamespaces();
    oneLine(vcp(p, ['check', '--format', 'prometheus', '-n', 'prod']), 2, 'metrics cover the whole store');
  });
  it('check --fix --pod fixes and reports only its own pod: no other sandbox, no orphan VM dir', async () => {
    const q = tmp();
    addPersistSandbox(q, `${R}a1`, { state: 'running', pid: deadPid(), containers: [{ id: `${R}a1`, pid: -1, annotations: criPodOf('a', `${R}a1`) }] });
    addPersistSandbox(q, `${R}b1`, { state: 'running', pid: deadPid(), containers: [{ id: `${R}b1`, pid: -1, annotations: criPodOf('b', `${R}b1`) }] });
    mkdirSync(join(q, 'run/vc/vm', `${R}orphan`), { recursive: true });
    const sel = await json(q, ['check', '--fix', '--pod', 'prod/a']);
    assert.deepEqual(sel.remaining, []);
    assert.equal(existsSync(join(q, 'run/vc/sbs', `${R}b1`)), true);
    assert.equal(existsSync(join(q, 'run/vc/vm', `${R}orphan`)), true);
  });
});

describe('--only CODE', () => {
  /** A dead 1.x sandbox (hypervisor-dead) and a stale persist one (sandbox-stale). */
  function twoCodes(): string {
    const p = tmp();
    addSandbox(p, `${R}o1`, { state: 'running', pid: deadPid() });
    addPersistSandbox(p, `${R}o2`, { state: 'stopped', containers: [] });
    return p;
  }
  it('--only with an unknown code is exit 2 with one line, and --fix changes nothing', async () => {
    const p = twoCodes();
    const before = snapshot(p);
    const bad = await vci(p, ['check', '--fix', '--only', 'hypervisor-dead,nope']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.deepEqual(snapshot(p), before);
  });
  it('--only limits what is reported and what --fix touches', async () => {
    const p = twoCodes();
    const r = await json(p, ['check', '--fix', '--only', 'sandbox-stale']);
    assert.deepEqual(
      r.findings.map((f: any) => f.code),
      ['sandbox-stale'],
    );
    assert.equal(existsSync(join(p, 'run/vc/sbs', `${R}o2`)), false);
    assert.equal(existsSync(join(p, 'run/vc/sbs', `${R}o1`)), true);
  });
  it('--fix --only never frees the UUID slots of another code', async () => {
    const p = tmp();
    addSandbox(p, `${R}h1`, { state: 'running', pid: deadPid() });
    writeUuidStore(p, [0, 0, 1, 0, 0, 0, 0, 0]);
    const only = await json(p, ['check', '--fix', '--only', 'hypervisor-dead']);
    assert.deepEqual(
      only.actions.map((a: any) => a.code),
      ['hypervisor-dead'],
    );
    assert.match(readFileSync(join(p, 'var/lib/vc/uuid/uuid.json'), 'utf8'), /\[0,0,1,/, 'the leaked slot stays: not asked for');
  });
  it('--only rejects what only looks like a code (toString, __proto__, constructor): 2', async () => {
    const q = tmp();
    addPersistSandbox(q, `${R}a1`, { state: 'running', pid: deadPid(), containers: [{ id: `${R}a1`, pid: -1, annotations: criPodOf('a', `${R}a1`) }] });
    for (const bad of ['toString', '__proto__', 'constructor']) assert.equal((await vci(q, ['check', '--only', bad])).code, 2, bad);
  });
});
