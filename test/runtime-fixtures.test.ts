// needs: nothing
// The runtime's own output is the spec: two stores written by Kata's own Go
// code (1.x store with null devices and the pause container's ID equal to
// the sandbox's; the persist driver), every pid pointed at a live process of
// this test. A healthy host must pass `check`, `ls --json` must match what
// the runtime wrote, and `set` must write back every item byte for byte.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { hex64, namedProc, R, ROOT, run, scratch, snapshot, unpackFixture } from './helpers.js';

const { tmp, track } = scratch();

interface Summary {
  id: string;
  hypervisor: string;
  state: string;
  containers: { id: string; state: string }[];
}
const summary = (name: string): Summary[] => {
  const doc = JSON.parse(readFileSync(join(ROOT, 'test/fixtures', name), 'utf8'));
  return (doc.sandboxes ?? doc.items) as Summary[];
};

/** One live process whose arguments name every sandbox and container (as qemu's -name sandbox-<sid> and a shim's -container <cid> do). */
async function liveFor(ids: string[]): Promise<number> {
  const child = track(
    spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', '--', ...ids.flatMap((id) => ['-name', `sandbox-${id}`])], { stdio: 'ignore' }),
  );
  await once(child, 'spawn');
  return child.pid!;
}

/** show --json | set of every persist section and whole document, sandbox and container: the file is unchanged byte for byte. */
async function persistRoundTrip(p: string, want: Summary[], also: (file: string) => void = () => {}): Promise<void> {
  const src = tmp();
  for (const s of want) {
    const targets = [
      ...['persist', 'state', 'hypervisor', 'agent', 'network', 'devices', 'config'].map((i) => [i]),
      ...s.containers.flatMap((c) => ['persist', 'state', 'process', 'mounts', 'devices', 'rootfs'].map((i) => [c.id, i])),
    ];
    for (const args of targets) {
      const file = join(p, 'run/vc/sbs', s.id, ...(args.length === 2 ? [args[0]!] : []), 'persist.json');
      const old = readFileSync(file, 'utf8');
      const shown = await run(['--prefix', p, '--json', 'show', s.id, ...args]);
      assert.equal(shown.code, 0, `${s.id} ${args.join(' ')}: ${shown.stderr}`);
      writeFileSync(join(src, 'v.json'), shown.stdout);
      const r = await run(['--prefix', p, 'set', '--force', s.id, ...args, join(src, 'v.json')]);
      assert.equal(r.code, 0, `${s.id} ${args.join(' ')}: ${r.stderr}`);
      assert.equal(readFileSync(file, 'utf8'), old, `${s.id} ${args.join(' ')}`);
      also(file);
    }
  }
}

const sortById = <T extends { id: string }>(l: T[]) => [...l].sort((a, b) => (a.id < b.id ? -1 : 1));

