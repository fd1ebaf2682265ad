// needs: root (unshare --pid)
// Locks against real flock(2) holders in other processes.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BusyError, NotFoundError } from '../src/store/fs/errors.js';
import { acquire, InterruptedError, lockHolders } from '../src/store/host/locks.js';
import { addon as nativeFlock, addonTarget, useAddon } from '../src/store/fs/addon.js';
import {
  addSandbox,
  BIN,
  collect,
  flockFree,
  holdFlock,
  R,
  ROOT,
  run,
  runLock,
  scratch,
  snapshot,
  until,
  vc,
  vcAsync,
  vcp,
  waiterOn,
  writeUuidStore,
} from './helpers.js';

const { tmp } = scratch();
const store = (...sids: string[]) => {
  const d = tmp();
  for (const s of sids) addSandbox(d, s);
  return d;
};

describe('core locking', () => {
  it('exclusive lock is seen by flock(1), and released on release()', async () => {
    const p = store(`${R}s1`);
    const l = await acquire(runLock(p, `${R}s1`), { mode: 'exclusive', wait: 0 });
    assert.equal(flockFree(runLock(p, `${R}s1`), 's'), false);
    l.release();
    assert.equal(flockFree(runLock(p, `${R}s1`)), true);
  });
  it('shared lock admits other readers, keeps writers out', async () => {
    const p = store(`${R}s1`);
    const l = await acquire(runLock(p, `${R}s1`), { mode: 'shared', wait: 0 });
    assert.equal(flockFree(runLock(p, `${R}s1`), 's'), true);
    assert.equal(flockFree(runLock(p, `${R}s1`), 'x'), false);
    l.release();
  });
  it('busy: non-blocking fails at once naming the holder pid and command', async () => {
    const p = store(`${R}s1`);
    const h = await holdFlock(runLock(p, `${R}s1`));
    try {
      await assert.rejects(acquire(runLock(p, `${R}s1`), { mode: 'shared', wait: 0, label: `sandbox ${R}s1` }), (e: unknown) => {
        assert.ok(e instanceof BusyError);
        assert.equal(e.exitCode, 4);
        assert.ok(
          e.holders.some((x) => x.command === 'sleep' || x.command === 'flock'),
          JSON.stringify(e.holders),
        );
        assert.match(e.message, new RegExp(String.raw`sandbox ${R}s1 is locked: held by pid \d+`));
        return true;
      });
    } finally {
      await h.release();
    }
  });
  it('a wait times out after about the time asked', async () => {
    const p = store(`${R}s1`);
    const h = await holdFlock(runLock(p, `${R}s1`), 's');
    try {
      const t0 = Date.now();
      await assert.rejects(acquire(runLock(p, `${R}s1`), { mode: 'exclusive', wait: 0.3 }), BusyError);
      assert.ok(Date.now() - t0 >= 250);
    } finally {
      await h.release();
    }
  });
  it('a waiter gets the lock when the holder is killed -9', async () => {
    const p = store(`${R}s1`);
    const h = await holdFlock(runLock(p, `${R}s1`));
    const pending = acquire(runLock(p, `${R}s1`), { mode: 'exclusive', wait: 10 });
    await until(() => waiterOn(runLock(p, `${R}s1`)), 'the waiter to queue');
    process.kill(-h.pid, 'SIGKILL');
    const l = await pending;
    assert.equal(flockFree(runLock(p, `${R}s1`)), false);
    l.release();
    await h.release();
  });
  it('aborting a wait leaves nothing held and nothing behind', async () => {
    const p = store(`${R}s1`);
    const h = await holdFlock(runLock(p, `${R}s1`));
    const ac = new AbortController();
    const pending = acquire(runLock(p, `${R}s1`), { mode: 'exclusive', wait: Infinity, signal: ac.signal });
    await until(() => waiterOn(runLock(p, `${R}s1`)), 'the waiter to queue');
    ac.abort(new InterruptedError('SIGINT'));
    await assert.rejects(pending, InterruptedError);
    await h.release();
    assert.equal(flockFree(runLock(p, `${R}s1`)), true);
  });
  it('never creates a lock file', async () => {
    const p = store();
    await assert.rejects(acquire(join(p, `run/vc/sbs/${R}ghost/lock`), { mode: 'exclusive', wait: 0 }), NotFoundError);
    assert.deepEqual(readdirSync(p), []);
  });
  it('holders are found through /proc/<pid>/fdinfo, not the dead helper pid', async () => {
    const p = store(`${R}s1`);
    const l = await acquire(runLock(p, `${R}s1`), { mode: 'exclusive', wait: 0 });
    // The flock(1) helper that called flock() has exited; the holder is us,
    // and lockHolders leaves our own pid out: as if free for this process.
    const r = lockHolders([runLock(p, `${R}s1`)]).get(runLock(p, `${R}s1`))!;
    assert.equal(r.held, false);
    l.release();
    const h = await holdFlock(runLock(p, `${R}s1`));
    const r2 = lockHolders([runLock(p, `${R}s1`)]).get(runLock(p, `${R}s1`))!;
    assert.equal(r2.held, true);
    // flock(1) forks sh/sleep, which inherit the descriptor: both are holders.
    assert.ok(r2.holders.length >= 1);
    assert.ok(r2.holders.every((x) => x.mode === 'exclusive' && !x.waiting));
    await h.release();
  });
  it('missing /proc/locks: not visible, never claimed free', () => {
    const p = store(`${R}s1`);
    const r = lockHolders([runLock(p, `${R}s1`)], null).get(runLock(p, `${R}s1`))!;
    assert.deepEqual(r, { held: false, holders: [], visible: false });
  });
});

