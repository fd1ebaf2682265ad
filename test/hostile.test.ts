// Hostile and broken input: one-line errors with documented exit codes,
// never a stack trace or a hang, and nothing outside the store read, written
// or deleted. Property-based (fast-check) where the input space is large.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CorruptItemError, parseJson } from '../src/store/fs/read.js';
import { UsageError } from '../src/store/fs/errors.js';
import { isValidId } from '../src/store/fs/ids.js';
import { ITEMS, resolveItemOrNull } from '../src/store/layouts/items.js';

import { judgeLegacy } from '../src/store/layouts/judge.js';
import { resolveRoots } from '../src/store/fs/roots.js';
import { sandboxPaths } from '../src/store/fs/paths.js';
import { addSandbox, deadPid, DOCUMENTED_EXITS, hasProblem, oneLine, R, ROOT, scratch, SLOW, snapshot, vcp } from './helpers.js';

const { tmp } = scratch();

describe('properties (fast-check)', () => {
  const roots = resolveRoots({ prefix: '/store', env: {} });
  it('any string is refused as an ID or names a path directly under its root', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('..', '.', '../etc', 'a/b', '/abs', 'a\0b', 'x'.repeat(256))), (id) => {
        let p;
        try {
          p = sandboxPaths(roots, id);
        } catch (e) {
          assert.ok(e instanceof UsageError);
          assert.ok(!(e as Error).message.includes('\n'));
          return;
        }
        assert.ok(isValidId(id));
        assert.equal(dirname(p.config), roots.config);
        assert.equal(dirname(p.runtime), roots.run);
        assert.equal(dirname(p.vm), roots.vm);
      }),
      { numRuns: 2000 },
    );
  });
  it('any item name resolves to one of the 11 items or to none', () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        const def = resolveItemOrNull(name);
        assert.ok(def === null || ITEMS.includes(def));
      }),
    );
  });
  it('any bytes parse or fail as a corrupt item, never otherwise', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parseJson(Buffer.from(bytes), 'x.json');
        } catch (e) {
          assert.ok(e instanceof CorruptItemError, String(e));
        }
      }),
    );
  });
  it('any JSON value as any 1.x item is judged without throwing: loadable or a verdict with a path', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...ITEMS.map((i) => i.file)), fc.boolean(), (v, file, container) => {
        const j = judgeLegacy(JSON.stringify(v), file, container, null);
        if (j !== 'no-such-item' && j.verdict) assert.equal(typeof j.verdict.message, 'string');
      }),
    );
  });
});

describe('hostile IDs and names, end to end', () => {
  const bad = ['../x', '../../etc/passwd', '/etc', 'a/b/c', 'A_/b', '.', '..', 'a\nb', 'x'.repeat(4096), 'héllo', '-rf'];
  it('every command refuses with exit 2 and one line, touching nothing', { skip: SLOW }, () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { hypervisor: 'firecracker', pid: deadPid() });
    const before = snapshot(p);
    for (const id of bad) {
      for (const args of [
        ['show', id],
        ['rm', '-f', id],
        ['lock', id],
        ['raw', id],
        ['set', id, '--state', 'stopped'],
        ['path', id],
        ['show', `${R}s1`, id, 'state'],
        ['raw', `${R}s1`, id],
      ]) {
        const r = vcp(
          p,
          args.map((a) => (a === '-rf' ? a : a)),
        );
        if (id === '-rf') {
          assert.ok(r.code === 2, `${args.join(' ')}: ${r.code}`); // an unknown option: still a usage error
          continue;
        }
        oneLine(r, 2, args.join(' '));
      }
    }
    assert.deepEqual(snapshot(p), before);
  });
  it('unknown item names: exit 2', () => {
    const p = tmp();
    addSandbox(p, `${R}s1`);
    for (const n of ['bogus', 'state.json.bak', '../state.json']) oneLine(vcp(p, ['show', `${R}s1`, `${R}s1`, n]), 2, n);
  });
});

