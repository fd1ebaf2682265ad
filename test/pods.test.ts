// needs: nothing
// Pods read from the store (src/store/layouts/pod.ts): NAMESPACE/NAME and
// uid from the annotations containerd's CRI writes (1.x and persist layouts),
// older containerd's log directory and CRI-O's annotations; a pod as a
// target, and ambiguity that never reaches a destructive step. How odd pod
// names are printed: test/render-safe.test.ts; completion of pods:
// test/completion-candidates.test.ts.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addPersistSandbox, addSandbox, criPod, oneLine, podSandbox, R, scratch, snapshot, vci } from './helpers.js';

const { tmp } = scratch();
const ids = (out: string) => out.trim().split('\n').filter(Boolean);
const json = async (p: string, args: string[]) => JSON.parse((await vci(p, ['--json', ...args])).stdout);

describe('pods, read from the store', () => {
  for (const layout of ['legacy', 'persist'] as const) {
    /** A running pod's sandbox beside a sandbox of no pod. */
    const podStore = () => {
      const p = tmp();
      const sid = `${R}${layout}pod`;
      const { uid, app } = podSandbox(p, layout, sid, 'prod', 'web-2-acb33', { state: 'running' });
      addSandbox(p, `${R}nopod`, { state: 'stopped' });
      return { p, sid, uid, app };
    };
    it(`${layout}: ls --json gives the pod's namespace, name and uid (null for no pod) and the creation time the runtime recorded`, async () => {
      const { p, sid, uid } = podStore();
      const list = await json(p, ['ls', '--sort', 'id']);
      const s = list.find((x: { id: string }) => x.id === sid);
      assert.deepEqual(s.pod, { namespace: 'prod', name: 'web-2-acb33', uid });
      assert.equal(list.find((x: { id: string }) => x.id === `${R}nopod`).pod, null);
      assert.equal(s.created, layout === 'legacy' ? '2026-11-27T15:49:09.722191Z' : '2026-11-27T15:49:09Z');
      assert.equal(s.createdFrom, 'runtime');
    });
    it(`${layout}: the ls table has a POD column with NAMESPACE/NAME`, async () => {
      const { p, sid } = podStore();
      const table = (await vci(p, ['ls'])).stdout;
      assert.match(table, /^ID\s+POD\s+STATE/);
      assert.match(table, new RegExp(`^${sid.slice(0, 12)}\\s+prod/web-2-acb33\\s+running`, 'm'));
    });
    it(`${layout}: show takes NAMESPACE/NAME and shows the pod and its containers' names`, async () => {
      const { p, sid, uid, app } = podStore();
      const shown = await json(p, ['show', 'prod/web-2-acb33']);
      assert.equal(shown.length, 1);
      assert.equal(shown[0].id, sid);
      assert.equal(shown[0].containers.find((c: { id: string }) => c.id === app).name, 'web');
      assert.match((await vci(p, ['show', 'prod/web-2-acb33'])).stdout, new RegExp(`^Pod\\s+prod/web-2-acb33  uid ${uid}$`, 'm'));
      assert.equal((await json(p, ['show', sid, app])).name, 'web');
    });
    it(`${layout}: every check finding of a pod's sandbox carries the pod`, async () => {
      const { p, sid, uid } = podStore();
      const findings = (await json(p, ['check'])).findings.filter((f: { id: string }) => f.id === sid);
      assert.ok(findings.length > 0);
      for (const f of findings) assert.deepEqual(f.pod, { namespace: 'prod', name: 'web-2-acb33', uid });
    });
    it(`${layout}: a pod target that names nothing is 3; a malformed one is 2, before anything`, async () => {
      const { p } = podStore();
      oneLine(await vci(p, ['show', 'prod/web-9']), 3, 'unknown pod');
      oneLine(await vci(p, ['rm', 'prod/../x']), 2, 'malformed pod');
    });
    it(`${layout}: rm by pod leaves it to the witnesses (liveness unknown: 5); --force takes its whole ID only`, async () => {
      const { p, sid } = podStore();
      const rm = await vci(p, ['rm', 'prod/web-2-acb33']);
      assert.equal(rm.code, 5, rm.stderr);
      assert.match(rm.stderr, new RegExp(`"prod/web-2-acb33" is sandbox ${sid}`));
      assert.equal((await vci(p, ['rm', '-f', sid])).code, 0);
      assert.equal(existsSync(join(p, 'run/vc/sbs', sid)), false);
    });
  }

  /** One pod with two sandboxes: a leaked old one beside the new. */
  function twoSandboxPod() {
    const p = tmp();
    const old = `${R}old`;
    const cur = `${R}new`;
    podSandbox(p, 'persist', old, 'prod', 'web-2-acb33', { started: new Date(Date.now() - 3 * 86400e3).toISOString(), state: 'running' });
    podSandbox(p, 'persist', cur, 'prod', 'web-2-acb33', { started: new Date(Date.now() - 3600e3).toISOString(), state: 'ready' });
    return { p, old, cur };
  }
  it('show of a pod with two sandboxes (a leaked old one beside the new) shows both', async () => {
    const { p, old, cur } = twoSandboxPod();
    const shown = await json(p, ['show', 'prod/web-2-acb33']);
    assert.deepEqual(shown.map((s: { id: string }) => s.id).sort(), [cur, old].sort());
    const text = (await vci(p, ['show', 'prod/web-2-acb33'])).stdout;
    assert.equal(text.match(/^Sandbox /gm)?.length, 2);
  });
  it('rm, set and lock of a pod with two sandboxes refuse (2) listing ID, age and state, with nothing changed', async () => {
    const { p, old, cur } = twoSandboxPod();
    const before = snapshot(p);
    for (const args of [
      ['rm', 'prod/web-2-acb33'],
      ['set', 'prod/web-2-acb33', '--state', 'stopped'],
      ['lock', 'prod/web-2-acb33'],
    ]) {
      const r = await vci(p, args);
      oneLine(r, 2, args.join(' '));
      assert.match(r.stderr, new RegExp(`${old} \\(created 3d ago, running\\)`));
      assert.match(r.stderr, new RegExp(`${cur} \\(created 60m ago, ready\\)`));
    }
    assert.deepEqual(snapshot(p), before);
  });
  it('pods of one name in two namespaces; --pod NAME takes both, NAMESPACE/NAME one', async () => {
    const p = tmp();
    podSandbox(p, 'legacy', `${R}a`, 'prod', 'db-0');
    podSandbox(p, 'persist', `${R}b`, 'staging', 'db-0');
    assert.deepEqual(ids((await vci(p, ['ls', '-q', '--sort', 'id', '--pod', 'db-0'])).stdout), [`${R}a`, `${R}b`]);
    assert.deepEqual(ids((await vci(p, ['ls', '-q', '--pod', 'staging/db-0'])).stdout), [`${R}b`]);
    assert.deepEqual(ids((await vci(p, ['ls', '-q', '-n', 'prod'])).stdout), [`${R}a`]);
    assert.equal((await json(p, ['show', 'prod/db-0']))[0].id, `${R}a`);
  });
  it("the pod is read from older containerd's log directory and from CRI-O's annotations, and odd values are kept whole in JSON", async () => {
    const p = tmp();
    addPersistSandbox(p, `${R}old`, {
      state: 'stopped',
      containers: [{ id: `${R}old`, state: 'stopped', annotations: { 'io.kubernetes.cri.sandbox-log-directory': '/var/log/pods/ns1_pod-a_1234-5678' } }],
    });
    addPersistSandbox(p, `${R}crio`, {
      state: 'stopped',
      containers: [
        {
          id: `${R}crio`,
          state: 'stopped',
          annotations: {
            'io.kubernetes.cri-o.Namespace': 'ns2',
            'io.kubernetes.cri-o.KubeName': 'pod-b',
            'io.kubernetes.cri-o.Labels': JSON.stringify({ 'io.kubernetes.pod.uid': 'uid-b', 'io.kubernetes.pod.name': 'pod-b' }),
          },
        },
      ],
    });
    const long = `x${'y'.repeat(80)}`;
    addPersistSandbox(p, `${R}odd`, {
      state: 'stopped',
      containers: [
        { id: `${R}odd`, state: 'stopped', annotations: { 'io.kubernetes.cri.sandbox-namespace': 'ns\u001b[31m3', 'io.kubernetes.cri.sandbox-name': long } },
      ],
    });
    const list = await json(p, ['ls']);
    const pod = (id: string) => list.find((s: { id: string }) => s.id === id).pod;
    assert.deepEqual(pod(`${R}old`), { namespace: 'ns1', name: 'pod-a', uid: '1234-5678' });
    assert.deepEqual(pod(`${R}crio`), { namespace: 'ns2', name: 'pod-b', uid: 'uid-b' });
    assert.deepEqual(pod(`${R}odd`), { namespace: 'ns\u001b[31m3', name: long, uid: null });
  });
  it('an annotation that is not valid UTF-8 reads as Go reads it (a U+FFFD per bad byte): listed and shown, no problem, no finding', async () => {
    const p = tmp();
    addPersistSandbox(p, `${R}bin`, {
      state: 'stopped',
      containers: [
        { id: `${R}bin`, state: 'stopped', annotations: { 'io.kubernetes.cri.sandbox-namespace': 'NSX', 'io.kubernetes.cri.sandbox-name': 'NAMEX' } },
      ],
    });
    const f = join(p, 'run/vc/sbs', `${R}bin`, 'persist.json');
    const raw = readFileSync(f);
    const at = raw.indexOf('NAMEX');
    writeFileSync(f, Buffer.concat([raw.subarray(0, at), Buffer.from([0xff, 0xfe]), raw.subarray(at + 5)]));
    const r = await vci(p, ['--json', 'ls']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout);
    // As Go's decoder reads it (the runtime loads such a file): each bad byte a U+FFFD, no problem.
    const bin = list.find((s: { id: string }) => s.id === `${R}bin`);
    assert.equal(bin.pod.name, '\ufffd\ufffd');
    assert.deepEqual(bin.problems, []);
    assert.deepEqual(
      (await json(p, ['check'])).findings.filter((f: { id: string }) => f.id === `${R}bin`),
      [],
    );
    assert.equal((await vci(p, ['show', `${R}bin`])).code, 0);
  });
  it('a sandbox whose spec has no pod annotations has pod null', async () => {
    const p = tmp();
    addSandbox(p, `${R}none`, { state: 'stopped' });
    const r = await vci(p, ['--json', 'ls']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).find((s: { id: string }) => s.id === `${R}none`).pod, null);
  });
});

