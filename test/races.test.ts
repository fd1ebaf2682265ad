// needs: root (mounts, a mount namespace of its own)
// The second hostile run against destructive steps: a bind mount made after
// the mount table was read, a trash entry named like an item, a run-time
// root that appears in the middle of a bulk rm, a lock that vanishes before
// it is opened, an ACRN sandbox whose UUID is not recorded yet, a host mount
// vcstore cannot see from its own mount namespace, a VM dir whose hypervisor
// lives, 1.x's own qemu binaries and a shim that is vcstore's ancestor,
// witnesses grown old during a bulk removal, foreign trash of a healthy
// sandbox, a config shell that filled up, duplicate IDs and empty trash.
// Each of these failed on the previous main.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs, { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { useAddon } from '../src/store/fs/addon.js';
import { RefusedError, StoreError } from '../src/store/fs/errors.js';
import { resolveRoots } from '../src/store/fs/roots.js';
import { withLock } from '../src/store/host/guard.js';
import { check } from '../src/store/inspect/check.js';
import { fix } from '../src/store/ops/fix.js';
import { removeSandboxes, type RemoveResult } from '../src/store/ops/remove.js';
import { deleteTree } from '../src/store/ops/trash.js';
import {
  addPersistSandbox,
  addSandbox,
  BIN,
  bindAt,
  collect,
  isRoot,
  mountsAt,
  namedProc,
  oneLine,
  R,
  scratch,
  snapshot,
  tmpfsAt,
  until,
  vcp,
  writeUuidStore,
} from './helpers.js';

const { tmp, track } = scratch();
const settings = { workers: false, youngMb: 6, addon: process.env.VCSTORE_ADDON !== '0' };
const roots = (p: string) => resolveRoots({ prefix: p, env: {} });

describe('the removal walk asks the kernel for every directory', { skip: isRoot ? false : 'needs root for mounts' }, () => {
  for (const fast of [true, false]) {
    it(`a bind mount made after the mount table was read is never entered (${fast ? 'addon' : 'careful walk'})`, () => {
      useAddon(fast);
      try {
        const p = tmp();
        const victim = join(p, 'victim');
        mkdirSync(victim);
        for (const f of ['f1', 'f2', 'f3']) writeFileSync(join(victim, f), 'precious');
        const top = join(p, 'trash', 'sb');
        mkdirSync(join(top, 'a', 'zz'), { recursive: true });
        writeFileSync(join(top, 'a', 'x'), 'x');
        bindAt(victim, join(top, 'a', 'zz'));
        // An empty table: what a table read before the mount would say.
        assert.throws(() => deleteTree(top, new Set()), StoreError);
        assert.deepEqual(readdirSync(victim).sort(), ['f1', 'f2', 'f3']);
        // And a mount on the top itself.
        const top2 = join(p, 'trash', 'sb2');
        mkdirSync(top2, { recursive: true });
        bindAt(victim, top2);
        assert.throws(() => deleteTree(top2, new Set()), StoreError);
        assert.deepEqual(readdirSync(victim).sort(), ['f1', 'f2', 'f3']);
      } finally {
        useAddon(settings.addon);
      }
    });
  }
});

describe('trash entries named like items are never containers', () => {
  it('check --fix and rm -c leave a live sandbox whole', async () => {
    const p = tmp();
    const sid = `${R}it1`;
    const q = await namedProc('/usr/bin/qemu-system-x86_64', ['-name', `sandbox-${sid}`]);
    addSandbox(p, sid, { state: 'running', hypervisor: 'qemu', pid: q.pid });
    const run = join(p, 'run/vc/sbs', sid);
    for (const name of ['state.json', 'hypervisor.json', 'lock', 'raw'])
      mkdirSync(join(run, `.vcstore-trash-999999-1-deadbeef${name.length}`, name), { recursive: true });
    const items = ['state.json', 'hypervisor.json', 'lock', 'raw'].map((n) => existsSync(join(run, n)));
    const j = JSON.parse(vcp(p, ['--json', 'check', '--fix']).stdout);
    assert.ok(
      !j.actions?.some((a: { action: string; paths: string[] }) => a.action === 'removed' && a.paths.some((x) => !x.includes('.vcstore-trash-'))),
      JSON.stringify(j.actions),
    );
    assert.deepEqual(
      ['state.json', 'hypervisor.json', 'lock', 'raw'].map((n) => existsSync(join(run, n))),
      items,
    );
    for (const name of ['state.json', 'lock', 'raw']) oneLine(vcp(p, ['rm', '-c', name, sid]), 2, `rm -c ${name}`);
    assert.ok(existsSync(join(run, 'state.json')));
  });
});