describe('hostile store contents', () => {
  function store(): string {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    return p;
  }
  const state = (p: string) => join(p, `run/vc/sbs/${R}s1/state.json`);

  it('huge JSON: refused with exit 1 naming the limit; ls flags it and goes on', () => {
    const p = store();
    writeFileSync(state(p), `{"state":"running","x":"${'a'.repeat(17 * 1024 * 1024)}"}`);
    oneLine(vcp(p, ['show', `${R}s1`, 'state']), 1, 'show');
    assert.match(vcp(p, ['show', `${R}s1`, 'state']).stderr, /over the 16777216-byte limit/);
    const list = JSON.parse(vcp(p, ['ls', '--json']).stdout);
    assert.ok(hasProblem(list[0].problems, 'unreadable-item', 'state.json'));
  });
  it('deeply nested JSON: refused, no stack overflow', () => {
    const p = store();
    writeFileSync(state(p), '['.repeat(100000) + ']'.repeat(100000));
    const r = vcp(p, ['show', `${R}s1`, 'state']);
    oneLine(r, 1, 'show');
    assert.match(r.stderr, /nested deeper than 1000 levels/);
    assert.ok(hasProblem(JSON.parse(vcp(p, ['ls', '--json']).stdout)[0].problems, 'corrupt-item', 'state.json'));
    oneLine(vcp(p, ['set', `${R}s1`, 'state', '-'], { input: '['.repeat(5000) + ']'.repeat(5000) }), 2, 'set');
  });
  it('wrong type, not UTF-8, empty: flagged by ls, clear errors from show', () => {
    for (const [body, code, problem] of [
      ['[1,2]', 0, 'bad-shape:state.json'],
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 1, 'corrupt-item:state.json'],
      ['', 1, 'corrupt-item:state.json'],
    ] as const) {
      const p = store();
      writeFileSync(state(p), body);
      const r = vcp(p, ['show', `${R}s1`, 'state']);
      assert.equal(r.code, code, r.stderr);
      assert.ok(hasProblem(JSON.parse(vcp(p, ['ls', '--json']).stdout)[0].problems, problem.split(':')[0]!, problem.split(':')[1]));
    }
  });
  it('a FIFO or a directory where an item should be: no hang, exit 1', () => {
    const p = store();
    spawnSync('rm', [state(p)]);
    spawnSync('mkfifo', [state(p)]);
    mkdirSync(join(p, `run/vc/sbs/${R}s1/hypervisor.json.d`));
    spawnSync('rm', [join(p, `run/vc/sbs/${R}s1/hypervisor.json`)]);
    mkdirSync(join(p, `run/vc/sbs/${R}s1/hypervisor.json`));
    const t0 = Date.now();
    const r = vcp(p, ['show', `${R}s1`, 'state']);
    oneLine(r, 1, 'show fifo');
    assert.match(r.stderr, /a FIFO/);
    oneLine(vcp(p, ['show', `${R}s1`, 'hypervisor']), 1, 'show dir');
    const list = JSON.parse(vcp(p, ['ls', '--json']).stdout);
    assert.ok(hasProblem(list[0].problems, 'unreadable-item', 'state.json'));
    assert.ok(hasProblem(list[0].problems, 'unreadable-item', 'hypervisor.json'));
    assert.equal(vcp(p, ['check']).code, 6);
    assert.ok(Date.now() - t0 < 20_000, 'no hang');
  });
  it('lock file and items that are symlinks to /etc/passwd: refused, never followed', () => {
    const p = store();
    const lock = join(p, `run/vc/sbs/${R}s1/lock`);
    spawnSync('rm', [lock]);
    symlinkSync('/etc/passwd', lock);
    symlinkSync('/etc/passwd', join(p, `run/vc/sbs/${R}s1/agent.json.tmp`));
    const before = snapshot(p);
    const etc = snapshot('/etc/passwd');
    oneLine(vcp(p, ['lock', `${R}s1`]), 1, 'lock probe');
    assert.match(vcp(p, ['lock', `${R}s1`]).stderr, /refusing lock .*: it is a symbolic link/);
    oneLine(vcp(p, ['lock', `${R}s1`, '--', 'true']), 1, 'lock cmd');
    // A lock that is no regular file keeps no runtime out: destructive commands refuse (5).
    oneLine(vcp(p, ['rm', `${R}s1`]), 5, 'rm');
    oneLine(vcp(p, ['set', `${R}s1`, '--state', 'stopped']), 5, 'set');
    assert.equal(JSON.parse(vcp(p, ['ls', '--json']).stdout)[0].lock.held, false);
    assert.deepEqual(snapshot(p), before);
    assert.deepEqual(snapshot('/etc/passwd'), etc);
  });
  it('a sandbox dir that is a symlink out of the store: nothing outside is read, written or deleted', () => {
    const p = tmp();
    const outside = tmp();
    addSandbox(outside, `${R}victim`, { state: 'running' });
    mkdirSync(join(p, 'run/vc/sbs'), { recursive: true });
    symlinkSync(join(outside, `run/vc/sbs/${R}victim`), join(p, 'run/vc/sbs/evil'));
    const out = snapshot(outside);
    for (const args of [
      ['show', 'evil'],
      ['show', 'evil', 'state'],
      ['lock', 'evil', '--', 'true'],
      ['set', 'evil', '--state', 'stopped'],
      ['raw', 'evil'],
      ['rm', 'evil'],
      ['check', '--fix'],
    ]) {
      const r = vcp(p, args);
      assert.ok(r.code !== null && DOCUMENTED_EXITS.has(r.code), `${args.join(' ')}: ${r.code} ${r.stderr}`);
      assert.ok(!/internal error/.test(r.stderr), r.stderr);
    }
    assert.deepEqual(snapshot(outside), out);
  });
});