describe('Kata 1.x store written by the runtime (12 sandboxes x 2 containers)', () => {
  let p: string;
  const want = summary('kata-1.x-store-12.summary.json');
  before(async () => {
    p = tmp();
    unpackFixture('kata-1.x-store-12.tar.gz', p);
    const pid = await liveFor(want.flatMap((s) => [s.id, ...s.containers.map((c) => c.id)]));
    const run = join(p, 'run/vc/sbs');
    for (const sid of readdirSync(run)) {
      // qemu keeps its pid in agent.json (built-in proxy); the others in hypervisor.json.
      for (const f of ['agent.json', 'hypervisor.json']) {
        const file = join(run, sid, f);
        writeFileSync(file, readFileSync(file, 'utf8').replace(/"(ProxyPid|PID)":\d+/g, `"$1":${pid}`));
      }
      for (const cid of readdirSync(join(run, sid)).filter((n) => /^[0-9a-f]{64}$/.test(n))) {
        const file = join(run, sid, cid, 'process.json');
        writeFileSync(file, readFileSync(file, 'utf8').replace(/"Pid":\d+/, `"Pid":${pid}`));
      }
    }
  });
  it('holds null devices, as the runtime writes them', () => {
    const sid = want[0]!.id;
    assert.equal(readFileSync(join(p, 'run/vc/sbs', sid, 'devices.json'), 'utf8'), 'null');
  });
  it('check reports nothing at all and exits 0', async () => {
    const r = await run(['--prefix', p, '--json', 'check']);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(
      doc.findings.map((f: { code: string; id: string; message: string }) => `${f.code} ${f.id} ${f.message}`),
      [],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(doc.summary.sandboxes, 12);
  });
  it('ls --json matches the summary exactly', async () => {
    const r = await run(['--prefix', p, '--json', 'ls', '--sort', 'id']);
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout).map((s: any) => ({
      id: s.id,
      hypervisor: s.hypervisor.type,
      state: s.state,
      containers: sortById(s.containers.map((c: any) => ({ id: c.id, state: c.state }))),
      alive: s.hypervisor.alive,
      problems: s.problems,
    }));
    assert.deepEqual(
      got,
      sortById(want).map((s) => ({ ...s, containers: sortById(s.containers), alive: true, problems: [] })),
    );
  });
  it('set writes back every item byte for byte', async () => {
    const src = tmp();
    const items = ['config', 'state', 'network', 'hypervisor', 'agent', 'devices'];
    const citems = ['config', 'state', 'process', 'mounts', 'devices'];
    const before = snapshot(p);
    let n = 0;
    for (const s of want) {
      const targets: [string[], string][] = [
        ...items.map((i) => [[i], i] as [string[], string]),
        ...s.containers.flatMap((c) => citems.map((i) => [[c.id, i], `${c.id}/${i}`] as [string[], string])),
      ];
      for (const [args, label] of targets) {
        const path = (await run(['--prefix', p, 'path', s.id, ...args])).stdout.trim();
        const copy = join(src, 'item.json');
        copyFileSync(path, copy);
        // --force: every hypervisor here is alive.
        const r = await run(['--prefix', p, 'set', '--force', s.id, ...args, copy]);
        assert.equal(r.code, 0, `${s.id} ${label}: ${r.stderr}`);
        assert.equal(readFileSync(path, 'utf8'), readFileSync(copy, 'utf8'), `${s.id} ${label}`);
        n++;
      }
    }
    assert.equal(n, 12 * 6 + 24 * 5);
    const after = snapshot(p);
    for (const [k, v] of before) assert.equal(after.get(k)?.split(':').slice(0, 3).join(':'), v.split(':').slice(0, 3).join(':'), k);
  });
});

describe('persist store written by the runtime (6 sandboxes x 2 containers)', () => {
  let p: string;
  const want = summary('kata-persist-store-6.summary.json');
  before(async () => {
    p = tmp();
    unpackFixture('kata-persist-store-6.tar.gz', p);
    const pid = await liveFor(want.flatMap((s) => [s.id, ...s.containers.map((c) => c.id)]));
    const run = join(p, 'run/vc/sbs');
    for (const sid of readdirSync(run)) {
      const files = [
        join(run, sid, 'persist.json'),
        ...readdirSync(join(run, sid))
          .filter((n) => !n.endsWith('.json'))
          .map((c) => join(run, sid, c, 'persist.json')),
      ];
      for (const f of files) writeFileSync(f, readFileSync(f, 'utf8').replace(/"Pid":\d+/g, `"Pid":${pid}`));
    }
  });
  it('check reports nothing at all and exits 0', async () => {
    const r = await run(['--prefix', p, '--json', 'check']);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(
      doc.findings.map((f: { code: string; id: string; message: string }) => `${f.code} ${f.id} ${f.message}`),
      [],
    );
    assert.equal(r.code, 0, r.stderr);
  });
  it('ls --json matches the summary exactly', async () => {
    const got = JSON.parse((await run(['--prefix', p, '--json', 'ls', '--sort', 'id'])).stdout).map((s: any) => ({
      id: s.id,
      hypervisor: s.hypervisor.type,
      state: s.state,
      containers: sortById(s.containers.map((c: any) => ({ id: c.id, state: c.state }))),
      layout: s.layout,
      problems: s.problems,
    }));
    assert.deepEqual(
      got,
      sortById(want).map((s) => ({ ...s, containers: sortById(s.containers), layout: 'persist', problems: [] })),
    );
  });
  it('set writes back the whole document and every section byte for byte', async () => {
    await persistRoundTrip(p, want);
  });
});