describe('a run-time root that appears during a bulk rm', () => {
  it('is not removed without its lock (5)', async () => {
    const p = tmp();
    const a = `${R}ba`;
    const b = `${R}bb`;
    addSandbox(p, a, { state: 'stopped' });
    addSandbox(p, b, { state: 'stopped' });
    const run = join(p, 'run/vc/sbs', b);
    const aside = join(p, 'aside');
    renameSync(run, aside); // b is config-only when rm plans its batch
    const out = new Map<string, RemoveResult | Error>();
    await removeSandboxes(roots(p), [a, b], { wait: 0 }, (sid, r) => {
      out.set(sid, r);
      if (sid === a) renameSync(aside, run); // comes back while a was being removed
    });
    assert.ok(!(out.get(a) instanceof Error));
    const r = out.get(b);
    assert.ok(r instanceof RefusedError, JSON.stringify(r));
    assert.ok(existsSync(join(run, 'state.json')) && existsSync(join(p, 'var/lib/vc/sbs', b, 'config.json')));
  });
});

describe('a lock that is gone when it is opened', () => {
  it('refuses a change (5) and lets a read go on', async () => {
    const p = tmp();
    let ran = false;
    await assert.rejects(
      withLock(join(p, 'gone', 'lock'), { mode: 'exclusive', wait: 0, label: 'sandbox x' }, () => {
        ran = true;
      }),
      RefusedError,
    );
    assert.equal(ran, false);
    await withLock(join(p, 'gone', 'lock'), { mode: 'shared', wait: 0, label: 'sandbox x' }, () => {
      ran = true;
    });
    assert.equal(ran, true);
  });
});

describe('ACRN slots of sandboxes whose UUID is not recorded yet', () => {
  it('1.x: config says acrn, no hypervisor.json: the slot is not leaked and uuid free refuses (5)', () => {
    const p = tmp();
    const sid = `${R}ac1`;
    addSandbox(p, sid, { state: 'running', hypervisor: 'acrn', pid: 0 });
    spawnSync('rm', [join(p, 'run/vc/sbs', sid, 'hypervisor.json')]);
    writeUuidStore(p, [1, 0, 0, 0, 0, 0, 0, 0]);
    const before = snapshot(p);
    const u = JSON.parse(vcp(p, ['--json', 'uuid']).stdout);
    assert.equal(u.slots[0].leaked, false);
    oneLine(vcp(p, ['uuid', 'free', '0']), 5, 'uuid free');
    assert.deepEqual(snapshot(p), before);
  });
  it('persist: HypervisorState.Type empty, Config.HypervisorType acrn: uuid free refuses (5)', () => {
    const p = tmp();
    const sid = `${R}ac3`;
    addPersistSandbox(p, sid, { state: 'running', type: 'acrn', pid: 0 });
    const f = join(p, 'run/vc/sbs', sid, 'persist.json');
    const doc = JSON.parse(readFileSync(f, 'utf8'));
    doc.HypervisorState.Type = '';
    writeFileSync(f, `${JSON.stringify(doc)}\n`);
    writeUuidStore(p, [1, 0, 0, 0, 0, 0, 0, 0]);
    oneLine(vcp(p, ['uuid', 'free', '0']), 5, 'uuid free');
  });
});

