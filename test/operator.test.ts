// The operator's language: IDs as `ls` prints them (unique prefixes), pods
// by NAMESPACE/NAME read from the store (the annotations containerd's CRI
// writes, in the 1.x and persist layouts), the crictl-style filters, ages,
// and ambiguity that never reaches a destructive step.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addPersistSandbox, addRuntimeRsSandbox, addSandbox, criPod, deadPid, hex64, oneLine, R, scratch, snapshot, vci, vcp } from './helpers.js';

const { tmp } = scratch();
const ids = (out: string) => out.trim().split('\n').filter(Boolean);
const json = async (p: string, args: string[]) => JSON.parse((await vci(p, ['--json', ...args])).stdout);

/** Two sandboxes sharing a 12-character prefix, one more apart: IDs shaped as the runtime's. */
function prefixStore() {
  const p = tmp();
  const base = hex64(`${R}${Math.random()}`).slice(0, 20);
  const a = `${base}${hex64('a').slice(0, 44)}`;
  const b = `${base}${hex64('b').slice(0, 44)}`;
  const c = hex64(`${R}c${Math.random()}`);
  for (const [sid, state] of [
    [a, 'stopped'],
    [b, 'stopped'],
    [c, 'stopped'],
  ] as const)
    addSandbox(p, sid, {
      state,
      containers: [
        { id: sid, state },
        { id: `${sid.slice(0, 8)}${hex64(sid).slice(0, 56)}`, state },
      ],
    });
  return { p, a, b, c, base };
}

describe('unique-prefix IDs', () => {
  it('every command takes what ls prints; an exact ID wins; ambiguous is 2 listing them; none is 3', async () => {
    const { p, a, b, c, base } = prefixStore();
    const short = c.slice(0, 12);
    assert.ok((await vci(p, ['ls'])).stdout.includes(`${short} `), 'ls prints 12 characters');
    const show = await vci(p, ['show', short]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`^Sandbox\\s+${c}$`, 'm'));
    assert.equal((await json(p, ['show', short])).id, c);
    assert.equal((await vci(p, ['path', short])).stdout.split('\n')[0], `config ${join(p, 'var/lib/vc/sbs', c)}`);
    assert.equal((await vci(p, ['lock', short])).code, 0);
    assert.match((await vci(p, ['show', short, 'state'])).stdout, /"state": "stopped"/);
    // Ambiguous: exit 2, the matches listed, nothing read or changed.
    const before = snapshot(p);
    for (const cmd of [['show'], ['rm'], ['set', '--state', 'ready'], ['lock'], ['raw'], ['path']]) {
      const r = await vci(p, [...cmd.slice(0, 1), ...cmd.slice(1), base.slice(0, 14)]);
      oneLine(r, 2, cmd.join(' '));
      assert.ok(r.stderr.includes(a) && r.stderr.includes(b), r.stderr);
    }
    // Under --force a prefix names nothing at all: not found, whatever it would match.
    oneLine(await vci(p, ['rm', '-f', base.slice(0, 14)]), 3, 'rm -f of a prefix');
    assert.deepEqual(snapshot(p), before);
    // None: not found.
    oneLine(await vci(p, ['show', 'ffffffffffff0']), 3, 'show of a prefix of nothing');
    // An exact ID wins over being a prefix of another.
    const q = tmp();
    addSandbox(q, `${R}x`, { state: 'stopped' });
    addSandbox(q, `${R}xy`, { state: 'stopped' });
    assert.equal((await json(q, ['show', `${R}x`])).id, `${R}x`);
  });
  it('containers by prefix in show, set and rm -c; ambiguous 2, none 3', async () => {
    const { p, c } = prefixStore();
    const cid = `${c.slice(0, 8)}${hex64(c).slice(0, 56)}`;
    const r = await vci(p, ['show', c.slice(0, 12), cid.slice(0, 12)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Container\\s+${cid}$`, 'm'));
    assert.match((await vci(p, ['show', c.slice(0, 12), cid.slice(0, 12), 'process'])).stdout, /"Pid"/);
    // c and cid share 8 characters: a container prefix of 8 matches both containers.
    oneLine(await vci(p, ['show', c.slice(0, 12), c.slice(0, 8), 'state']), 2, 'ambiguous container prefix');
    oneLine(await vci(p, ['show', c.slice(0, 12), 'ffff0000', 'state']), 3, 'container prefix of nothing');
    const set = await vci(p, ['set', c.slice(0, 12), cid.slice(0, 12), '--state', 'ready']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stderr, new RegExp(`"${c.slice(0, 12)}" is sandbox ${c}`), 'says what the prefix resolved to');
    const rm = await vci(p, ['rm', '-c', cid.slice(0, 12), c.slice(0, 12)]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(existsSync(join(p, 'run/vc/sbs', c, cid)), false);
    assert.equal(existsSync(join(p, 'run/vc/sbs', c, c)), true);
  });
  it('rm of a short ID removes the sandbox; --force and --ignore-not-found take whole IDs only; an ID and its prefix remove it once', async () => {
    const { p, c, a } = prefixStore();
    const before = snapshot(p);
    for (const flag of ['--force', '--ignore-not-found']) {
      const no = await vci(p, ['rm', flag, c.slice(0, 12)]);
      assert.equal(no.code, flag === '--force' ? 3 : 0, no.stderr);
      assert.deepEqual(snapshot(p), before, `${flag} never resolves a prefix`);
    }
    const r = await vci(p, ['rm', c.slice(0, 12)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^sandbox ${c}: removed `));
    assert.equal(existsSync(join(p, 'run/vc/sbs', c)), false);
    const gone = await vci(p, ['rm', '--ignore-not-found', c.slice(0, 12)]);
    assert.equal(gone.code, 0);
    assert.equal(gone.stdout, `sandbox ${c.slice(0, 12)}: not found, ignored\n`);
    const twice = await json(p, ['rm', a, a.slice(0, 24)]);
    assert.deepEqual(
      twice.map((x: { id: string; status: string }) => [x.id, x.status]),
      [[a, 'removed']],
    );
  });
  it('an argument of 64 characters is only ever exact: a gone full ID never names a longer one', async () => {
    const p = tmp();
    const full = hex64(`${R}full`);
    addSandbox(p, `${full}-later`, { state: 'stopped' });
    const r = await vci(p, ['rm', '--ignore-not-found', full]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `sandbox ${full}: not found, ignored\n`);
    assert.ok(existsSync(join(p, 'run/vc/sbs', `${full}-later`)));
    oneLine(await vci(p, ['show', full]), 3, 'show of a gone full ID');
  });
});

