// needs: nothing
// A live VMM is alive, whatever shape the runtime gave its arguments: one
// test per form of the table of runtime processes (README "Runtime
// processes"), each with a 64-character ID and argv exactly as the launcher
// builds it (each form cites its launch code in src/store/host/procs.ts).
// A running hypervisor that names a sandbox decides over a recorded pid
// that is gone, and a VMM whose main thread exited is read through its
// threads.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addPersistSandbox, addRuntimeRsSandbox, addSandbox, deadPid, namedProc, oneLine, R, scratch, snapshot, until, vci } from './helpers.js';

const { tmp, track } = scratch();

/** A 64-character ID of this run: the runtime's length, unique on the host. */
const id64 = () => `${R}${Array.from({ length: 61 }, () => Math.floor(Math.random() * 16).toString(16)).join('')}`;
/** A VM's random UUID, as qemu and stratovirt get one: never an ACRN slot's (another suite's uuid free would see it carried). */
const U = randomUUID();
const json = async (p: string, args: string[]) => JSON.parse((await vci(p, ['--json', ...args])).stdout);

/** Every judgement agrees the sandbox is alive, and every change refuses with the store byte-identical. */
async function assertLive(p: string, sid: string, what: string): Promise<void> {
  const [s] = (await json(p, ['ls'])).filter((x: any) => x.id === sid);
  assert.equal(s?.hypervisor.alive, true, `${what}: ls says alive ${JSON.stringify(s?.hypervisor)}`);
  const shown = await json(p, ['show', sid]);
  assert.equal(shown.hypervisor.alive, true, `${what}: show`);
  const c = await json(p, ['check']);
  const codes = c.findings.filter((f: any) => f.id.startsWith(sid.slice(0, 32))).map((f: any) => f.code);
  for (const bad of ['hypervisor-dead', 'processes-orphaned', 'sandbox-stale', 'container-dead'])
    assert.ok(!codes.includes(bad), `${what}: check says ${bad}: ${JSON.stringify(codes)}`);
  const before = snapshot(p);
  oneLine(await vci(p, ['rm', sid]), 5, `${what}: rm`);
  oneLine(await vci(p, ['set', sid, '--state', 'stopped']), 5, `${what}: set`);
  await vci(p, ['check', '--fix']);
  assert.deepEqual(snapshot(p), before, `${what}: nothing changed`);
}

