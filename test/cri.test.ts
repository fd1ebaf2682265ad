// needs: root (runs containerd, mounts)
// containerd as a witness, against a real containerd (Debian's package),
// started by this file on a private socket with its own root and state, and
// pod sandbox records made with the real ctr client the way the CRI plugin
// labels them (io.cri-containerd.kind=sandbox, a Kata runtime handler).
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  addPersistSandbox,
  addSandbox,
  BIN,
  cleanup,
  criPod,
  deadPid,
  hex64,
  isRoot,
  mountsAt,
  namedProc,
  R,
  scratch,
  SLOW,
  snapshot,
  tmpfsAt,
  until,
  vci,
} from './helpers.js';

const { tmp } = scratch();
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip =
  process.geteuid?.() !== 0 ? 'needs root to run containerd' : have('containerd') && have('ctr') ? false : 'containerd not installed (.ci/run installs it)';

describe('containerd as a witness (check --cri, rm)', { skip }, () => {
  // A short path: the sockets containerd makes under it must fit sun_path.
  const dir = mkdtempSync('/tmp/vcc-');
  const sock = join(dir, 'c.sock');
  let daemon: ChildProcess;
  before(async () => {
    writeFileSync(
      join(dir, 'config.toml'),
      [
        'version = 2',
        `root = "${dir}/root"`,
        `state = "${dir}/state"`,
        // Only the metadata services are needed: no CRI plugin, no snapshotters that need kernel support.
        'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]',
        '[grpc]',
        `  address = "${sock}"`,
        '[ttrpc]',
        `  address = "${sock}.ttrpc"`,
        '[debug]',
        '  address = ""',
        '[metrics]',
        '  address = ""',
      ].join('\n'),
    );
    daemon = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: 'ignore' });
    await until(() => existsSync(sock) && ctr('namespaces', 'ls').status === 0, 'containerd to serve');
  });
  after(async () => {
    daemon.kill('SIGTERM');
    if (daemon.exitCode === null && daemon.signalCode === null) await once(daemon, 'exit');
    spawnSync('sh', ['-c', `umount -R ${dir}/state 2>/dev/null; true`]);
    cleanup(dir);
  });
  const ctr = (...args: string[]) => spawnSync('ctr', ['--address', sock, ...args], { encoding: 'utf8' });
  /** A pod sandbox record as the CRI plugin makes one: the sandbox label, the pod's labels, the runtime handler. */
  function criSandbox(sid: string, runtime = 'io.containerd.kata-qemu.v2', pod = `web-${sid.slice(0, 5)}`): void {
    const rootfs = join(dir, 'rootfs');
    mkdirSync(rootfs, { recursive: true });
    const r = ctr(
      '-n',
      'k8s.io',
      'containers',
      'create',
      '--rootfs',
      '--runtime',
      runtime,
      '--label',
      'io.cri-containerd.kind=sandbox',
      '--label',
      `io.kubernetes.pod.name=${pod}`,
      '--label',
      'io.kubernetes.pod.namespace=prod',
      rootfs,
      sid,
    );
    assert.equal(r.status, 0, r.stderr);
  }
  const sid = (tag: string) => hex64(`${R}${tag}${Math.random()}`);
  /** A dead Kata pod sandbox in the store, named by its CRI annotations. */
  function deadPod(p: string, id: string): void {
    addPersistSandbox(p, id, {
      state: 'running',
      pid: deadPid(),
      containers: [{ id, state: 'running', pid: -1, annotations: criPod('prod', `web-${id.slice(0, 5)}`, 'u1', id) }],
    });
  }
  const findings = async (p: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    JSON.parse((await vci(p, ['--json', 'check', `--cri=${sock}`, ...extra], { env })).stdout);
  const about = (j: any, id: string) => j.findings.filter((f: any) => f.id === id).map((f: any) => `${f.code}:${f.fixable}`);

  it("a dead pod sandbox containerd does not know is cri-unknown and check --fix removes it; one without a pod is not containerd's to know", async () => {
    const p = tmp();
    const gone = sid('gone');
    deadPod(p, gone);
    const plain = sid('plain');
    addPersistSandbox(p, plain, { state: 'stopped' });
    const j = await findings(p);
    assert.deepEqual(about(j, gone).sort(), ['cri-unknown:true', 'hypervisor-dead:true']);
    assert.deepEqual(about(j, plain), []);
    // The vcstore commands it prints ask the same containerd.
    assert.equal(j.findings.find((f: any) => f.code === 'cri-unknown').next, `vcstore --prefix ${p} rm --cri=${sock} ${gone}`);
    assert.equal(j.summary.cri.socket, sock);
    assert.equal(typeof j.summary.cri.ms, 'number');
    const fix = await vci(p, ['check', '--fix', `--cri=${sock}`]);
    assert.equal(existsSync(join(p, 'run/vc/sbs', gone)), false, fix.stdout);
  });

  it('containerd still has the pod while its sandbox is dead: cri-stuck, next is crictl stopp and rmp, and check --fix and rm leave the store until --force', async () => {
    const p = tmp();
    const stuck = sid('stuck');
    deadPod(p, stuck);
    criSandbox(stuck);
    const bin = tmp();
    writeFileSync(join(bin, 'crictl'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, 'crictl'), 0o755);
    const j = await findings(p, [], { PATH: `${bin}:${process.env.PATH}` });
    assert.deepEqual(about(j, stuck).sort(), ['cri-stuck:false', 'hypervisor-dead:false']);
    const f = j.findings.find((x: any) => x.code === 'cri-stuck');
    assert.equal(f.next, `crictl --runtime-endpoint unix://${sock} stopp ${stuck} && crictl --runtime-endpoint unix://${sock} rmp ${stuck}`);
    // Every step for that sandbox is containerd's teardown first: never a removal under containerd.
    assert.equal(j.findings.find((x: any) => x.code === 'hypervisor-dead').next, f.next);
    assert.equal(f.evidence.runtime, 'io.containerd.kata-qemu.v2');
    // Without crictl on PATH, the same with ctr.
    const noCrictl = await findings(p, [], { PATH: '/usr/bin:/bin' });
    assert.match(noCrictl.findings.find((x: any) => x.code === 'cri-stuck').next, new RegExp(`^ctr --address ${sock} -n k8s.io tasks kill -s SIGKILL `));

    const before = snapshot(p);
    await vci(p, ['check', '--fix', `--cri=${sock}`]);
    const rm = await vci(p, ['rm', `--cri=${sock}`, stuck]);
    assert.equal(rm.code, 5, rm.stderr);
    assert.match(
      rm.stderr,
      new RegExp(
        `containerd still has its pod prod/web-${stuck.slice(0, 5)}; crictl --runtime-endpoint unix://${sock} stopp ${stuck} && crictl --runtime-endpoint unix://${sock} rmp ${stuck}`,
      ),
    );
    assert.equal(rm.stderr.trim().split('\n').length, 1);
    assert.deepEqual(snapshot(p), before, 'nothing changed');
    const forced = await vci(p, ['rm', '--force', `--cri=${sock}`, stuck]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(existsSync(join(p, 'run/vc/sbs', stuck)), false);
  });

  it("a Kata pod sandbox containerd has with no store is cri-missing on the host's own store only, never while a runtime process names it; a runc one is not Kata's", async () => {
    const missing = sid('missing');
    const runc = sid('runc');
    const making = sid('making');
    criSandbox(missing, 'io.containerd.kata.v2');
    criSandbox(runc, 'io.containerd.runc.v2');
    criSandbox(making, 'io.containerd.kata.v2');
    // Its shim is up and making the store: not missing.
    await namedProc('containerd-shim-kata-v2', ['-namespace', 'k8s.io', '-address', sock, '-publish-binary', '/usr/bin/containerd', '-id', making]);
    // A copy under --prefix is not containerd's node: nothing is said of containerd's pods there.
    const p = tmp();
    mkdirSync(join(p, 'run/vc/sbs'), { recursive: true });
    const copy = await findings(p);
    assert.deepEqual(
      copy.findings.filter((f: any) => f.code === 'cri-missing'),
      [],
    );
    // The host's own store, empty, in a mount namespace of this test's (tmpfs over /run and /var/lib/vc).
    const host = spawnSync(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        `mount -t tmpfs vcstore-test /run && mkdir -p /run/vc/sbs && { [ ! -d /var/lib/vc ] || mount -t tmpfs vcstore-test /var/lib/vc; } && exec ${process.execPath} ${BIN} --json check --cri=${sock}`,
      ],
      { encoding: 'utf8' },
    );
    const j = JSON.parse(host.stdout);
    assert.deepEqual(about(j, missing), ['cri-missing:false']);
    // The shim with no store yet is reported as what it is (a runtime process with no store), never as missing.
    assert.deepEqual(about(j, making), ['processes-orphaned:false']);
    assert.deepEqual(about(j, runc), []);
  });

  it(
    'a sandbox left to containerd (cri-stuck, or --cri named and silent) is touched by no action: not its mounts either',
    { skip: !isRoot && 'needs root to mount' },
    async () => {
      for (const named of ['stuck', 'silent']) {
        const p = tmp();
        const id = sid(named);
        deadPod(p, id);
        if (named === 'stuck') criSandbox(id);
        const at = join(p, 'run/kata-containers/shared/sandboxes', id, 'shared');
        mkdirSync(at, { recursive: true });
        tmpfsAt(at);
        const socket = named === 'stuck' ? sock : join(dir, 'nobody.sock');
        const j = JSON.parse((await vci(p, ['--json', 'check', `--cri=${socket}`])).stdout);
        const mine = j.findings.filter((f: any) => f.id === id);
        assert.ok(
          mine.some((f: any) => f.code === 'mounts-leaked'),
          JSON.stringify(mine),
        );
        assert.ok(
          mine.every((f: any) => !f.fixable && (f.code === 'cri-stuck' || typeof f.hold === 'string')),
          JSON.stringify(mine),
        );
        const before = snapshot(p);
        const fix = JSON.parse((await vci(p, ['--json', 'check', '--fix', `--cri=${socket}`])).stdout);
        assert.deepEqual(
          fix.actions.filter((a: any) => a.id === id),
          [],
        );
        assert.equal(mountsAt(at), 1, `${named}: the mount stays`);
        assert.deepEqual(snapshot(p), before);
      }
    },
  );

  it(
    'containerd still has a stopped pod whose mounts leaked: no action touches them; a pod that cannot be read is left when containerd is named and silent',
    { skip: !isRoot && 'needs root to mount' },
    async () => {
      const p = tmp();
      const id = sid('stopped');
      addPersistSandbox(p, id, {
        state: 'stopped',
        containers: [{ id, state: 'stopped', pid: -1, annotations: criPod('prod', `web-${id.slice(0, 5)}`, 'u1', id) }],
      });
      criSandbox(id);
      const at = join(p, 'run/kata-containers/shared/sandboxes', id, 'shared');
      mkdirSync(at, { recursive: true });
      tmpfsAt(at);
      const fix = JSON.parse((await vci(p, ['--json', 'check', '--fix', `--cri=${sock}`])).stdout);
      assert.deepEqual(
        fix.actions.filter((a: any) => a.id === id && a.action !== 'left'),
        [],
      );
      assert.equal(mountsAt(at), 1);
      // Its pod unreadable (a corrupt config), containerd named and silent: whose pod it is cannot be told.
      const q = tmp();
      const odd = sid('odd');
      addSandbox(q, odd, { state: 'running', pid: deadPid() });
      writeFileSync(join(q, 'var/lib/vc/sbs', odd, 'config.json'), '{garbage');
      const before = snapshot(q);
      await vci(q, ['check', '--fix', `--cri=${join(dir, 'nobody.sock')}`]);
      assert.deepEqual(snapshot(q), before);
    },
  );

  it("a CRI sandbox of containerd before 1.4 (container-type and sandbox-id only) is containerd's: cri-unknown when containerd does not know it, shown as an unnamed pod", async () => {
    const p = tmp();
    const id = sid('old');
    addPersistSandbox(p, id, {
      state: 'running',
      pid: deadPid(),
      containers: [{ id, state: 'running', pid: -1, annotations: { 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': id } }],
    });
    const j = await findings(p);
    assert.deepEqual(about(j, id).sort(), ['cri-unknown:true', 'hypervisor-dead:true']);
    const ls = await vci(p, ['ls']);
    assert.match(ls.stdout, /\(unnamed pod\)/);
  });

  it('containerd unreachable is said, and a pod sandbox is not removed on an answer that never came; --no-cri leaves containerd out', async () => {
    const p = tmp();
    const dead = sid('unreach');
    deadPod(p, dead);
    const away = join(dir, 'nobody.sock');
    const j = JSON.parse((await vci(p, ['--json', 'check', `--cri=${away}`])).stdout);
    const u = j.findings.find((f: any) => f.code === 'cri-unreachable');
    assert.match(u.evidence.error, /no such socket/);
    assert.deepEqual(about(j, dead), ['hypervisor-dead:false']);
    const before = snapshot(p);
    await vci(p, ['check', '--fix', `--cri=${away}`]);
    const rm = await vci(p, ['rm', `--cri=${away}`, dead]);
    assert.equal(rm.code, 5, rm.stderr);
    assert.match(rm.stderr, /--no-cri goes without it/);
    assert.deepEqual(snapshot(p), before);
    const without = JSON.parse((await vci(p, ['--json', 'check', '--no-cri'])).stdout);
    assert.deepEqual(about(without, dead), ['hypervisor-dead:true']);
    assert.equal(without.summary.cri, undefined);
  });

  it("what a hostile operator found: a CRI-O pod and a sandbox of unknown liveness are never removed on containerd's word; a hung containerd yields to Ctrl-C; --cri= is a usage error", async () => {
    const p = tmp();
    const crio = sid('crio');
    addPersistSandbox(p, crio, {
      state: 'running',
      pid: deadPid(),
      containers: [{ id: crio, state: 'running', pid: -1, annotations: { 'io.kubernetes.cri-o.Namespace': 'prod', 'io.kubernetes.cri-o.KubeName': 'x' } }],
    });
    const unsure = sid('unsure');
    addPersistSandbox(p, unsure, {
      state: 'running',
      pid: 0,
      containers: [{ id: unsure, state: 'running', pid: -1, annotations: criPod('prod', 'u', 'u1', unsure) }],
    });
    const j = await findings(p);
    assert.deepEqual(about(j, crio), ['hypervisor-dead:true']);
    assert.deepEqual(about(j, unsure).sort(), ['cri-unknown:false', 'liveness-unknown:false']);
    assert.ok(j.summary.person >= 2);

    const { createServer } = await import('node:net');
    const hung = join(dir, 'hung.sock');
    let connected = false;
    const server = createServer(() => (connected = true));
    await new Promise<void>((ok) => server.listen(hung, ok));
    try {
      for (const args of [
        ['check', `--cri=${hung}`],
        ['rm', `--cri=${hung}`, unsure],
      ]) {
        connected = false;
        const child = spawn(process.execPath, [BIN, '--prefix', p, ...args], { stdio: 'ignore' });
        await until(() => connected, 'vcstore to connect');
        child.kill('SIGINT');
        const [code] = (await once(child, 'exit')) as [number | null];
        assert.equal(code, 130, args[0]);
      }
    } finally {
      server.close();
    }
    const empty = await vci(p, ['check', '--cri=']);
    assert.equal(empty.code, 2, empty.stderr);
    assert.ok(existsSync(join(p, 'run/vc/sbs', unsure)));
  });

  it(
    "a socket that is not containerd's, and a containerd that never answers (after its timeout): cri-unreachable, and nothing removed on their account",
    { skip: SLOW },
    async () => {
      const p = tmp();
      const dead = sid('other');
      deadPod(p, dead);
      const { createServer } = await import('node:net');
      const http1 = join(dir, 'http1.sock');
      const speaks = createServer((c) => c.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
      const hung = join(dir, 'hung2.sock');
      const silent = createServer(() => undefined);
      await new Promise<void>((ok) => speaks.listen(http1, ok));
      await new Promise<void>((ok) => silent.listen(hung, ok));
      try {
        for (const [socket, why] of [
          [http1, /./],
          [hung, /no answer within 10000 ms/],
        ] as const) {
          const j = JSON.parse((await vci(p, ['--json', 'check', `--cri=${socket}`])).stdout);
          const u = j.findings.find((f: any) => f.code === 'cri-unreachable');
          assert.match(u?.evidence.error ?? '', why, socket);
          assert.deepEqual(about(j, dead), ['hypervisor-dead:false']);
        }
      } finally {
        speaks.close();
        silent.close();
      }
      assert.ok(existsSync(join(p, 'run/vc/sbs', dead)));
    },
  );
});