describe('Kata 3.x persist store written by the runtime (kata-containers main, Aug 2026: qemu, clh, firecracker)', () => {
  let p: string;
  const want = summary('kata3-persist-store-6.summary.json');
  before(async () => {
    p = tmp();
    unpackFixture('kata3-persist-store-6.tar.gz', p);
    // A live process for every recorded hypervisor pid; container pids stay -1 (3.x records none), a stopped
    // sandbox's empty hypervisor state stays pid 0.
    const pid = await liveFor(want.flatMap((s) => [s.id, ...s.containers.map((c) => c.id)]));
    const run = join(p, 'run/vc/sbs');
    for (const sid of readdirSync(run)) {
      const f = join(run, sid, 'persist.json');
      writeFileSync(f, readFileSync(f, 'utf8').replace(/"Pid":[1-9]\d*/g, `"Pid":${pid}`));
    }
  });
  it('ls --json matches the summary exactly: ids, hypervisors, states, containers', async () => {
    const got = JSON.parse((await run(['--prefix', p, '--json', 'ls', '--sort', 'id'])).stdout).map((s: any) => ({
      id: s.id,
      hypervisor: s.hypervisor.type,
      state: s.state,
      containers: sortById(s.containers.map((c: any) => ({ id: c.id, state: c.state, pid: c.pid }))),
      layout: s.layout,
    }));
    assert.deepEqual(
      got,
      sortById(want).map((s) => ({
        id: s.id,
        // A stopped sandbox's hypervisor state is empty (Type ""); its config names the hypervisor.
        hypervisor: s.hypervisor,
        state: s.state,
        containers: sortById(s.containers),
        layout: 'persist',
      })),
    );
  });
  it('check says nothing a healthy 3.x host would not: no problem at all', async () => {
    const r = await run(['--prefix', p, '--json', 'check']);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(
      doc.findings.map((f: { code: string; id: string; message: string }) => `${f.code} ${f.id} ${f.message}`),
      [],
    );
    assert.equal(r.code, 0, r.stderr);
  });
  it('pods and creation times from the runtime record', async () => {
    const list = JSON.parse((await run(['--prefix', p, '--json', 'ls'])).stdout);
    for (const s of list) {
      assert.match(`${s.pod.namespace}/${s.pod.name}`, /^[a-z-]+\/app-\d-[0-9a-f]{5}$/);
      assert.equal(s.createdFrom, 'runtime');
    }
    // Newest first: the fixture's sandboxes were started an hour apart.
    const created = list.map((s: { created: string }) => Date.parse(s.created));
    assert.deepEqual(
      created,
      [...created].sort((a: number, b: number) => b - a),
    );
  });
  it('set writes back the whole document and every section byte for byte: compact, newline, 0600', async () => {
    await persistRoundTrip(p, want, (file) => assert.equal(statSync(file).mode & 0o777, 0o600, file));
  });
});

describe('storage left after a pod is deleted on Kata 3.18 with sandbox_cgroup_only=true (kata-containers#11599)', () => {
  /** The shape the issue reports: persist.json and shim-monitor.sock, the shared dir's private/, mounts/watchable and shared, no container, no process. */
  async function leftover(p: string, sid: string): Promise<void> {
    const src = tmp();
    unpackFixture('kata3-persist-store-6.tar.gz', src);
    const stopped = '2231f708df7212833197efa992a63a1d535ce3bfee10c5064589480f60996829';
    const dir = join(p, 'run/vc/sbs', sid);
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(src, 'run/vc/sbs', stopped, 'persist.json'), join(dir, 'persist.json'));
    const server = createServer();
    await new Promise<void>((ok) => server.listen(join(dir, 'shim-monitor.sock'), ok));
    server.close(); // the socket file stays, as the shim's did
    const shared = join(p, 'run/kata-containers/shared/sandboxes', sid);
    for (const d of ['private/rootfs', 'mounts/watchable', 'shared']) mkdirSync(join(shared, d), { recursive: true });
  }
  it('check finds it (sandbox-stale) and --fix removes the store and the shared dir', async () => {
    const p = tmp();
    const sid = hex64(`${R}11599`);
    await leftover(p, sid);
    const c = JSON.parse((await run(['--prefix', p, '--json', 'check'])).stdout);
    assert.deepEqual(
      c.findings.map((f: { code: string; id: string; fixable: boolean }) => [f.code, f.id, f.fixable]),
      [['sandbox-stale', sid, true]],
    );
    const r = await run(['--prefix', p, 'check', '--fix']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(existsSync(join(p, 'run/vc/sbs', sid)), false);
    assert.equal(existsSync(join(p, 'run/kata-containers/shared/sandboxes', sid)), false);
  });
  it('the same shape with its shim alive is no leak: nothing reported, nothing touched', async () => {
    const p = tmp();
    const sid = hex64(`${R}11599live`);
    await leftover(p, sid);
    const shim = track(await namedProc('containerd-shim-kata-v2', ['-namespace', 'k8s.io', '-id', sid]));
    assert.ok(shim.pid);
    const before = snapshot(p);
    const c = JSON.parse((await run(['--prefix', p, '--json', 'check'])).stdout);
    assert.deepEqual(c.findings, []);
    await run(['--prefix', p, 'check', '--fix']);
    assert.deepEqual(snapshot(p), before);
  });
});