describe('every VMM form of the runtime names its sandbox (64-character IDs)', () => {
  it('Go qemu: -name sandbox-<id>, -qmp and -pidfile under /run/vc/vm/<id>; the recorded pid gone', async () => {
    const p = tmp();
    const sid = id64();
    addSandbox(p, sid, { state: 'running', hypervisor: 'qemu', pid: deadPid() });
    await namedProc('qemu-system-x86_64', [
      '-name',
      `sandbox-${sid}`,
      '-uuid',
      U,
      '-machine',
      'pc,accel=kvm,kernel_irqchip',
      '-qmp',
      `unix:/run/vc/vm/${sid}/qmp.sock,server,nowait`,
      '-daemonize',
      '-pidfile',
      `/run/vc/vm/${sid}/pid`,
    ]);
    await assertLive(p, sid, 'qemu');
  });

  for (const [form, argv0, args] of [
    [
      'Go firecracker unjailed: --api-sock and --config-file under /run/vc/firecracker/<id[:32]>',
      'firecracker',
      (s: string) => ['--api-sock', `/run/vc/firecracker/${s}/root/run/firecracker.socket`, '--config-file', `/run/vc/firecracker/${s}/root/fcConfig.json`],
    ],
    [
      'Go firecracker as the jailer execs it: /firecracker --id <id[:32]>',
      '/firecracker',
      (s: string) => ['--id', s, '--start-time-us', '1', '--start-time-cpu-us', '1', '--parent-cpu-time-us', '1', '--config-file', '/fcConfig.json'],
    ],
    [
      'Go jailer: --id <id[:32]> --chroot-base-dir /run/vc',
      'jailer',
      (s: string) => [
        '--id',
        s,
        '--exec-file',
        '/usr/bin/firecracker',
        '--uid',
        '0',
        '--gid',
        '0',
        '--chroot-base-dir',
        '/run/vc',
        '--daemonize',
        '--',
        '--config-file',
        '/fcConfig.json',
      ],
    ],
  ] as const)
    it(`${form}: the ID cut to 32 characters, recorded as the hypervisor pid and as a pid long gone`, async () => {
      const p = tmp();
      const sid = id64();
      const hv = await namedProc(argv0, args(sid.slice(0, 32)));
      // The recorded pid is the VMM itself: its arguments carry only the first 32 characters.
      addPersistSandbox(p, sid, { state: 'running', type: 'firecracker', pid: hv.pid });
      await assertLive(p, sid, `${argv0}, recorded`);
      // The recorded pid gone (a jailer that forked): the VMM naming the cut ID still makes it live.
      const q = tmp();
      addPersistSandbox(q, sid, { state: 'running', type: 'firecracker', pid: deadPid() });
      await assertLive(q, sid, `${argv0}, not recorded`);
    });

  for (const [argv0, args] of [
    ['/firecracker-v1.7.0-x86_64', (s: string) => ['--id', s, '--start-time-us', '1', '--config-file', '/fcConfig.json']],
    ['jailer-v1.7.0-x86_64', (s: string) => ['--id', s, '--exec-file', '/opt/kata/bin/firecracker-v1.7.0-x86_64', '--chroot-base-dir', '/run/vc']],
  ] as const)
    it(`release-named binaries count as theirs: ${argv0} with the cut ID and the recorded pid gone`, async () => {
      const p = tmp();
      const sid = id64();
      addPersistSandbox(p, sid, { state: 'running', type: 'firecracker', pid: deadPid() });
      await namedProc(argv0, args(sid.slice(0, 32)));
      await assertLive(p, sid, argv0);
    });

  it('cloud-hypervisor-static (the upstream release name) beside a recorded pid that is gone', async () => {
    const p = tmp();
    const sid = id64();
    addPersistSandbox(p, sid, { state: 'running', type: 'clh', pid: deadPid() });
    await namedProc('cloud-hypervisor-static', ['--api-socket', `/run/vc/vm/${sid}/clh-api.sock`]);
    await assertLive(p, sid, 'cloud-hypervisor-static');
  });

  it("the jailer's chroot under the roots is the sandbox's, never processes-orphaned for the cut ID", async () => {
    const p = tmp();
    const sid = id64();
    addPersistSandbox(p, sid, { state: 'running', type: 'firecracker', pid: deadPid() });
    const hv = await namedProc('/firecracker', [
      '--id',
      sid.slice(0, 32),
      '--api-sock',
      `${p}/run/vc/firecracker/${sid.slice(0, 32)}/root/run/firecracker.socket`,
    ]);
    const c = await json(p, ['check']);
    assert.deepEqual(
      c.findings.filter((f: any) => f.code === 'processes-orphaned').map((f: any) => f.id),
      [],
    );
    // Another sandbox sharing those 32 characters cannot be told from it: neither is called dead.
    const twin = `${sid.slice(0, 32)}${id64().slice(32)}`;
    addPersistSandbox(p, twin, { state: 'running', type: 'firecracker', pid: deadPid() });
    const ls = await json(p, ['ls']);
    assert.deepEqual(
      ls.map((s: any) => s.hypervisor.alive),
      [true, true],
    );
    hv.kill('SIGKILL');
    await once(hv, 'exit');
    const dead = await json(p, ['ls']);
    assert.deepEqual(
      dead.map((s: any) => s.hypervisor.alive),
      [false, false],
      'once it is gone, both are dead',
    );
  });

  it('Go cloud-hypervisor: --api-socket /run/vc/vm/<id>/clh-api.sock', async () => {
    const p = tmp();
    const sid = id64();
    addPersistSandbox(p, sid, { state: 'running', type: 'clh', pid: deadPid() });
    await namedProc('cloud-hypervisor', ['--api-socket', `/run/vc/vm/${sid}/clh-api.sock`]);
    await assertLive(p, sid, 'cloud-hypervisor');
  });

  it('1.x acrn-dm: the positional sandbox-<id>; 2.x acrn-dm: sbx-<id> (IDs of at most 11 characters)', async () => {
    const p = tmp();
    const sid = id64();
    // The slot UUID (-U) is left out: a process carrying one would hold up another suite's uuid free.
    addSandbox(p, sid, { state: 'running', hypervisor: 'acrn', acrnUuid: 'e3189497-c3f6-4b97-9e2c-18ac0ab9064d', pid: deadPid() });
    await namedProc('acrn-dm', ['-A', '-m', '2048M', '-k', '/usr/share/kata-containers/vmlinuz.container', '-B', 'root=/dev/vda1', `sandbox-${sid}`]);
    await assertLive(p, sid, 'acrn-dm 1.x');
    const q = tmp();
    const short = `${R}${Math.random().toString(16).slice(2, 10)}`;
    addPersistSandbox(q, short, { state: 'running', type: 'acrn', pid: deadPid() });
    await namedProc('acrn-dm', ['-A', '-m', '2048M', `sbx-${short}`]);
    await assertLive(q, short, 'acrn-dm 2.x');
  });

  it('stratovirt: -name sandbox-<id> and -qmp unix:/run/vc/vm/<id>/qmp.socket', async () => {
    const p = tmp();
    const sid = id64();
    addPersistSandbox(p, sid, { state: 'running', type: 'stratovirt', pid: deadPid() });
    await namedProc('stratovirt', ['-name', `sandbox-${sid}`, '-uuid', U, '-qmp', `unix:/run/vc/vm/${sid}/qmp.socket,server,nowait`, '-D', '-disable-seccomp']);
    await assertLive(p, sid, 'stratovirt');
  });

  for (const [name, args] of [
    ['qemu-system-x86_64', (s: string) => ['-name', `sandbox-${s}`, '-qmp', 'unix:fd=3,server=on,wait=off']],
    ['firecracker', (s: string) => ['--id', s, '--start-time-us', '1', '--api-sock', '/run//fc.sock']],
    [
      'jailer',
      (s: string) => [
        '--id',
        s,
        '--gid',
        '0',
        '--uid',
        '0',
        '--exec-file',
        '/usr/bin/firecracker',
        '--chroot-base-dir',
        '/run/kata',
        '--',
        '--api-sock',
        '/run//fc.sock',
      ],
    ],
    ['cloud-hypervisor', (s: string) => ['--api-socket', `/run/kata/${s}/ch-api.sock`]],
    ['openvmm', (s: string) => ['--ttrpc', `/run/kata/${s}/openvmm.sock`]],
  ] as const)
    it(`runtime-rs ${name}: the whole ID, as runtime-rs launches it`, async () => {
      const p = tmp();
      const sid = id64();
      addRuntimeRsSandbox(p, sid, { type: name.replace(/-system-.*/, '') });
      const before = snapshot(p);
      await namedProc(name, args(sid));
      const [s] = await json(p, ['ls']);
      assert.equal(s.hypervisor.alive, true, JSON.stringify(s.hypervisor));
      oneLine(await vci(p, ['rm', sid]), 5, 'rm');
      assert.deepEqual(snapshot(p), before);
    });
});