for (const mode of ['native', 'helper'] as const) {
  const env = mode === 'helper' ? { VCSTORE_ADDON: '0' } : {};
  describe(`vcstore lock (${mode} flock)`, () => {
    it('probe: free exits 0 and takes nothing', () => {
      const p = store(`${R}s1`);
      const before = snapshot(p);
      const r = vcp(p, ['lock', `${R}s1`], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `sandbox ${R}s1: free\n`);
      assert.deepEqual(snapshot(p), before);
    });
    it('probe: held exits 4 and names the holder; --json', async () => {
      const p = store(`${R}s1`);
      const h = await holdFlock(runLock(p, `${R}s1`));
      try {
        const r = vcp(p, ['lock', `${R}s1`], { env });
        assert.equal(r.code, 4);
        assert.match(r.stdout, new RegExp(String.raw`^sandbox ${R}s1: locked, held by pid \d+ \((flock|sh|sleep), exclusive\)`));
        const j = JSON.parse(vcp(p, ['--json', 'lock', `${R}s1`], { env }).stdout);
        assert.equal(j.held, true);
        assert.equal(j.visible, true);
        assert.ok(j.holders.length >= 1);
        assert.deepEqual(Object.keys(j.holders[0]).sort(), ['command', 'mode', 'pid', 'waiting']);
      } finally {
        await h.release();
      }
    });
    it(
      'probe from another pid namespace, where /proc/locks hides the host, says it cannot tell (exit 1)',
      { skip: process.getuid?.() !== 0 && 'needs root for unshare --pid' },
      () => {
        const p = store(`${R}s1`);
        const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, BIN, '--prefix', p, 'lock', `${R}s1`], {
          encoding: 'utf8',
          env: { PATH: process.env.PATH, ...env },
        });
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stdout, /unknown/);
      },
    );
    it("runs CMD under the lock: flock -n from outside cannot enter; exit status is CMD's", () => {
      const p = store(`${R}s1`);
      const lk = runLock(p, `${R}s1`);
      const r = vcp(p, ['lock', `${R}s1`, '--', 'sh', '-c', `flock -n -s ${lk} true; echo inner=$?; exit 7`], { env });
      assert.equal(r.code, 7, r.stderr);
      assert.equal(r.stdout, 'inner=1\n');
      assert.equal(flockFree(lk), true);
    });
    it('--shared lets readers in, keeps writers out', () => {
      const p = store(`${R}s1`);
      const lk = runLock(p, `${R}s1`);
      const r = vcp(p, ['lock', '--shared', `${R}s1`, '--', 'sh', '-c', `flock -n -s ${lk} true; echo s=$?; flock -n -x ${lk} true; echo x=$?`], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 's=0\nx=1\n');
    });
    it('busy: exit 4 after --wait, naming the holder; CMD never runs', async () => {
      const p = store(`${R}s1`);
      const h = await holdFlock(runLock(p, `${R}s1`));
      try {
        const r = vcp(p, ['lock', '--wait', '0.2', `${R}s1`, '--', 'sh', '-c', 'echo ran'], { env });
        assert.equal(r.code, 4);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, new RegExp(String.raw`^vcstore: sandbox ${R}s1 is locked after waiting 0\.2s: held by pid \d+`));
        assert.equal(r.stderr.trim().split('\n').length, 1);
        const n = vcp(p, ['lock', '--nonblock', `${R}s1`, '--', 'true'], { env });
        assert.equal(n.code, 4);
      } finally {
        await h.release();
      }
    });
    it('the lock outlives a killed vcstore while CMD runs', async () => {
      const p = store(`${R}s1`);
      const lk = runLock(p, `${R}s1`);
      const child = vcAsync(['--prefix', p, 'lock', `${R}s1`, '--', 'sh', '-c', 'echo go; sleep 1'], env);
      await new Promise<void>((res) => child.stdout!.once('data', () => res()));
      const gone = new Promise((res) => child.once('exit', res));
      child.kill('SIGKILL');
      await gone;
      assert.equal(flockFree(lk), false, 'CMD still holds the lock');
      await until(() => flockFree(lk), 'CMD to exit and release the lock');
    });
    it('SIGTERM while waiting: exits 143, nothing held, nothing left', async () => {
      const p = store(`${R}s1`);
      const h = await holdFlock(runLock(p, `${R}s1`));
      const before = snapshot(p);
      const child = vcAsync(['--prefix', p, 'lock', '--wait', 'inf', `${R}s1`, '--', 'true'], env);
      const done = collect(child);
      await until(() => waiterOn(runLock(p, `${R}s1`)), 'vcstore to queue for the lock');
      child.kill('SIGTERM');
      const r = await done;
      assert.equal(r.code, 143, r.stderr);
      assert.match(r.stderr, /interrupted by SIGTERM/);
      await h.release();
      assert.equal(flockFree(runLock(p, `${R}s1`)), true);
      assert.deepEqual(snapshot(p), before);
    });
    it('SIGTERM while CMD runs: forwarded to CMD, lock released', async () => {
      const p = store(`${R}s1`);
      // CMD execs the sleep: the forwarded SIGTERM reaches it (no orphan holding the pipe open).
      const child = vcAsync(['--prefix', p, 'lock', `${R}s1`, '--', 'sh', '-c', 'echo go; exec sleep 30'], env);
      const done = collect(child);
      await new Promise<void>((res) => child.stdout!.once('data', () => res()));
      child.kill('SIGTERM');
      const r = await done;
      assert.equal(r.code, 143);
      assert.equal(flockFree(runLock(p, `${R}s1`)), true);
    });
    it('missing sandbox exits 3 and creates nothing; bad ID exits 2', () => {
      const p = store();
      const r = vcp(p, ['lock', `${R}ghost`, '--', 'true'], { env });
      assert.equal(r.code, 3);
      assert.equal(r.stderr, `vcstore: sandbox ${R}ghost not found\n`);
      assert.deepEqual(readdirSync(p), []);
      const b = vcp(p, ['lock', '../etc'], { env });
      assert.equal(b.code, 2);
      assert.equal(existsSync(join(p, 'run')), false);
    });
    it('command not found exits 127 and releases', () => {
      const p = store(`${R}s1`);
      const r = vcp(p, ['lock', `${R}s1`, '--', 'no-such-command-xyz'], { env });
      assert.equal(r.code, 127);
      assert.equal(flockFree(runLock(p, `${R}s1`)), true);
    });
  });
}

