// needs: root (runs containerd, mounts, a mount namespace)
// The container manager asked through the CRI (check --cri, rm): real pods
// made through containerd's CRI plugin (runc, the default handler; Kata's
// handler is in the real-runtime suite, test/kata), a protocol-level fake of
// CRI-O, and crictl's endpoint rules (--cri, CONTAINER_RUNTIME_ENDPOINT,
// crictl.yaml, the default sockets).
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CriClient, criContainerd, fakeCrio } from './cri-pods.js';
import { addPersistSandbox, BIN, cleanup, criPod, deadPid, hex64, mountsAt, R, scratch, snapshot, tmpfsAt, vci } from './helpers.js';

const { tmp } = scratch();
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const sid = (tag: string) => hex64(`${R}${tag}${Math.random()}`);
const about = (j: any, id: string) => j.findings.filter((f: any) => f.id === id).map((f: any) => `${f.code}:${f.fixable}`);
const crioPod = (ns: string, name: string) => ({ 'io.kubernetes.cri-o.Namespace': ns, 'io.kubernetes.cri-o.KubeName': name });

/** A dead Kata pod sandbox in the store `p`, with containerd's CRI annotations or CRI-O's. */
function deadPod(p: string, id: string, manager: 'containerd' | 'cri-o' = 'containerd', name = `web-${id.slice(0, 5)}`): void {
  addPersistSandbox(p, id, {
    state: 'running',
    pid: deadPid(),
    containers: [{ id, state: 'running', pid: -1, annotations: manager === 'containerd' ? criPod('prod', name, 'u1', id) : crioPod('prod', name) }],
  });
}

