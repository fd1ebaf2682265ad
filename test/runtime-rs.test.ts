// needs: root (unshare --pid)
// Kata 3.x runtime-rs as it really leaves a host, built from its sources
// (kata-containers/kata-containers 7c6ba40c54, src/runtime-rs; each fact
// cites its file below): no lock, no pid in state.json, the shim and its
// children as the only liveness witness, and a shared dir of rw/ and ro/.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { addSandbox, BIN, deadPid, holdFlock, isRoot, R, runLock, scratch, snapshot, vci } from './helpers.js';

const { tmp } = scratch();
let kids: ChildProcess[] = [];
afterEach(async () => {
  for (const k of kids) k.kill('SIGKILL');
  await Promise.all(kids.filter((k) => k.exitCode === null && k.signalCode === null).map((k) => once(k, 'exit')));
  kids = [];
});

const sid64 = () => `${R}${Array.from({ length: 62 }, () => Math.floor(Math.random() * 16).toString(16)).join('')}`.slice(0, 64);

/** A unix socket file left at `path`, as a process that bound it and died leaves it. */
function socketAt(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  // Bound by its name from its directory: a temp prefix makes the whole path longer than sun_path's 108 bytes.
  const r = spawnSync('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', basename(path)], { cwd: dirname(path) });
  assert.equal(r.status, 0, String(r.stderr));
}

/** Keys sorted at every level, as serde_json writes a Value without preserve_order. */
const sorted = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sorted)
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
        )
      : v;

/**
 * One runtime-rs sandbox under `p`:
 * - /run/kata/<sid>/ with shim-monitor.sock, made before the VM starts
 *   (runtimes/src/shim_mgmt/server.rs:37-46), so a sandbox that never
 *   started has no state.json;
 * - state.json once the VM started (virt_container/src/sandbox.rs:1211):
 *   written in place with File::create (0644 under the usual umask),
 *   pretty-printed, keys sorted, no trailing newline (crates/persist/src/lib.rs);
 *   hypervisor.pid is never set (null) for any VMM (hypervisor/src/*);
 * - dragonball: root/kata.hvsock and console.sock (dragonball/inner.rs:193-226);
 *   qemu: root/console.sock and root/virtiofsd.sock (qemu/inner.rs:376-377, 775-779);
 * - the shared dir /run/kata-containers/shared/sandboxes/<sid>/{rw,ro}, with
 *   rw/passthrough/<cid>/rootfs per container (resource/src/share_fs/utils.rs:37-83);
 *   its mounts live in the shim's own mount namespace (shim/src/bin/main.rs:186-194).
 */
function runtimeRs(p: string, sid: string, o: { hypervisor: 'dragonball' | 'qemu'; started?: boolean; containers?: string[] }): string {
  const dir = join(p, 'run/kata', sid);
  socketAt(join(dir, 'shim-monitor.sock'));
  if (o.started !== false) {
    const hv =
      o.hypervisor === 'dragonball'
        ? { vm_path: `/run/kata/${sid}`, run_dir: `/run/kata/${sid}`, jailer_root: `/run/kata/${sid}/root`, netns: `/var/run/netns/cni-${R}` }
        : { vm_path: '', run_dir: '', jailer_root: '', netns: null };
    const doc = {
      sandbox_type: 'virt_container',
      resource: {
        cgroup_state: {
          path: `kubepods-besteffort-pod${R}_1.slice:cri-containerd:${sid}`,
          overhead_path: `kata-overhead.slice:runtime-rs:${sid}`,
          sandbox_cgroup_only: true,
          enable_vcpus_pinning: false,
        },
        endpoint: [{ veth_endpoint: { if_name: 'eth0', network_qos: false }, tap_endpoint: null }],
      },
      hypervisor: {
        hypervisor_type: o.hypervisor,
        pid: null,
        uuid: '',
        api_socket: '',
        id: sid,
        jailed: false,
        config: { default_vcpus: 1.0, default_memory: 2048, shared_fs: o.hypervisor === 'dragonball' ? 'inline-virtio-fs' : 'virtio-fs' },
        cached_block_devices: [],
        virtiofs_daemon_pid: 0,
        passfd_listener_port: null,
        guest_protection_to_use: 'NoProtection',
        ...hv,
      },
    };
    writeFileSync(join(dir, 'state.json'), JSON.stringify(sorted(doc), null, 2));
    chmodSync(join(dir, 'state.json'), 0o644);
  }
  if (o.hypervisor === 'dragonball') {
    socketAt(join(dir, 'root/kata.hvsock'));
    socketAt(join(dir, 'console.sock'));
  } else {
    socketAt(join(dir, 'root/console.sock'));
    socketAt(join(dir, 'root/virtiofsd.sock'));
  }
  const shared = join(p, 'run/kata-containers/shared/sandboxes', sid);
  mkdirSync(join(shared, 'ro'), { recursive: true });
  for (const cid of o.containers ?? [sid]) mkdirSync(join(shared, 'rw/passthrough', cid, 'rootfs'), { recursive: true });
  return dir;
}