/** A pod's sandbox in either layout, with the annotations containerd's CRI writes. */
function podSandbox(
  p: string,
  layout: 'legacy' | 'persist',
  sid: string,
  ns: string,
  name: string,
  o: { started?: string; state?: string; uid?: string; pid?: number } = {},
) {
  const uid = o.uid ?? hex64(`${sid}uid`).slice(0, 36);
  const app = `${sid.slice(0, 6)}app${hex64(sid).slice(0, 20)}`;
  const containers = [
    { id: sid, state: o.state ?? 'stopped', annotations: criPod(ns, name, uid, sid), ...(o.started ? { started: o.started } : {}) },
    { id: app, state: o.state ?? 'stopped', annotations: criPod(ns, name, uid, sid, 'web') },
  ];
  const pid = o.pid === undefined ? {} : { pid: o.pid };
  if (layout === 'legacy') addSandbox(p, sid, { state: o.state ?? 'stopped', containers, ...pid });
  else addPersistSandbox(p, sid, { state: o.state ?? 'stopped', containers, ...pid });
  return { uid, app };
}

describe('pods, read from the store', () => {
  for (const layout of ['legacy', 'persist'] as const)
    it(`${layout}: namespace, name and uid in ls, show and check; container names; a pod as a target`, async () => {
      const p = tmp();
      const sid = `${R}${layout}pod`;
      const { uid, app } = podSandbox(p, layout, sid, 'prod', 'web-2-acb33', { state: 'running' });
      addSandbox(p, `${R}nopod`, { state: 'stopped' });
      const list = await json(p, ['ls', '--sort', 'id']);
      const s = list.find((x: { id: string }) => x.id === sid);
      assert.deepEqual(s.pod, { namespace: 'prod', name: 'web-2-acb33', uid });
      assert.equal(list.find((x: { id: string }) => x.id === `${R}nopod`).pod, null);
      assert.equal(s.created, layout === 'legacy' ? '2026-11-27T15:49:09.722191Z' : '2026-11-27T15:49:09Z');
      assert.equal(s.createdFrom, 'runtime');
      const table = (await vci(p, ['ls'])).stdout;
      assert.match(table, /^ID\s+POD\s+STATE/);
      assert.match(table, new RegExp(`^${sid.slice(0, 12)}\\s+prod/web-2-acb33\\s+running`, 'm'));
      const shown = await json(p, ['show', 'prod/web-2-acb33']);
      assert.equal(shown.length, 1);
      assert.equal(shown[0].id, sid);
      assert.equal(shown[0].containers.find((c: { id: string }) => c.id === app).name, 'web');
      assert.match((await vci(p, ['show', 'prod/web-2-acb33'])).stdout, new RegExp(`^Pod\\s+prod/web-2-acb33  uid ${uid}$`, 'm'));
      assert.equal((await json(p, ['show', sid, app])).name, 'web');
      const findings = (await json(p, ['check'])).findings.filter((f: { id: string }) => f.id === sid);
      assert.ok(findings.length > 0);
      for (const f of findings) assert.deepEqual(f.pod, { namespace: 'prod', name: 'web-2-acb33', uid });
      // A pod target that names nothing: 3; a malformed one: 2, before anything.
      oneLine(await vci(p, ['show', 'prod/web-9']), 3, 'unknown pod');
      oneLine(await vci(p, ['rm', 'prod/../x']), 2, 'malformed pod');
      // By pod, the witnesses decide (its liveness cannot be told: 5); --force takes its whole ID only.
      const rm = await vci(p, ['rm', 'prod/web-2-acb33']);
      assert.equal(rm.code, 5, rm.stderr);
      assert.match(rm.stderr, new RegExp(`"prod/web-2-acb33" is sandbox ${sid}`));
      assert.equal((await vci(p, ['rm', '-f', sid])).code, 0);
      assert.equal(existsSync(join(p, 'run/vc/sbs', sid)), false);
    });
  it('a pod with two sandboxes (a leaked old one beside the new): show shows both, rm refuses (2) listing ID, age and state', async () => {
    const p = tmp();
    const old = `${R}old`;
    const cur = `${R}new`;
    podSandbox(p, 'persist', old, 'prod', 'web-2-acb33', { started: new Date(Date.now() - 3 * 86400e3).toISOString(), state: 'running' });
    podSandbox(p, 'persist', cur, 'prod', 'web-2-acb33', { started: new Date(Date.now() - 3600e3).toISOString(), state: 'ready' });
    const shown = await json(p, ['show', 'prod/web-2-acb33']);
    assert.deepEqual(shown.map((s: { id: string }) => s.id).sort(), [cur, old].sort());
    const text = (await vci(p, ['show', 'prod/web-2-acb33'])).stdout;
    assert.equal(text.match(/^Sandbox /gm)?.length, 2);
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
  it('older containerd (the log directory only), CRI-O, odd values: escaped in tables, cut past 48 characters there, whole in JSON', async () => {
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
    const table = (await vci(p, ['ls'])).stdout;
    assert.ok(!table.includes('\u001b'), 'no escape sequence reaches the terminal');
    assert.ok(!table.includes(long), 'cut in the table');
    assert.match(table, /ns\\x1b\[31m3\/xy+…/);
    assert.ok((await vci(p, ['ls', '--no-trunc'])).stdout.includes(long));
  });
  it('an annotation that is not valid UTF-8, and a spec with none: listed, never a failure', async () => {
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
    addSandbox(p, `${R}none`, { state: 'stopped' });
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
    assert.equal(list.find((s: { id: string }) => s.id === `${R}none`).pod, null);
    assert.equal((await vci(p, ['show', `${R}bin`])).code, 0);
  });
});

describe('filters, order and ages, the crictl way', () => {
  it('newest first by default; --sort; --state, --hypervisor, --layout, --problem, --older-than; -o wide', async () => {
    const p = tmp();
    const ago = (h: number) => new Date(Date.now() - h * 3600e3).toISOString();
    addSandbox(p, `${R}old`, { state: 'stopped', containers: [{ id: `${R}old`, state: 'stopped', started: ago(72) }] });
    addSandbox(p, `${R}mid`, { state: 'running', hypervisor: 'firecracker', pid: deadPid(), containers: [{ id: `${R}mid`, started: ago(5) }] });
    podSandbox(p, 'persist', `${R}new`, 'prod', 'web-0', { started: ago(0.05) });
    assert.deepEqual(ids((await vci(p, ['ls', '-q'])).stdout), [`${R}new`, `${R}mid`, `${R}old`]);
    assert.deepEqual(ids((await vci(p, ['ls', '-q', '--sort', 'id'])).stdout), [`${R}mid`, `${R}new`, `${R}old`]);
    assert.deepEqual(ids((await vci(p, ['ls', '-q', '--sort', 'state'])).stdout), [`${R}mid`, `${R}new`, `${R}old`]);
    assert.deepEqual(ids((await vci(p, ['ls', '-q', '--hypervisor', 'firecracker'])).stdout), [`${R}mid`]);
    assert.deepEqual(ids((await vci(p, ['ls', '-q', '--layout', 'persist'])).stdout), [`${R}new`]);
    assert.deepEqual(ids((await vci(p, ['ls', '-q', '--problem', 'hypervisor-dead'])).stdout), [`${R}mid`]);
    assert.deepEqual(ids((await vci(p, ['ls', '-q', '--older-than', '1h'])).stdout), [`${R}mid`, `${R}old`]);
    assert.deepEqual(ids((await vci(p, ['ls', '-q', '--older-than', '2d'])).stdout), [`${R}old`]);
    const t = (await vci(p, ['ls'])).stdout;
    assert.match(t, new RegExp(`^${R}old\\s+-\\s+stopped.*\\s3d\\s`, 'm'));
    assert.match(t, new RegExp(`^${R}mid\\s+-\\s+running.*\\s5h\\s`, 'm'));
    assert.match(t, new RegExp(`^${R}new\\s+prod/web-0\\s+stopped.*\\s[23]m\\s`, 'm'));
    const wide = (await vci(p, ['ls', '-o', 'wide'])).stdout;
    assert.match(wide, /^ID\s+POD\s+STATE\s+HYPERVISOR\s+PID\s+ALIVE\s+CONTAINERS\s+AGE\s+CREATED\s+LAYOUT\s+LOCK\s+PROBLEMS$/m);
    assert.deepEqual(JSON.parse((await vci(p, ['ls', '-o', 'json'])).stdout).length, 3);
    for (const bad of [
      ['--sort', 'size'],
      ['--older-than', 'soon'],
      ['--layout', 'x'],
      ['--problem', 'nope'],
      ['-o', 'yaml'],
      ['--pod', 'a/b/c'],
    ])
      oneLine(await vci(p, ['ls', ...bad]), 2, bad.join(' '));
  });
  it('check takes the same selection: one namespace checked and fixed alone', async () => {
    const p = tmp();
    podSandbox(p, 'persist', `${R}p1`, 'prod', 'a-0', { state: 'running', pid: deadPid() });
    podSandbox(p, 'persist', `${R}s1`, 'staging', 'a-0', { state: 'running', pid: deadPid() });
    const c = await json(p, ['check', '-n', 'staging']);
    assert.deepEqual([...new Set(c.findings.map((f: { id: string }) => f.id))], [`${R}s1`]);
    assert.equal(c.summary.sandboxes, 1);
    const fix = await vci(p, ['check', '--fix', '-n', 'staging']);
    assert.equal(fix.code, 0, fix.stdout + fix.stderr);
    assert.equal(existsSync(join(p, 'run/vc/sbs', `${R}s1`)), false);
    assert.ok(existsSync(join(p, 'run/vc/sbs', `${R}p1`)), 'the other namespace untouched');
    oneLine(vcp(p, ['check', '--format', 'prometheus', '-n', 'prod']), 2, 'metrics cover the whole store');
  });
});

describe('the second look, as a hostile operator (each failed before its fix)', () => {
  it('an exact ID wins in every root: a VM dir alone named "web" is not "web2"', async () => {
    const p = tmp();
    addSandbox(p, `${R}web2`, { state: 'stopped' });
    mkdirSync(join(p, 'run/vc/vm', `${R}web`), { recursive: true });
    writeFileSync(join(p, 'run/vc/vm', `${R}web`, 'pid'), String(deadPid()));
    const r = await vci(p, ['rm', `${R}web`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(join(p, 'run/vc/vm', `${R}web`)), false);
    assert.ok(existsSync(join(p, 'run/vc/sbs', `${R}web2`)), 'web2 untouched');
  });
  it('rm of a name run twice never reaches its neighbour: only 64-hex IDs are reached by a prefix to change something', async () => {
    const p = tmp();
    addSandbox(p, `${R}web`, { state: 'stopped' });
    addSandbox(p, `${R}web2`, { state: 'stopped' });
    assert.equal((await vci(p, ['rm', `${R}web`])).code, 0);
    const before = snapshot(p);
    for (const args of [
      ['rm', `${R}web`],
      ['set', `${R}web`, '--state', 'ready'],
      ['lock', `${R}web`, '--', 'true'],
      ['raw', `${R}web`],
    ]) {
      const r = await vci(p, args);
      oneLine(r, 2, args.join(' '));
      assert.match(r.stderr, new RegExp(`${R}web2 starts with it`));
    }
    assert.deepEqual(snapshot(p), before);
    // Reading still takes any prefix, and path says what it resolved to.
    assert.equal((await json(p, ['show', `${R}web`])).id, `${R}web2`);
    const path = await vci(p, ['path', `${R}web`]);
    assert.match(path.stderr, new RegExp(`is sandbox ${R}web2`));
  });
  it('1.x: a container claiming another pod, or a config cut short, makes the pod unknown, and a pod target refuses to change anything', async () => {
    const p = tmp();
    podSandbox(p, 'legacy', `${R}a`, 'prod', 'web-0');
    podSandbox(p, 'legacy', `${R}b`, 'prod', 'web-1', { state: 'stopped' });
    // One container of b claims prod/web-0 in the sandbox's config.json: which pod b is cannot be told.
    const cfg = join(p, 'var/lib/vc/sbs', `${R}b`, 'config.json');
    const doc = JSON.parse(readFileSync(cfg, 'utf8'));
    doc.Containers[1]._ = { annotations: criPod('prod', 'web-0', 'u', `${R}b`, 'web') };
    doc.Containers[0]._ = { annotations: criPod('prod', 'web-1', 'u', `${R}b`) };
    writeFileSync(cfg, JSON.stringify(doc));
    assert.deepEqual(
      (await json(p, ['show', 'prod/web-0'])).map((s: { id: string }) => s.id),
      [`${R}a`],
    );
    assert.equal((await json(p, ['show', `${R}b`])).pod, null);
    const before = snapshot(p);
    const r = await vci(p, ['rm', 'prod/web-0']);
    oneLine(r, 2, 'rm by pod beside a sandbox whose pod cannot be told');
    assert.match(r.stderr, new RegExp(`the pod of ${R}b cannot be read`));
    // Cut short: the same.
    writeFileSync(cfg, JSON.stringify({ ...doc, Containers: [] }).slice(0, 40));
    oneLine(await vci(p, ['rm', 'prod/web-0']), 2, 'rm by pod beside a half-written config');
    assert.deepEqual(snapshot(p).get(join(p, 'var/lib/vc/sbs', `${R}a`, 'config.json')), before.get(join(p, 'var/lib/vc/sbs', `${R}a`, 'config.json')));
    assert.ok(existsSync(join(p, 'run/vc/sbs', `${R}a`)));
  });
  it("completion's light pod read offers exactly the pods ls shows, in every layout and for the odd configs", async () => {
    const p = tmp();
    podSandbox(p, 'legacy', `${R}l1`, 'prod', 'web-0');
    podSandbox(p, 'persist', `${R}p1`, 'stage', 'db-0');
    podSandbox(p, 'legacy', `${R}l2`, 'prod', 'web-1');
    podSandbox(p, 'legacy', `${R}l3`, 'dev', 'cut-0');
    podSandbox(p, 'legacy', `${R}l4`, 'dev', 'esc-0');
    addRuntimeRsSandbox(p, `${R}r1`);
    addSandbox(p, `${R}n1`, { state: 'stopped' });
    // Two pods claimed in one config: unknown. Cut short before the end: still the pod it names.
    const cfg = (sid: string) => join(p, 'var/lib/vc/sbs', sid, 'config.json');
    const doc = JSON.parse(readFileSync(cfg(`${R}l2`), 'utf8'));
    doc.Containers[1]._ = { annotations: criPod('prod', 'other-0', 'u', `${R}l2`, 'web') };
    writeFileSync(cfg(`${R}l2`), JSON.stringify(doc));
    writeFileSync(cfg(`${R}l3`), readFileSync(cfg(`${R}l3`), 'utf8').slice(0, -5));
    // A key's text inside another annotation's value names nothing.
    const esc = JSON.parse(readFileSync(cfg(`${R}l4`), 'utf8'));
    esc.Containers[0]._.annotations['x'] = '{"io.kubernetes.cri.sandbox-name":"evil-0"}';
    writeFileSync(cfg(`${R}l4`), JSON.stringify(esc));
    const listed = (await json(p, ['ls'])) as { pod: { namespace: string | null; name: string | null } | null }[];
    const want = [...new Set(listed.flatMap((s) => (s.pod?.namespace && s.pod.name ? [`${s.pod.namespace}/${s.pod.name}`] : [])))].sort();
    assert.deepEqual(want, ['dev/cut-0', 'dev/esc-0', 'prod/web-0', 'stage/db-0']);
    assert.deepEqual(vcp(p, ['__complete', '--', 'show', 'd']).stdout.split('\n').filter(Boolean), ['dev/cut-0', 'dev/esc-0']);
    assert.deepEqual(vcp(p, ['__complete', '--', 'show', 'x/']).stdout, '');
    assert.deepEqual(vcp(p, ['__complete', '--', 'ls', '--pod', '']).stdout.split('\n').filter(Boolean), want);
    assert.deepEqual(vcp(p, ['__complete', '--', 'ls', '-n', '']).stdout, 'dev\nprod\nstage\n');
  });
  it('completion offers no annotation text that is no Kubernetes name, and never a directive from the store', () => {
    const p = tmp();
    for (const [sid, ns, name] of [
      [`${R}g1`, 'prod', 'x$(touch${IFS}/tmp/PWNED)'],
      [`${R}g2`, 'prod', '*'],
      [`${R}g3`, ':dirs', 'a'],
      [`${R}g4`, 'prod', 'ok-0'],
    ] as const)
      addPersistSandbox(p, sid, {
        state: 'stopped',
        containers: [{ id: sid, state: 'stopped', annotations: { 'io.kubernetes.cri.sandbox-namespace': ns, 'io.kubernetes.cri.sandbox-name': name } }],
      });
    assert.equal(vcp(p, ['__complete', '--', 'show', 'prod/']).stdout, 'prod/ok-0\n');
    assert.equal(vcp(p, ['__complete', '--', 'ls', '-n', '']).stdout, 'prod\n');
  });
  it('uuid free 8 (no such slot) is a usage error, never a sandbox prefix; --hypervisor and --older-than are checked; bidi controls are escaped', async () => {
    const p = tmp();
    addSandbox(p, `8${R}`, { state: 'stopped' });
    oneLine(await vci(p, ['uuid', 'free', '8']), 2, 'uuid free 8');
    oneLine(await vci(p, ['ls', '--hypervisor', 'QEMU']), 2, '--hypervisor QEMU');
    oneLine(await vci(p, ['ls', '--older-than', '9'.repeat(400) + 'd']), 2, 'an infinite duration');
    assert.match((await vci(p, ['ls', '--older-than', ''])).stderr, /invalid --older-than "":/);
    addPersistSandbox(p, `${R}rtl`, {
      state: 'stopped',
      containers: [
        { id: `${R}rtl`, state: 'stopped', annotations: { 'io.kubernetes.cri.sandbox-namespace': 'a\u202eb', 'io.kubernetes.cri.sandbox-name': 'c\u2028d' } },
      ],
    });
    const t = (await vci(p, ['ls'])).stdout;
    assert.ok(!/[\u202e\u2028]/.test(t));
    assert.ok(t.includes('a\\u202eb/c\\u2028d'));
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

describe('completion offers what the sandbox at hand has', () => {
  it('a 1.x sandbox without network.json: show is not offered network, set is (it may write it anew)', () => {
    const p = tmp();
    addSandbox(p, `${R}cn`, { state: 'stopped' });
    const show = vcp(p, ['__complete', '--', 'show', `${R}cn`, '']).stdout.split('\n');
    assert.ok(show.includes('State') && show.includes('Hypervisor'), show.join(' '));
    assert.ok(!show.includes('Network'), show.join(' '));
    const set = vcp(p, ['__complete', '--', 'set', `${R}cn`, '']).stdout.split('\n');
    assert.ok(set.includes('Network'), set.join(' '));
  });
});