describe('a mount namespace of its own', { skip: isRoot && spawnSync('unshare', ['--version']).status === 0 ? false : 'needs root and unshare' }, () => {
  it("rm refuses a sandbox the host has mounted on after the split, and the host's mount stays", async () => {
    // The host is pid 1's mount namespace. The test runs in a mount namespace
    // of its own (scripts/private-mounts.sh), so the whole scene is played in a
    // pid namespace whose pid 1 is a shell holding the host's part: it mounts
    // after vcstore's namespace split off, and nothing reaches the real host.
    const p = tmp();
    const sid = `${R}mns`;
    addSandbox(p, sid, { state: 'stopped' });
    const m = join(p, 'run/vc/sbs', sid, 'm');
    mkdirSync(m);
    const ready = join(p, 'ready');
    const go = join(p, 'go');
    const out = join(p, 'out');
    // --force: in this pid namespace no process can be told apart, which alone would refuse; mounts still do.
    const vcstore = `${process.execPath} ${BIN} --prefix ${p} rm --force ${sid}`;
    const host = [
      `unshare -m --propagation private sh -c 'touch ${ready}; while [ ! -e ${go} ]; do sleep 0.02; done; exec ${vcstore}' > ${out} 2>&1 &`,
      `while [ ! -e ${ready} ]; do sleep 0.02; done`,
      `mount -t tmpfs vcstore-test ${m} && echo 'host data' > ${m}/file && touch ${go}`,
      'wait $!; rc=$?',
      `cat ${m}/file; umount ${m}; exit $rc`,
    ].join('\n');
    const r = await collect(
      track(spawn('unshare', ['-m', '--propagation', 'private', '-p', '-f', '--mount-proc', 'sh', '-c', host], { stdio: ['ignore', 'pipe', 'pipe'] })),
    );
    const said = readFileSync(out, 'utf8');
    oneLine({ code: r.code, stderr: said }, 5, 'rm in its own mount namespace');
    assert.match(said, /mount/);
    assert.equal(r.stdout, 'host data\n');
    assert.ok(existsSync(join(p, 'run/vc/sbs', sid, 'state.json')), 'the store stays');
  });
});

describe('rm of what is left of a sandbox: its VM dir', () => {
  it('refuses (5) a garbage pid file and a live hypervisor, as check --fix does', async () => {
    const p = tmp();
    mkdirSync(join(p, 'run/vc/sbs'), { recursive: true });
    mkdirSync(join(p, 'var/lib/vc/sbs'), { recursive: true });
    const g = `${R}vmg`;
    const l = `${R}vml`;
    mkdirSync(join(p, 'run/vc/vm', g), { recursive: true });
    writeFileSync(join(p, 'run/vc/vm', g, 'pid'), 'garbage');
    const q = await namedProc('mywrapper', ['-name', `sandbox-${l}`]);
    mkdirSync(join(p, 'run/vc/vm', l), { recursive: true });
    writeFileSync(join(p, 'run/vc/vm', l, 'pid'), String(q.pid));
    const before = snapshot(p);
    oneLine(vcp(p, ['rm', g]), 5, 'rm garbage pid');
    oneLine(vcp(p, ['rm', l]), 5, 'rm live pid');
    assert.deepEqual(snapshot(p), before);
  });
});