describe('odd but real: what the 3.x persist driver loads though it is not what it writes', () => {
  // persist/fs/fs.go loads with json.NewDecoder(f).Decode: the first value, keys matched case-insensitively,
  // unknown keys ignored, bytes after the object never read; PersistVersion is not checked on load (persist.go).
  const clh = '09f6bf0532be43a4cc5ad47f4c6c33209c33d0c972d19933d5ad4d581655f337';
  const hvs: ChildProcess[] = [];
  /** The fixture edited; `live`: a cloud-hypervisor naming the sandbox runs as its recorded pid. */
  async function variant(edit: (text: string) => string, live = true): Promise<{ p: string; file: string }> {
    const p = tmp();
    unpackFixture('kata3-persist-store-6.tar.gz', p);
    const file = join(p, 'run/vc/sbs', clh, 'persist.json');
    const hv = live ? track(await namedProc('cloud-hypervisor', ['--api-socket', `/run/vc/vm/${clh}/clh-api.sock`])) : undefined;
    if (hv) hvs.push(hv);
    writeFileSync(file, edit(readFileSync(file, 'utf8').replace(/"Pid":[1-9]\d*/, `"Pid":${hv?.pid ?? 1}`)));
    return { p, file };
  }
  const about = (findings: { id: string }[]) => findings.filter((f) => f.id === clh);
  for (const [name, edit] of [
    ['PersistVersion 3', (t: string) => t.replace('"PersistVersion":2', '"PersistVersion":3')],
    ['bytes after the object', (t: string) => `${t}}garbage{"State":"stopped"}\n`],
    ['keys in another case', (t: string) => t.replace('"State":"ready"', '"state":"ready"').replace('"HypervisorState"', '"hypervisorstate"')],
    ['a key it does not know', (t: string) => t.replace('{"CgroupPaths"', '{"FutureKey":{"a":[1,2]},"CgroupPaths"')],
  ] as const)
    it(`${name}: ls reads it as the driver does and check says nothing`, async () => {
      const { p } = await variant(edit);
      const s = JSON.parse((await run(['--prefix', p, '--json', 'ls'])).stdout).find((x: { id: string }) => x.id === clh);
      assert.deepEqual([s.state, s.hypervisor.type, s.hypervisor.alive], ['ready', 'clh', true]);
      const c = JSON.parse((await run(['--prefix', p, '--json', 'check'])).stdout);
      assert.deepEqual(about(c.findings), []);
    });
  it('the virtiofs daemon pid is a witness of its own, by its 3.x name and its 1.11 name: while a virtiofsd runs at that pid, rm refuses though the hypervisor is dead', async () => {
    // No VMM of the tests before names the sandbox any more: a running one would make it alive.
    for (const hv of hvs.splice(0)) if (hv.kill('SIGKILL')) await once(hv, 'exit');
    for (const key of ['VirtiofsDaemonPid', 'VirtiofsdPid']) {
      // Started with its socket as a descriptor: nothing in its arguments names the sandbox, only the store's pid does.
      const vfs = track(await namedProc('virtiofsd', ['--fd=3', '--shared-dir=/srv/other', '--cache=auto']));
      // Its hypervisor dead (no VMM names the sandbox; the recorded pid is init's now).
      const { p, file } = await variant((t) => t.replace(/"Pid":\d+/, '"Pid":1').replace(/"VirtiofsDaemonPid":\d+/, `"${key}":${vfs.pid}`), false);
      const doc = JSON.parse((await run(['--prefix', p, '--json', 'show', clh])).stdout);
      assert.deepEqual(doc.hypervisor.virtiofsd, { pid: vfs.pid, alive: true }, key);
      const shown = await run(['--prefix', p, 'show', clh]);
      assert.match(shown.stdout, new RegExp(`Virtiofsd   pid ${vfs.pid}  alive`));
      const before = snapshot(p);
      const rm = await run(['--prefix', p, 'rm', clh]);
      assert.equal(rm.code, 5, rm.stderr);
      assert.match(rm.stderr, new RegExp(`its virtiofs daemon pid ${vfs.pid} is alive`));
      assert.deepEqual(snapshot(p), before);
      vfs.kill('SIGKILL');
      await once(vfs, 'exit');
      assert.ok(existsSync(file));
    }
  });
});