/** A directory with a crictl that does nothing: the next steps name crictl when it is on PATH. */
function crictlDir(): string {
  const bin = tmp();
  writeFileSync(join(bin, 'crictl'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(bin, 'crictl'), 0o755);
  return bin;
}

/** vcstore on the host's own store (no --prefix) in a mount namespace of its own: tmpfs over /run and /var/lib/vc, `setup` run first. Asynchronous: a fake served by this process must go on answering. */
async function onHost(args: string[], setup = '', env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount -t tmpfs vcstore-test /run && mkdir -p /run/vc/sbs && { [ ! -d /var/lib/vc ] || mount -t tmpfs vcstore-test /var/lib/vc; } && ${setup || 'true'} && exec "$@"`,
      'sh',
      process.execPath,
      BIN,
      ...args,
    ],
    { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

const root = process.geteuid?.() === 0;
const skipContainerd = !root
  ? 'needs root to run containerd'
  : have('containerd') && have('ctr') && have('runc')
    ? false
    : 'containerd or runc not installed (.ci/run installs them)';

describe('containerd through its CRI plugin, with real pods (runc)', { skip: skipContainerd }, () => {
  // A short path: the sockets containerd makes under it must fit sun_path.
  const dir = mkdtempSync('/tmp/vcr-');
  let sock = '';
  let stop: () => Promise<void> = () => Promise.resolve();
  let cri: CriClient;
  before(async () => {
    ({ sock, stop } = await criContainerd(dir));
    cri = new CriClient(sock);
  });
  after(async () => {
    await stop();
  });
  const pod = (tag: string) => ({ name: `web-${tag}-${Math.random().toString(36).slice(2, 7)}`, namespace: 'prod', uid: `u-${tag}` });

  it('a READY pod whose sandbox is dead is cri-stuck (crictl stopp and rmp next); stopped, it is cri-notready, said and left to kubelet; removed, it is cri-unknown and check --fix removes the store', async () => {
    const meta = pod('life');
    const id = await cri.run(meta);
    const p = tmp();
    deadPod(p, id, 'containerd', meta.name);
    const PATH = `${crictlDir()}:${process.env.PATH}`;
    const endpoint = `unix://${sock}`;
    const check = async () => JSON.parse((await vci(p, ['--json', 'check', `--cri=${endpoint}`], { env: { PATH } })).stdout);

    const ready = await check();
    assert.deepEqual(about(ready, id).sort(), ['cri-stuck:false', 'hypervisor-dead:false']);
    assert.equal(ready.summary.cri.runtime, 'containerd');
    assert.equal(ready.summary.cri.api, 'v1');
    const stuck = ready.findings.find((f: any) => f.code === 'cri-stuck');
    assert.equal(stuck.next, `crictl --runtime-endpoint unix://${sock} stopp ${id} && crictl --runtime-endpoint unix://${sock} rmp ${id}`);
    assert.equal(stuck.evidence.manager, 'containerd');
    assert.equal(stuck.pod.name, meta.name);
    const before = snapshot(p);
    await vci(p, ['check', '--fix', `--cri=${endpoint}`]);
    const rm = await vci(p, ['rm', `--cri=${endpoint}`, id]);
    assert.equal(rm.code, 5, rm.stderr);
    assert.match(
      rm.stderr,
      new RegExp(
        `containerd still has its pod prod/${meta.name}; crictl --runtime-endpoint ${endpoint} stopp ${id} && crictl --runtime-endpoint ${endpoint} rmp ${id}`,
      ),
    );
    assert.deepEqual(snapshot(p), before, 'nothing changed while the pod is READY');

    await cri.stop(id);
    const notReady = await check();
    assert.deepEqual(about(notReady, id).sort(), ['cri-notready:false', 'hypervisor-dead:false']);
    // Said, not alarmed about: info, exit 0, nobody's to do.
    assert.ok(
      notReady.findings.filter((f: any) => f.id === id).every((f: any) => f.severity === 'info'),
      JSON.stringify(notReady.findings),
    );
    assert.equal(notReady.summary.person, 0);
    const gate = await vci(p, ['check', `--cri=${endpoint}`, '--fail-on', 'warning']);
    assert.equal(gate.code, 0, gate.stdout);
    assert.equal(
      notReady.findings.find((f: any) => f.code === 'cri-notready').next,
      `Give kubelet time to remove the pod; if it stays, crictl --runtime-endpoint unix://${sock} rmp ${id}`,
    );
    const rm2 = await vci(p, ['rm', `--cri=${endpoint}`, id]);
    assert.equal(rm2.code, 5, rm2.stderr);
    assert.match(rm2.stderr, /kubelet is tearing its pod .* down \(NOTREADY in containerd\)/);
    assert.deepEqual(snapshot(p), before, 'nothing changed while kubelet tears it down');

    await cri.remove(id);
    const gone = await check();
    assert.deepEqual(about(gone, id).sort(), ['cri-unknown:true', 'hypervisor-dead:true']);
    await vci(p, ['check', '--fix', `--cri=${endpoint}`]);
    assert.equal(existsSync(join(p, 'run/vc/sbs', id)), false);
  });

  it("without crictl on PATH, the teardown is still crictl's (ctr would leave the CRI plugin's own record); a runc pod with no store says nothing", async () => {
    const meta = pod('ctr');
    const id = await cri.run(meta);
    const runc = await cri.run(pod('runc'));
    const p = tmp();
    deadPod(p, id, 'containerd', meta.name);
    const j = JSON.parse((await vci(p, ['--json', 'check', `--cri=${sock}`], { env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' } })).stdout);
    assert.equal(
      j.findings.find((f: any) => f.code === 'cri-stuck').next,
      `crictl --runtime-endpoint unix://${sock} stopp ${id} && crictl --runtime-endpoint unix://${sock} rmp ${id}`,
    );
    // The host's own store, empty: a READY runc pod is not Kata's, so it is not missing.
    const host = await onHost(['--json', 'check', `--cri=${sock}`]);
    const hj = JSON.parse(host.stdout);
    assert.deepEqual(about(hj, runc), []);
    assert.equal(hj.summary.cri.sandboxes >= 2, true);
  });

  it("crictl's endpoint rules: --cri beats CONTAINER_RUNTIME_ENDPOINT beats crictl.yaml beats the default sockets; each form names the same containerd", async () => {
    const p = tmp();
    mkdirSync(join(p, 'run/vc/sbs'), { recursive: true });
    const yaml = join(tmp(), 'crictl.yaml');
    writeFileSync(yaml, `# crictl's file\nimage-endpoint: unix:///nowhere.sock\nruntime-endpoint: "unix://${sock}"  # the node's runtime\ntimeout: 2\n`);
    const away = join(dir, 'nobody.sock');
    const socketOf = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const r = await vci(p, ['--json', 'check', ...args], { env });
      return JSON.parse(r.stdout).summary.cri ?? null;
    };
    assert.equal((await socketOf([`--cri=${sock}`])).socket, sock);
    assert.equal((await socketOf([`--cri=unix://${sock}`])).socket, sock);
    assert.equal((await socketOf(['--cri'], { CONTAINER_RUNTIME_ENDPOINT: `unix://${sock}` })).runtime, 'containerd');
    assert.equal((await socketOf(['--cri'], { CRI_CONFIG_FILE: yaml })).socket, sock);
    // The flag first, then the environment, then the file.
    assert.equal((await socketOf([`--cri=${away}`], { CONTAINER_RUNTIME_ENDPOINT: sock, CRI_CONFIG_FILE: yaml })).socket, away);
    assert.equal((await socketOf(['--cri'], { CONTAINER_RUNTIME_ENDPOINT: away, CRI_CONFIG_FILE: yaml })).socket, away);
    // A copied store (--prefix) is not the node's: unsaid, neither the environment nor the file is asked.
    assert.equal(await socketOf([], { CONTAINER_RUNTIME_ENDPOINT: sock, CRI_CONFIG_FILE: yaml }), null);
    // Another scheme is a usage error that names where it came from.
    const bad = await vci(p, ['check', '--cri'], { env: { CONTAINER_RUNTIME_ENDPOINT: 'tcp://10.0.0.1:1234' } });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /CONTAINER_RUNTIME_ENDPOINT "tcp:\/\/10\.0\.0\.1:1234": give a Unix socket/);
    // /etc/crictl.yaml itself, on the host's store: in a mount namespace, over an overlay of /etc.
    const etc = tmp();
    mkdirSync(join(etc, 'up'));
    mkdirSync(join(etc, 'work'));
    writeFileSync(join(etc, 'up', 'crictl.yaml'), `runtime-endpoint: unix://${sock}\n`);
    const viaEtc = await onHost(['--json', 'check'], `mount -t overlay overlay -o lowerdir=/etc,upperdir=${etc}/up,workdir=${etc}/work /etc`);
    assert.equal(JSON.parse(viaEtc.stdout).summary.cri.socket, sock, viaEtc.stderr);
    // Named by the node's configuration and silent: a removal refuses, as under --cri.
    const id = sid('cfg');
    deadPod(p, id);
    const rm = await onHost(['rm', id], `cp -a ${p}/run/vc/sbs/${id} /run/vc/sbs/`, { CONTAINER_RUNTIME_ENDPOINT: away });
    assert.equal(rm.code, 5, rm.stderr);
    assert.match(rm.stderr, /the container manager could not be asked \(.*no such socket\); --no-cri goes without it/);
    const noCri = await onHost(['rm', '--no-cri', id], `cp -a ${p}/run/vc/sbs/${id} /run/vc/sbs/`, { CONTAINER_RUNTIME_ENDPOINT: away });
    assert.equal(noCri.code, 0, noCri.stderr);
  });
});