/** A live process with argv[0] `name` and these arguments, killed when the test ends. */
async function proc(name: string, args: string[]): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', '--', ...args], { argv0: name, stdio: 'ignore' });
  kids.push(child);
  await once(child, 'spawn');
  return child.pid!;
}
/** The long-running shim as `start` re-launches it (shim/src/shim_start.rs): one per pod, dragonball inside it. */
const shim = (sid: string) =>
  proc('containerd-shim-kata-v2', [
    '-namespace',
    'k8s.io',
    '-address',
    '/run/containerd/containerd.sock',
    '-publish-binary',
    '/usr/bin/containerd',
    '-id',
    sid,
  ]);

describe('runtime-rs as its sources leave it', () => {
  it('ls and check: alive while its shim runs (state.json records no pid), hypervisor-dead once no runtime process names it', async () => {
    const p = tmp();
    const db = sid64();
    const q = sid64();
    const fresh = sid64();
    runtimeRs(p, db, { hypervisor: 'dragonball' });
    runtimeRs(p, q, { hypervisor: 'qemu' });
    runtimeRs(p, fresh, { hypervisor: 'qemu', started: false });
    const shimPid = await shim(db);
    const qemuPid = await proc('qemu-system-x86_64', ['-name', `sandbox-${q}`, '-uuid', 'x']);
    await shim(fresh);
    const list = JSON.parse((await vci(p, ['ls', '--json'])).stdout);
    const by = (id: string) => list.find((s: any) => s.id === id);
    assert.deepEqual(
      [by(db).layout, by(db).hypervisor.type, by(db).hypervisor.alive, by(db).hypervisor.pid, by(db).state, by(db).containers],
      ['runtime-rs', 'dragonball', true, shimPid, null, []],
    );
    assert.deepEqual([by(q).hypervisor.type, by(q).hypervisor.alive, by(q).hypervisor.pid], ['qemu', true, qemuPid]);
    // Made, not yet started: no state.json, its shim alive.
    assert.deepEqual([by(fresh).hypervisor.alive, by(fresh).problems], [true, []]);
    const ok = await vci(p, ['check', '--json']);
    assert.equal(JSON.parse(ok.stdout).findings.length, 0, ok.stdout);

    for (const k of kids.splice(0)) {
      k.kill('SIGKILL');
      await once(k, 'exit');
    }
    const j = JSON.parse((await vci(p, ['check', '--json'])).stdout);
    for (const id of [db, q, fresh]) {
      const f = j.findings.find((x: any) => x.id === id);
      assert.equal(f?.code, 'hypervisor-dead', JSON.stringify(j.findings));
      assert.equal(f.evidence.reason, 'unnamed');
      assert.equal(f.fixable, true);
    }
    const table = await vci(p, ['check']);
    assert.match(table.stdout, /no runtime process \(shim, dragonball, virtiofsd\) names it any more/);
  });

  it('rm refuses while the shim, its qemu or its virtiofsd names the sandbox, and changes nothing', async () => {
    const p = tmp();
    const sid = sid64();
    runtimeRs(p, sid, { hypervisor: 'qemu', containers: [sid, `${R}c2`] });
    const before = snapshot(join(p, 'run'));
    for (const start of [
      () => shim(sid),
      // qemu outlives a shim killed with -9: it still names the sandbox.
      () => proc('qemu-system-x86_64', ['-name', `sandbox-${sid}`]),
      () => proc('virtiofsd', ['--socket-path', `/run/kata/${sid}/root/virtiofsd.sock`, '--shared-dir', `/run/kata-containers/shared/sandboxes/${sid}/ro`]),
    ]) {
      const pid = await start();
      const r = await vci(p, ['rm', sid]);
      assert.equal(r.code, 5, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`pid ${pid}`));
      assert.deepEqual(snapshot(join(p, 'run')), before);
      for (const k of kids.splice(0)) {
        k.kill('SIGKILL');
        await once(k, 'exit');
      }
    }
  });

  it('rm of a dead one removes /run/kata/<sid> and its shared dir, and nothing else', async () => {
    const p = tmp();
    const sid = sid64();
    const other = sid64();
    runtimeRs(p, sid, { hypervisor: 'dragonball' });
    runtimeRs(p, other, { hypervisor: 'dragonball' });
    await shim(other);
    const keep = snapshot(join(p, 'run/kata', other));
    const r = await vci(p, ['--json', 'rm', sid]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(join(p, 'run/kata', sid)), false);
    assert.equal(existsSync(join(p, 'run/kata-containers/shared/sandboxes', sid)), false);
    assert.deepEqual(snapshot(join(p, 'run/kata', other)), keep);
    assert.ok(existsSync(join(p, 'run/kata-containers/shared/sandboxes', other)));
  });

  it('in another pid namespace its processes cannot be seen: rm refuses, ls says it cannot tell', { skip: !isRoot && 'needs root for unshare --pid' }, () => {
    const p = tmp();
    const sid = sid64();
    runtimeRs(p, sid, { hypervisor: 'dragonball' });
    const run = (args: string[]) =>
      spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, BIN, '--prefix', p, ...args], { encoding: 'utf8' });
    const rm = run(['rm', sid]);
    assert.equal(rm.status, 5, rm.stderr);
    assert.match(rm.stderr, /another pid namespace/);
    assert.ok(existsSync(join(p, 'run/kata', sid, 'state.json')));
    const ls = JSON.parse(run(['ls', '--json']).stdout);
    assert.equal(ls[0].hypervisor.alive, null);
    assert.match(ls[0].hypervisor.unknown, /another pid namespace/);
  });

  it('state.json is read as written: pretty, sorted, no trailing newline, 0644, and show names its sections', async () => {
    const p = tmp();
    const sid = sid64();
    const dir = runtimeRs(p, sid, { hypervisor: 'dragonball' });
    const text = readFileSync(join(dir, 'state.json'), 'utf8');
    assert.ok(!text.endsWith('\n'));
    const hv = JSON.parse((await vci(p, ['--json', 'show', sid, 'hypervisor'])).stdout);
    assert.equal(hv.hypervisor_type, 'dragonball');
    assert.equal(hv.pid, null);
    const res = JSON.parse((await vci(p, ['--json', 'show', sid, 'resource'])).stdout);
    assert.equal(res.cgroup_state.sandbox_cgroup_only, true);
  });

  it("a stray /run/kata/<sid> beside a 1.x store never makes rm ignore that runtime's lock", async () => {
    const p = tmp();
    const sid = sid64();
    addSandbox(p, sid, { state: 'stopped' });
    runtimeRs(p, sid, { hypervisor: 'dragonball' });
    const h = await holdFlock(runLock(p, sid));
    try {
      const rm = await vci(p, ['rm', '--nonblock', sid]);
      assert.equal(rm.code, 4, rm.stderr);
      assert.ok(existsSync(join(p, 'run/vc/sbs', sid)));
      const ls = JSON.parse((await vci(p, ['ls', '--json'])).stdout);
      assert.equal(ls[0].layout, 'legacy');
    } finally {
      await h.release();
    }
  });

  it('a dead pid some state.json records does not outvote a live shim', async () => {
    const p = tmp();
    const sid = sid64();
    const dir = runtimeRs(p, sid, { hypervisor: 'dragonball' });
    const file = join(dir, 'state.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"pid": null', `"pid": ${deadPid()}`));
    const pid = await shim(sid);
    const ls = JSON.parse((await vci(p, ['ls', '--json'])).stdout);
    assert.deepEqual([ls[0].hypervisor.alive, ls[0].hypervisor.pid], [true, pid]);
  });
});