describe('a sandbox the runtime is making is no debris', () => {
  it('kata-runtime run naming a store that is only a lock and raw/ (what 1.13 has before persist.json): no empty-shell, rm refuses', async () => {
    const p = tmp();
    const sid = id64();
    mkdirSync(join(p, 'run/vc/sbs', sid, 'raw'), { recursive: true });
    writeFileSync(join(p, 'run/vc/sbs', sid, 'lock'), '');
    const empty = await json(p, ['check']);
    assert.deepEqual(
      empty.findings.map((f: any) => f.code),
      ['empty-shell'],
      'without a runtime process it is debris',
    );
    await namedProc('kata-runtime', ['--log', '/var/log/kata.log', '--kata-config', '/etc/kata/configuration.toml', 'run', '-d', '-b', '/var/tmp/bundle', sid]);
    const c = await json(p, ['check']);
    assert.deepEqual(c.findings, [], 'being made by kata-runtime');
    const before = snapshot(p);
    oneLine(await vci(p, ['rm', sid]), 5, 'rm');
    await vci(p, ['check', '--fix']);
    assert.deepEqual(snapshot(p), before);
  });
});

describe('a VMM that names the sandbox makes it alive, whatever pid was recorded', () => {
  it('a live qemu naming the sandbox beside a recorded pid that is gone: alive in ls, show and check; rm and set refuse', async () => {
    const p = tmp();
    const sid = id64();
    addSandbox(p, sid, { state: 'running', hypervisor: 'qemu', pid: deadPid() });
    const hv = await namedProc('qemu-system-x86_64', ['-name', `sandbox-${sid}`]);
    const [s] = await json(p, ['ls']);
    assert.equal(s.hypervisor.running, hv.pid);
    const c = await json(p, ['check']);
    assert.ok(!c.findings.some((f: any) => f.code === 'hypervisor-dead'), JSON.stringify(c.findings));
    assert.ok(!c.findings.some((f: any) => /vcstore .*rm/.test(f.next)), 'no next step removes it');
    await assertLive(p, sid, 'qemu beside a gone pid');
  });

  it('a stopped sandbox with a running VM naming it cannot be told: liveness-unknown, and nothing removes it', async () => {
    const p = tmp();
    const sid = id64();
    addSandbox(p, sid, { state: 'stopped', hypervisor: 'qemu', pid: deadPid() });
    const hv = await namedProc('qemu-system-x86_64', ['-name', `sandbox-${sid}`]);
    const [s] = await json(p, ['ls']);
    assert.equal(s.hypervisor.alive, null);
    assert.match(s.hypervisor.unknown, new RegExp(`state is "stopped" but hypervisor pid ${hv.pid} names the sandbox`));
    const c = await json(p, ['check']);
    assert.deepEqual(
      c.findings.map((f: any) => f.code),
      ['liveness-unknown'],
    );
    const before = snapshot(p);
    oneLine(await vci(p, ['rm', sid]), 5, 'rm');
    await vci(p, ['check', '--fix']);
    assert.deepEqual(snapshot(p), before);
  });
});