describe('CRI-O, through a protocol-level fake (CRI-O is not packaged here)', () => {
  const dir = mkdtempSync('/tmp/vco-');
  after(() => cleanup(dir));

  for (const api of ['v1', 'v1alpha2'] as const) {
    it(`${api}: READY and dead is cri-stuck with crictl's teardown even without crictl on PATH; NOTREADY is cri-notready; unlisted CRI-O pods are cri-unknown, containerd's are not CRI-O's to know`, async () => {
      const p = tmp();
      const stuck = sid('crio-stuck');
      const stopping = sid('crio-notready');
      const gone = sid('crio-gone');
      const theirs = sid('containerd-pod');
      deadPod(p, stuck, 'cri-o');
      deadPod(p, stopping, 'cri-o');
      deadPod(p, gone, 'cri-o');
      deadPod(p, theirs, 'containerd');
      const sock = join(dir, `${api}-${Math.random().toString(36).slice(2, 8)}.sock`);
      const fake = await fakeCrio(
        sock,
        [
          { id: stuck, name: 'a', namespace: 'prod' },
          { id: stopping, name: 'b', namespace: 'prod', notReady: true },
        ],
        { api },
      );
      try {
        const r = await vci(p, ['--json', 'check', `--cri=unix://${sock}`], { env: { PATH: '/usr/bin:/bin' } });
        const j = JSON.parse(r.stdout);
        assert.equal(j.summary.cri.runtime, 'cri-o');
        assert.equal(j.summary.cri.api, api);
        assert.deepEqual(about(j, stuck).sort(), ['cri-stuck:false', 'hypervisor-dead:false']);
        assert.equal(
          j.findings.find((f: any) => f.code === 'cri-stuck').next,
          `crictl --runtime-endpoint unix://${sock} stopp ${stuck} && crictl --runtime-endpoint unix://${sock} rmp ${stuck}`,
        );
        assert.match(j.findings.find((f: any) => f.code === 'cri-stuck').message, /^cri-o still reports this pod READY \(kata\)/);
        assert.deepEqual(about(j, stopping).sort(), ['cri-notready:false', 'hypervisor-dead:false']);
        assert.deepEqual(about(j, gone).sort(), ['cri-unknown:true', 'hypervisor-dead:true']);
        assert.deepEqual(about(j, theirs), ['hypervisor-dead:true']);
        if (api === 'v1alpha2') assert.deepEqual(fake.calls.slice(0, 2), ['/runtime.v1.RuntimeService/Version', '/runtime.v1alpha2.RuntimeService/Version']);
        const before = snapshot(p);
        const fix = JSON.parse((await vci(p, ['--json', 'check', '--fix', `--cri=${sock}`])).stdout);
        assert.deepEqual(
          fix.actions
            .filter((a: any) => a.action === 'removed')
            .map((a: any) => a.id)
            .sort(),
          [gone, theirs].sort(),
        );
        for (const kept of [stuck, stopping]) assert.ok(existsSync(join(p, 'run/vc/sbs', kept)), kept);
        assert.notDeepEqual(snapshot(p), before);
      } finally {
        await fake.close();
      }
    });
  }

  it(
    "CRI-O's default socket is found as crictl finds it, and a READY Kata pod with no store is cri-missing there; a runc or NOTREADY one is not",
    { skip: !root && 'needs root for a mount namespace' },
    async () => {
      const missing = sid('crio-missing');
      const runc = sid('crio-runc');
      const leaving = sid('crio-leaving');
      // The fake runs in this process; the mount namespace binds its socket to CRI-O's default path.
      const sock = join(dir, `default-${Math.random().toString(36).slice(2, 8)}.sock`);
      const fake = await fakeCrio(sock, [
        { id: missing, name: 'm', namespace: 'prod' },
        { id: runc, name: 'r', namespace: 'prod', handler: 'runc' },
        { id: leaving, name: 'l', namespace: 'prod', notReady: true },
      ]);
      try {
        const r = await onHost(['--json', 'check'], `mkdir -p /run/crio && touch /run/crio/crio.sock && mount --bind ${sock} /run/crio/crio.sock`);
        const j = JSON.parse(r.stdout);
        assert.equal(j.summary.cri.socket, '/run/crio/crio.sock', r.stderr);
        assert.deepEqual(about(j, missing), ['cri-missing:false']);
        assert.equal(j.findings.find((f: any) => f.code === 'cri-missing').next, `crictl stopp ${missing} && crictl rmp ${missing}`);
        assert.deepEqual(about(j, runc), []);
        assert.deepEqual(about(j, leaving), []);
      } finally {
        await fake.close();
      }
    },
  );
});