describe('runtime processes', () => {
  it("Kata 1.x's qemu-lite and qemu-vanilla binaries are hypervisors", async () => {
    for (const bin of ['/usr/bin/qemu-lite-system-x86_64', '/usr/bin/qemu-vanilla-system-x86_64']) {
      const p = tmp();
      const sid = `${R}ql${bin.length}`;
      addSandbox(p, sid, { state: 'stopped' });
      await namedProc(bin, ['-name', `sandbox-${sid}`]);
      oneLine(vcp(p, ['rm', sid]), 5, bin);
    }
  });
  it("a shim that is vcstore's own ancestor still counts", () => {
    const p = tmp();
    const sid = `${R}anc`;
    addSandbox(p, sid, { state: 'stopped' });
    const script = `const r=require('child_process').spawnSync(process.argv0===''?'node':${JSON.stringify(process.execPath)},[${JSON.stringify(BIN)},'--prefix',${JSON.stringify(p)},'rm',${JSON.stringify(sid)}],{encoding:'utf8'});process.stdout.write(String(r.status));`;
    const r = spawnSync(process.execPath, ['-e', script, '--', '-id', sid], { argv0: '/usr/bin/containerd-shim-kata-v2', encoding: 'utf8' });
    assert.equal(r.stdout, '5', r.stderr);
    assert.ok(existsSync(join(p, 'run/vc/sbs', sid)));
  });
});