describe('non-root', { skip: process.getuid?.() !== 0 ? 'needs root to set up a root-owned store' : false }, () => {
  it('against a root-owned store: errors name the file, the permission and the command that needs root', () => {
    const p = tmp();
    chmodSync(p, 0o755);
    addSandbox(p, `${R}s1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    for (const d of ['var/lib/vc/sbs', 'run/vc/sbs']) {
      chmodSync(join(p, d), 0o750); // the runtime's DirMode
      for (const n of readdirSync(join(p, d))) chmodSync(join(p, d, n), 0o750);
    }
    const before = snapshot(p);
    // The checkout may sit where nobody cannot read (CI clones anywhere): run
    // a copy of the built CLI from a world-readable temp dir.
    const app = tmp();
    chmodSync(app, 0o755);
    cpSync(join(ROOT, 'bin'), join(app, 'bin'), { recursive: true });
    for (const d of ['vcstore.cjs', 'core.cjs', 'core-base.cjs', 'cmd', 'vendor', 'native']) cpSync(join(ROOT, 'dist', d), join(app, 'dist', d), { recursive: true });
    spawnSync('chmod', ['-R', 'a+rX', app]);
    const asNobody = (args: string[]) => {
      const r = spawnSync(process.execPath, [join(app, 'bin', 'vcstore'), '--prefix', p, ...args], {
        encoding: 'utf8',
        uid: 65534,
        gid: 65534,
        cwd: '/',
        env: { PATH: process.env.PATH },
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const ls = asNobody(['ls']);
    oneLine(ls, 1, 'ls');
    assert.match(ls.stderr, new RegExp(`^vcstore: cannot list ${p}/var/lib/vc/sbs: permission denied; 'vcstore ls' needs root or the store's owner\\n$`));
    const rm = asNobody(['rm', `${R}s1`]);
    oneLine(rm, 1, 'rm');
    assert.match(rm.stderr, /permission denied; 'vcstore rm' needs root/);
    const show = asNobody(['show', `${R}s1`, 'state']);
    oneLine(show, 1, 'show');
    assert.match(show.stderr, /permission denied; 'vcstore show' needs root/);
    assert.deepEqual(snapshot(p), before);
    void chownSync;
  });
});