describe('a 1.x sandbox whose pod cannot be told (each failed before its fix)', () => {
  /** prod/web-0 in a, and b whose config.json has one container claiming prod/web-0 and one prod/web-1. */
  function claimed() {
    const p = tmp();
    podSandbox(p, 'legacy', `${R}a`, 'prod', 'web-0');
    podSandbox(p, 'legacy', `${R}b`, 'prod', 'web-1', { state: 'stopped' });
    const cfg = join(p, 'var/lib/vc/sbs', `${R}b`, 'config.json');
    const doc = JSON.parse(readFileSync(cfg, 'utf8'));
    doc.Containers[1]._ = { annotations: criPod('prod', 'web-0', 'u', `${R}b`, 'web') };
    doc.Containers[0]._ = { annotations: criPod('prod', 'web-1', 'u', `${R}b`) };
    writeFileSync(cfg, JSON.stringify(doc));
    return { p, cfg, doc };
  }
  const aConfig = (p: string) => join(p, 'var/lib/vc/sbs', `${R}a`, 'config.json');
  it('1.x: a container claiming another pod makes the pod unknown: it names no pod and joins none', async () => {
    const { p } = claimed();
    assert.deepEqual(
      (await json(p, ['show', 'prod/web-0'])).map((s: { id: string }) => s.id),
      [`${R}a`],
    );
    assert.equal((await json(p, ['show', `${R}b`])).pod, null);
  });
  it('1.x: rm by pod refuses (2) beside a sandbox whose pod cannot be read, naming it', async () => {
    const { p } = claimed();
    const before = snapshot(p);
    const r = await vci(p, ['rm', 'prod/web-0']);
    oneLine(r, 2, 'rm by pod beside a sandbox whose pod cannot be told');
    assert.match(r.stderr, new RegExp(`the pod of ${R}b cannot be read`));
    assert.deepEqual(snapshot(p).get(aConfig(p)), before.get(aConfig(p)));
    assert.ok(existsSync(join(p, 'run/vc/sbs', `${R}a`)));
  });
  it('1.x: rm by pod refuses (2) beside a config cut short', async () => {
    const { p, cfg, doc } = claimed();
    const before = snapshot(p);
    writeFileSync(cfg, JSON.stringify({ ...doc, Containers: [] }).slice(0, 40));
    oneLine(await vci(p, ['rm', 'prod/web-0']), 2, 'rm by pod beside a half-written config');
    assert.deepEqual(snapshot(p).get(aConfig(p)), before.get(aConfig(p)));
    assert.ok(existsSync(join(p, 'run/vc/sbs', `${R}a`)));
  });
});

describe('a bare pod name gets a hint', () => {
  it('show web-1 is not found (3) and names default/web-1 when a pod of that name is in the store', async () => {
    const p = tmp();
    podSandbox(p, 'persist', `${R}h1`, 'default', 'web-1');
    podSandbox(p, 'legacy', `${R}h2`, 'stage', 'web-1');
    const r = await vci(p, ['show', 'web-1']);
    oneLine(r, 3, 'show of a bare pod name');
    assert.match(r.stderr, /did you mean default\/web-1 or stage\/web-1\?/);
    const none = await vci(p, ['show', 'web-2']);
    assert.doesNotMatch(none.stderr, /did you mean/);
  });
});