describe('bulk witnesses are at most 100 ms old', () => {
  it('a shim started while an earlier sandbox of the batch was removed refuses the later one', async () => {
    const p = tmp();
    const a = `${R}sa`;
    const b = `${R}sb`;
    addSandbox(p, a, { state: 'stopped' });
    addSandbox(p, b, { state: 'stopped' });
    const out = new Map<string, RemoveResult | Error>();
    await removeSandboxes(roots(p), [a, b], { wait: 0 }, (sid, r) => {
      out.set(sid, r);
      if (sid !== a) return;
      track(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', '--', '-id', b], { argv0: 'containerd-shim-kata-v2', stdio: 'ignore' }));
      // The shim is up (exec done) before b is acted on; a's removal "took" 150 ms.
      const t = Date.now();
      while (Date.now() - t < 150);
    });
    assert.ok(out.get(b) instanceof RefusedError, JSON.stringify(out.get(b)));
    assert.ok(existsSync(join(p, 'run/vc/sbs', b)));
  });
});

describe('check --fix acts only on what is still true under the lock', () => {
  it('foreign trash of a healthy sandbox: only the trash goes', () => {
    const p = tmp();
    const sid = `${R}keep`;
    addSandbox(p, sid, { state: 'stopped' });
    mkdirSync(join(p, 'var/lib/vc/sbs/.vcstore-trash-999999-1-deadbeef', sid, 'x'), { recursive: true });
    const j = JSON.parse(vcp(p, ['--json', 'check', '--fix']).stdout);
    assert.ok(j.actions.some((a: { code: string; action: string }) => a.code === 'removal-unfinished' && a.action === 'removed'));
    assert.ok(existsSync(join(p, 'run/vc/sbs', sid, 'state.json')) && existsSync(join(p, 'var/lib/vc/sbs', sid, 'config.json')));
    assert.equal(existsSync(join(p, 'var/lib/vc/sbs/.vcstore-trash-999999-1-deadbeef')), false);
  });
  it('a config shell that filled up between check and --fix is left', async () => {
    const p = tmp();
    const sid = `${R}shell`;
    addPersistSandbox(p, sid, { state: 'stopped', configShell: true });
    const r = roots(p);
    const report = await check(r, { stuckAfter: 60, settings });
    assert.ok(report.findings.some((f) => f.code === 'config-shell'));
    writeFileSync(join(p, 'var/lib/vc/sbs', sid, 'config.json'), '{}');
    const { actions } = await fix(r, report, { dryRun: false });
    assert.ok(
      actions.some((a) => a.code === 'config-shell' && a.action === 'left'),
      JSON.stringify(actions),
    );
    assert.ok(existsSync(join(p, 'var/lib/vc/sbs', sid, 'config.json')));
  });
});

describe('a fix shares its witnesses, but not across a lock', () => {
  it('each config shell removed under its lock reads mountinfo after taking it, however fresh the last read', async () => {
    const p = tmp();
    const ids = Array.from({ length: 4 }, (_, i) => `${R}wl${i}`);
    for (const sid of ids) addPersistSandbox(p, sid, { state: 'stopped', configShell: true });
    const r = roots(p);
    const report = await check(r, { stuckAfter: 60, settings });
    // A clock that moves only a microsecond a reading: every read is "fresh"
    // by age, so only the rule about the lock can make a fix read again.
    const read = fs.readFileSync;
    let t = performance.now();
    let reads = 0;
    fs.readFileSync = ((...a: Parameters<typeof read>) => {
      if (a[0] === '/proc/self/mountinfo') reads++;
      return read(...a);
    }) as typeof read;
    syncBuiltinESMExports();
    performance.now = () => (t += 0.001);
    try {
      const { actions } = await fix(r, report, { dryRun: false });
      assert.equal(actions.filter((a) => a.code === 'config-shell' && a.action === 'removed').length, ids.length, JSON.stringify(actions));
    } finally {
      fs.readFileSync = read;
      syncBuiltinESMExports();
      // Back to Performance.prototype.now.
      Reflect.deleteProperty(performance, 'now');
    }
    assert.ok(reads >= ids.length, `mountinfo read ${reads} times for ${ids.length} locked removals`);
  });
});

describe('small things', () => {
  it('rm X X removes X once and exits 0', () => {
    const p = tmp();
    const sid = `${R}dup`;
    addSandbox(p, sid, { state: 'stopped' });
    for (const flags of [['--nonblock'], []]) {
      addSandbox(p, sid, { state: 'stopped' });
      const r = vcp(p, ['rm', ...flags, sid, sid]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(existsSync(join(p, 'run/vc/sbs', sid)), false);
    }
  });
  it('empty trash dirs left by a killed rm are cleaned by the next rm', () => {
    const p = tmp();
    const sid = `${R}et`;
    addSandbox(p, sid, { state: 'stopped' });
    mkdirSync(join(p, 'run/vc/vm/.vcstore-trash-999999-1-deadbeef'), { recursive: true });
    assert.equal(vcp(p, ['rm', sid]).code, 0);
    assert.equal(existsSync(join(p, 'run/vc/vm/.vcstore-trash-999999-1-deadbeef')), false);
  });
});

describe('a busy node: mounts come and go while vcstore reads the mount table', { skip: isRoot ? false : 'needs root to mount' }, () => {
  it('each mount below a sandbox counts once, however the two reads of mountinfo differ', async () => {
    const p = tmp();
    const sid = `${R}busy`;
    const at = join(p, 'run/kata-containers/shared/sandboxes', sid, 'mounts');
    for (let i = 0; i < 3; i++) tmpfsAt(join(at, `m${i}`));
    // Another workload mounting and unmounting as fast as it can, elsewhere.
    const churn = join(tmp(), 'churn');
    mkdirSync(churn);
    // A process group of its own: the mount(8) or umount(8) it is running goes with it, or one finishing
    // after the loop was killed would leave a mount on the churn dir and its removal would hit EBUSY.
    const loop = track(spawn('sh', ['-c', `while :; do mount -t tmpfs churn ${churn} && umount ${churn}; done`], { stdio: 'ignore', detached: true }));
    try {
      for (let i = 0; i < 15; i++) {
        const r = vcp(p, ['--json', 'check']);
        const f = JSON.parse(r.stdout).findings.find((x: { id: string; code: string }) => x.id === sid && x.code === 'mounts-leaked');
        assert.equal(f?.evidence.count, 3, `run ${i}: ${r.stdout.slice(0, 300)}`);
      }
    } finally {
      const gone = loop.exitCode === null && loop.signalCode === null ? once(loop, 'exit') : Promise.resolve();
      process.kill(-(loop.pid ?? 0), 'SIGKILL');
      await gone;
      // Its last mount(8) may still be finishing: unmount until nothing is mounted there.
      await until(() => {
        spawnSync('umount', ['-l', churn]);
        return mountsAt(churn) === 0;
      }, 'the churn dir to be unmounted');
    }
  });
});