describe("containerd's bundle: the pod's annotations of Kata 1.11 to 2.1, and its rootfs mount", () => {
  /** A 1.13-shaped persist sandbox: only Kata's own annotations, the pod's in the OCI spec of its bundle (under the prefix). */
  function bundled(p: string, id: string, o: { bundle?: string; spec?: boolean; pid?: number } = {}): string {
    const bundle = o.bundle ?? `/run/containerd/io.containerd.runtime.v2.task/k8s.io/${id}`;
    addPersistSandbox(p, id, {
      state: 'running',
      pid: o.pid ?? deadPid(),
      containers: [
        {
          id,
          state: 'running',
          pid: -1,
          annotations: { 'io.katacontainers.pkg.oci.bundle_path': bundle, 'io.katacontainers.pkg.oci.container_type': 'pod_sandbox' },
        },
      ],
    });
    if (o.spec !== false) {
      mkdirSync(join(p, bundle), { recursive: true });
      writeFileSync(join(p, bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', annotations: criPod('prod', `web-${id.slice(0, 5)}`, 'u1', id) }));
    }
    return bundle;
  }

  it('ls and check name the pod from the bundle while it is there; none without it, and never from a path that is not plainly absolute', async () => {
    const p = tmp();
    const a = sid('bundle-a');
    const gone = sid('bundle-gone');
    const odd = sid('bundle-odd');
    bundled(p, a);
    bundled(p, gone, { spec: false });
    // A bundle path that climbs out: never read (though a spec lies where it would lead).
    bundled(p, odd, { bundle: '/run/containerd/../../x/y', spec: false });
    mkdirSync(join(p, 'x/y'), { recursive: true });
    writeFileSync(join(p, 'x/y/config.json'), JSON.stringify({ annotations: criPod('prod', 'climbed', 'u1', odd) }));
    const ls = JSON.parse((await vci(p, ['--json', 'ls'])).stdout);
    const pod = (id: string) => ls.find((e: any) => e.id === id)?.pod ?? null;
    assert.deepEqual(pod(a), { namespace: 'prod', name: `web-${a.slice(0, 5)}`, uid: 'u1' });
    assert.equal(pod(gone), null);
    assert.equal(pod(odd), null);
    // What the pod gives check: a containerd pod containerd's CRI does not list is cri-unknown (here, the containerd
    // API of a fake that serves no CRI would do; the CRI-O fake answers as another manager, so nothing is said).
    const sock = join(mkdtempSync('/tmp/vcb-'), 's.sock');
    const fake = await fakeCrio(sock, []);
    try {
      const j = JSON.parse((await vci(p, ['--json', 'check', `--cri=${sock}`])).stdout);
      assert.deepEqual(about(j, a).sort(), ['hypervisor-dead:true']);
    } finally {
      await fake.close();
    }
  });

  it(
    "a dead sandbox whose bundle rootfs is still mounted is bundle-mounted: check --fix and rm leave it (its store is the mount's only record), umount is the next step once containerd's CRI forgot it, --force goes ahead",
    { skip: !root && 'needs root to mount' },
    async () => {
      const p = tmp();
      const id = sid('bundle-mounted');
      const bundle = bundled(p, id);
      const rootfs = join(p, bundle, 'rootfs');
      tmpfsAt(rootfs);
      const j = JSON.parse((await vci(p, ['--json', 'check'])).stdout);
      const mine = j.findings.filter((f: any) => f.id === id);
      assert.deepEqual(mine.map((f: any) => `${f.code}:${f.fixable}`).sort(), ['bundle-mounted:false', 'hypervisor-dead:false']);
      const b = mine.find((f: any) => f.code === 'bundle-mounted');
      assert.deepEqual(b.evidence.mounts, [{ id, namespace: 'k8s.io', path: rootfs }]);
      // Whether containerd still has it cannot be told without its CRI: its teardown first, then the umount.
      assert.equal(
        b.next,
        `containerd's teardown first: ctr -n k8s.io tasks delete -f ${id}; ctr -n k8s.io containers delete ${id}; once containerd no longer has it, umount ${rootfs}`,
      );
      assert.match(mine.find((f: any) => f.code === 'hypervisor-dead').hold, /containerd's bundle of it is still mounted/);
      const before = snapshot(p);
      const fix = JSON.parse((await vci(p, ['--json', 'check', '--fix'])).stdout);
      assert.deepEqual(
        fix.actions.filter((x: any) => x.id === id && x.action !== 'left'),
        [],
      );
      const rm = await vci(p, ['rm', id]);
      assert.equal(rm.code, 5, rm.stderr);
      assert.match(rm.stderr, new RegExp(`containerd's bundle of it is still mounted \\(${rootfs}\\)`));
      assert.deepEqual(snapshot(p), before, 'nothing changed');
      // containerd's CRI answers and does not list the pod: nothing of containerd will undo the mount.
      const dir = mkdtempSync('/tmp/vcb-');
      const { sock, stop } = await criContainerd(dir).catch(() => ({ sock: '', stop: () => Promise.resolve() }));
      try {
        if (sock) {
          const k = JSON.parse((await vci(p, ['--json', 'check', `--cri=${sock}`])).stdout);
          assert.equal(k.findings.find((f: any) => f.code === 'bundle-mounted' && f.id === id)?.next, `umount ${rootfs}`);
        }
      } finally {
        await stop();
      }
      const forced = await vci(p, ['rm', '--force', id]);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(mountsAt(rootfs), 1, "vcstore never unmounts containerd's mount");
    },
  );
});

describe('what a hostile review found (each failed before its fix)', () => {
  const dir = mkdtempSync('/tmp/vch-');
  after(() => cleanup(dir));
  const sock = (tag: string) => join(dir, `${tag}-${Math.random().toString(36).slice(2, 7)}.sock`);

  it('a bad percent-escape in grpc-message is read as it is: cri-unreachable, never a crash', async () => {
    const { createServer } = await import('node:http2');
    const s = sock('badmsg');
    const server = createServer();
    server.on('stream', (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '13', 'grpc-message': '%zz' }, { endStream: true });
    });
    await new Promise<void>((ok) => server.listen(s, ok));
    try {
      const p = tmp();
      deadPod(p, sid('badmsg'));
      const r = await vci(p, ['--json', 'check', `--cri=${s}`]);
      assert.equal(r.code, 6, r.stderr);
      assert.match(JSON.parse(r.stdout).summary.cri.error, /gRPC status 13: %zz/);
    } finally {
      server.close();
    }
  });

  it("crictl's file: a FIFO never hangs (it cannot be told, so removals refuse); the last runtime-endpoint wins; a # inside quotes is the value's", async () => {
    const p = tmp();
    const id = sid('cfg');
    deadPod(p, id);
    const fifo = join(dir, `fifo-${Math.random().toString(36).slice(2, 7)}`);
    spawnSync('mkfifo', [fifo]);
    const r = await vci(p, ['--json', 'check', '--cri'], { env: { CRI_CONFIG_FILE: fifo } });
    const j = JSON.parse(r.stdout);
    assert.match(j.summary.cri.error, /not a regular file/);
    assert.deepEqual(about(j, id), ['hypervisor-dead:false']);
    const yaml = join(dir, 'crictl.yaml');
    const fake = await fakeCrio(sock('last'), []);
    const last = join(dir, 'last#1.sock');
    writeFileSync(yaml, `runtime-endpoint: unix:///nowhere.sock\nruntime-endpoint: "unix://${last}" # the node's\n`);
    const k = JSON.parse((await vci(p, ['--json', 'check', '--cri'], { env: { CRI_CONFIG_FILE: yaml } })).stdout);
    assert.equal(k.summary.cri.socket, last);
    await fake.close();
  });

  it('an ID listed twice is READY if either says so; NOTREADY never quiets what could not be told', async () => {
    const p = tmp();
    const twice = sid('twice');
    deadPod(p, twice);
    const unsure = sid('unsure');
    addPersistSandbox(p, unsure, {
      state: 'running',
      pid: 0,
      containers: [{ id: unsure, state: 'running', pid: -1, annotations: criPod('prod', 'u', 'u1', unsure) }],
    });
    const s = sock('dup');
    const fake = await fakeCrio(s, [
      { id: twice, name: 'a', namespace: 'prod' },
      { id: twice, name: 'a', namespace: 'prod', notReady: true },
      { id: unsure, name: 'u', namespace: 'prod', notReady: true },
    ]);
    try {
      const j = JSON.parse((await vci(p, ['--json', 'check', `--cri=${s}`])).stdout);
      assert.ok(about(j, twice).includes('cri-stuck:false'), JSON.stringify(about(j, twice)));
      assert.ok(
        j.findings.filter((f: any) => f.id === unsure && f.code === 'liveness-unknown').every((f: any) => f.severity !== 'info'),
        JSON.stringify(j.findings.filter((f: any) => f.id === unsure)),
      );
      assert.equal((await vci(p, ['check', `--cri=${s}`, '--fail-on', 'error'])).code, 6);
    } finally {
      await fake.close();
    }
  });

  it('rm -c asks the manager too: a container of a pod it still lists is refused', async () => {
    const p = tmp();
    const id = sid('ctr');
    const cid = sid('ctr-c');
    addPersistSandbox(p, id, {
      state: 'running',
      pid: deadPid(),
      containers: [
        { id, state: 'running', pid: -1, annotations: criPod('prod', 'w', 'u1', id) },
        { id: cid, state: 'stopped', pid: -1, annotations: criPod('prod', 'w', 'u1', id, 'app') },
      ],
    });
    const s = sock('ctr');
    const fake = await fakeCrio(s, [{ id, name: 'w', namespace: 'prod' }]);
    try {
      const before = snapshot(p);
      const r = await vci(p, ['rm', `--cri=${s}`, '-c', cid, id]);
      assert.equal(r.code, 5, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`refusing to remove container ${cid} of sandbox ${id}: cri-o still has its pod prod/w; crictl --runtime-endpoint unix://${s} stopp`),
      );
      assert.deepEqual(snapshot(p), before);
    } finally {
      await fake.close();
    }
  });

  it(
    "a bundle mount outside the prefix (the DaemonSet's /host sees the host's at their own paths) keeps the sandbox, and every finding of it says so",
    { skip: !root && 'needs root to mount' },
    async () => {
      const p = tmp();
      const id = sid('outside');
      deadPod(p, id);
      const rootfs = join(tmp(), 'state/io.containerd.runtime.v2.task/k8s.io', id, 'rootfs');
      tmpfsAt(rootfs);
      const j = JSON.parse((await vci(p, ['--json', 'check'])).stdout);
      const mine = j.findings.filter((f: any) => f.id === id);
      const b = mine.find((f: any) => f.code === 'bundle-mounted');
      assert.ok(b, JSON.stringify(mine));
      for (const f of mine) assert.equal(f.next, b.next, f.code);
      const rm = await vci(p, ['rm', id]);
      assert.equal(rm.code, 5, rm.stderr);
      assert.ok(existsSync(join(p, 'run/vc/sbs', id)));
    },
  );
});