describe('flock implementation', () => {
  // Under CI the addon must be there: a build that silently fell back to flock(1) fails here,
  // also in the run with VCSTORE_ADDON=0 (which turns it off, not away).
  const built = existsSync(join(ROOT, 'dist/native', addonTarget(), 'vcstore.node'));
  before(() => useAddon(true));
  after(() => useAddon(process.env.VCSTORE_ADDON !== '0'));
  it(
    'this build uses the in-process flock(2) addon (flock(1) only for waits)',
    { skip: built || process.env.CI === 'true' ? false : 'addon not built (no C compiler)' },
    () => {
      assert.ok(built, `dist/native/${addonTarget()}/vcstore.node`);
      assert.ok(nativeFlock());
    },
  );
  it('vcstore --version --verbose names the lock backend in use', () => {
    const native = vc(['--version', '--verbose'], { env: { VCSTORE_ADDON: '1' } });
    assert.equal(native.code, 0);
    assert.match(
      native.stdout,
      built
        ? /^\d+\.\d+\.\d+\nlock backend: flock\(2\) through the Node-API addon .*linux-[a-z0-9]+-(glibc|musl)\/vcstore\.node/
        : /lock backend: util-linux flock\(1\)/,
    );
    assert.match(
      vc(['--version', '--verbose'], { env: { VCSTORE_ADDON: '0' } }).stdout,
      /lock backend: util-linux flock\(1\) for every lock \(VCSTORE_ADDON=0/,
    );
  });
});

describe('a wait says what it waits for', () => {
  it('show on a locked sandbox: on a terminal, past a moment, it names the holder and how not to wait; exit 4 names --no-lock; off a terminal no waiting line', async () => {
    const p = tmp();
    addSandbox(p, `${R}wt`, { state: 'stopped' });
    const h = await holdFlock(runLock(p, `${R}wt`));
    try {
      const tty = await run(['--prefix', p, 'show', '--wait', '1', `${R}wt`], {}, { tty: true });
      assert.equal(tty.code, 4);
      assert.match(
        tty.stderr,
        new RegExp(
          String.raw`^vcstore: waiting for the lock of sandbox ${R}wt, held by pid ${h.pid} .*; --nonblock fails at once, --no-lock reads without it$`,
          'm',
        ),
      );
      assert.match(tty.stderr, /--no-lock reads it without the lock\n$/);
      const pipe = await run(['--prefix', p, 'show', '--wait', '1', `${R}wt`]);
      assert.equal(pipe.code, 4);
      assert.doesNotMatch(pipe.stderr, /waiting for the lock/);
      assert.equal(pipe.stderr.trim().split('\n').length, 1);
    } finally {
      await h.release();
    }
  });

  it('set, raw (list and create), lock, uuid free and rm say the same on a terminal, and exit 4 after their wait', async () => {
    const p = tmp();
    const sid = `${R}wc`;
    addSandbox(p, sid, { state: 'stopped' });
    writeUuidStore(p, [0, 0, 0, 1, 0, 0, 0, 0]);
    const h = await holdFlock(runLock(p, sid));
    const u = await holdFlock(join(p, 'var/lib/vc/uuid/lock'));
    try {
      for (const [what, args] of [
        [`sandbox ${sid}`, ['set', '--wait', '1', sid, 'state', '--state', 'stopped']],
        [`sandbox ${sid}`, ['raw', '--wait', '1', '--list', sid]],
        [`sandbox ${sid}`, ['raw', '--wait', '1', sid, 'x']],
        [`sandbox ${sid}`, ['lock', '--wait', '1', sid, '--', 'true']],
        ['the ACRN UUID store', ['uuid', 'free', '--wait', '1', '3']],
        [`sandbox ${sid}`, ['rm', '--wait', '1', sid]],
      ] as const) {
        const tty = await run(['--prefix', p, ...args], {}, { tty: true });
        assert.equal(tty.code, 4, `${args[0]}: ${tty.stderr}`);
        assert.match(
          tty.stderr,
          new RegExp(String.raw`^vcstore: waiting for the lock of ${what}, held by pid \d+ .*; --nonblock fails at once instead$`, 'm'),
          args.join(' '),
        );
        const pipe = await run(['--prefix', p, ...args]);
        assert.equal(pipe.code, 4);
        assert.doesNotMatch(pipe.stderr, /waiting for the lock/);
      }
    } finally {
      await h.release();
      await u.release();
    }
  });
});