describe('a VMM whose main thread exited is read through its threads', () => {
  const cc = spawnSync('sh', ['-c', 'command -v cc']).status === 0;
  it('its arguments come from a live thread: alive when they name the sandbox, dead when they name another', { skip: !cc && 'needs cc' }, async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 't.c'),
      '#include <pthread.h>\n#include <unistd.h>\nstatic void *t(void *a){(void)a;for(;;)pause();}\nint main(){pthread_t h;pthread_create(&h,0,t,0);pthread_exit(0);}\n',
    );
    const cr = spawnSync('cc', ['-pthread', '-o', join(dir, 'qemu-system-x86_64'), join(dir, 't.c')], { encoding: 'utf8' });
    assert.equal(cr.status, 0, cr.stderr);
    const sid = id64();
    const other = id64();
    const child = track(spawn(join(dir, 'qemu-system-x86_64'), ['-name', `sandbox-${sid}`], { stdio: 'ignore' }));
    await once(child, 'spawn');
    const pid = child.pid ?? 0;
    await until(() => readFileSync(`/proc/${pid}/cmdline`, 'latin1') === '', 'the main thread to exit');
    const p = tmp();
    addSandbox(p, sid, { state: 'running', hypervisor: 'qemu', pid });
    addSandbox(p, other, { state: 'running', hypervisor: 'qemu', pid });
    const ls = await json(p, ['ls']);
    const by = new Map(ls.map((s: any) => [s.id, s.hypervisor]));
    assert.deepEqual([(by.get(sid) as any).alive, (by.get(sid) as any).verified], [true, true]);
    // The recorded pid is another sandbox's VM now: reused, so that one is dead (and nothing else names it).
    assert.equal((by.get(other) as any).alive, false);
    const before = snapshot(p);
    oneLine(await vci(p, ['rm', sid]), 5, 'rm of the one it serves');
    assert.deepEqual(snapshot(p), before);
    // One such process no longer blocks every removal on the node.
    assert.equal((await vci(p, ['rm', other])).code, 0);
  });
});
