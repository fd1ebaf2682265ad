// needs: nothing
// Core store module on real temp dirs: IDs, items, roots, safe reads, atomic writes, /proc/locks parsing.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UsageError, NotFoundError, StoreError } from '../src/store/fs/errors.js';
import { isValidId, validateId } from '../src/store/fs/ids.js';
import { ITEMS, itemPath, resolveItemOrNull } from '../src/store/layouts/items.js';

const resolveItem = (name: string) => resolveItemOrNull(name) ?? assert.fail(`no item ${name}`);
import { isRootless, resolveRoots } from '../src/store/fs/roots.js';
import { CorruptItemError, readJson, readRegular } from '../src/store/fs/read.js';
import { atomicWrite, cleanStaleTemps } from '../src/store/fs/write.js';
import { goJson } from '../src/store/fs/gojson.js';
import { removeTree } from '../src/store/ops/trash.js';
import { devInoKey, readProcLocks } from '../src/store/host/locks.js';
import { hypervisorTypeOf } from '../src/store/layouts/legacy.js';

import { rootListing } from '../src/store/read/scan.js';
import { addSandbox, hex64, scratch, snapshot } from './helpers.js';

const { tmp } = scratch();

describe('IDs', () => {
  it('accepts what Kata accepts', () => {
    for (const id of ['a', hex64('x'), 'pod_1.2-x', 'A9']) assert.equal(validateId(id), id);
  });
  it('rejects empty, dots, slashes, NUL, newline, over-long, unicode', () => {
    for (const id of ['', '.', '..', '../etc', '/abs', 'a/b', 'a\0b', 'a\nb', '-x', '_x', 'x'.repeat(256), 'héllo', ' a'])
      assert.throws(() => validateId(id), UsageError, JSON.stringify(id));
    assert.equal(isValidId('x'.repeat(255)), true);
  });
  it('error messages stay on one line', () => {
    let message: string | undefined;
    try {
      validateId('a\nb');
    } catch (e) {
      message = (e as Error).message;
    }
    assert.ok(message !== undefined, 'validateId must throw');
    assert.ok(!message.includes('\n'), message);
  });
});

describe('items', () => {
  it('has the 11 Go items with their files and roots', () => {
    assert.equal(ITEMS.length, 11);
    assert.deepEqual(
      ITEMS.map((i) => [i.name, i.value, i.file, i.root]),
      [
        ['Configuration', 0, 'config.json', 'config'],
        ['State', 1, 'state.json', 'run'],
        ['Network', 2, 'network.json', 'run'],
        ['Hypervisor', 3, 'hypervisor.json', 'run'],
        ['Agent', 4, 'agent.json', 'run'],
        ['Process', 5, 'process.json', 'run'],
        ['Lock', 6, 'lock', 'run'],
        ['Mounts', 7, 'mounts.json', 'run'],
        ['Devices', 8, 'devices.json', 'run'],
        ['DeviceIDs', 9, 'devices.json', 'run'],
        ['UUID', 10, 'uuid.json', 'uuid'],
      ],
    );
  });
  it('resolves enum names, file names and short forms, any case', () => {
    assert.equal(resolveItem('state').name, 'State');
    assert.equal(resolveItem('STATE').name, 'State');
    assert.equal(resolveItem('state.json').name, 'State');
    assert.equal(resolveItem('config').name, 'Configuration');
    assert.equal(resolveItem('deviceids').name, 'DeviceIDs');
    assert.equal(resolveItemOrNull('nope'), null);
  });
  it('builds item paths under the right root', () => {
    const r = resolveRoots({ prefix: '/p', env: {} });
    assert.equal(itemPath(r, resolveItem('config'), 's1'), '/p/var/lib/vc/sbs/s1/config.json');
    assert.equal(itemPath(r, resolveItem('state'), 's1', 'c1'), '/p/run/vc/sbs/s1/c1/state.json');
    assert.equal(itemPath(r, resolveItem('uuid')), '/p/var/lib/vc/uuid/uuid.json');
    assert.throws(() => itemPath(r, resolveItem('state'), '../x'), UsageError);
  });
});

describe('roots', () => {
  it('default roots', () => {
    const r = resolveRoots({ env: {}, uidMap: '0 0 4294967295', euid: 0 });
    assert.equal(r.config, '/var/lib/vc/sbs');
    assert.equal(r.run, '/run/vc/sbs');
    assert.equal(r.uuid, '/var/lib/vc/uuid');
    assert.equal(r.vm, '/run/vc/vm');
  });
  it('the prefix applies to every root', () => {
    const r = resolveRoots({ prefix: '/pfx', env: {}, uidMap: null });
    for (const v of [r.config, r.run, r.uuid, r.persistUuid, r.vm, r.kata]) assert.ok(v.startsWith('/pfx/'), v);
  });
  it('rootless from uid_map, as the Go runtime decides it, then $XDG_RUNTIME_DIR', () => {
    assert.equal(isRootless('         0       1000          1\n', 0), true);
    assert.equal(isRootless('         0          0 4294967295\n', 0), false);
    assert.equal(isRootless('         0       1000          1\n', 1000), false);
    const r = resolveRoots({ env: { XDG_RUNTIME_DIR: '/run/user/1000' }, uidMap: '0 1000 1', euid: 0 });
    assert.equal(r.run, '/run/user/1000/run/vc/sbs');
    const f = resolveRoots({ env: { XDG_RUNTIME_DIR: '/x', VCSTORE_ROOTLESS: '0' }, uidMap: '0 1000 1', euid: 0 });
    assert.equal(f.run, '/run/vc/sbs');
  });
});

describe('safe reads', () => {
  it('names the file on corrupt, truncated, empty and non-UTF-8 JSON', () => {
    const d = tmp();
    const cases: [string, Buffer | string][] = [
      ['trunc.json', '{"state":"runn'],
      ['empty.json', ''],
      ['latin1.json', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])],
    ];
    for (const [name, body] of cases) {
      writeFileSync(join(d, name), body);
      assert.throws(
        () => readJson(join(d, name)),
        (e: unknown) => e instanceof CorruptItemError && (e as Error).message.includes(name),
      );
    }
  });
  it('refuses symlinks, directories and FIFOs without hanging', () => {
    const d = tmp();
    symlinkSync('/etc/passwd', join(d, 'link.json'));
    mkdirSync(join(d, 'dir.json'));
    spawnSync('mkfifo', [join(d, 'fifo.json')]);
    for (const n of ['link.json', 'dir.json', 'fifo.json']) assert.throws(() => readRegular(join(d, n)), StoreError, n);
  });
  it('missing file is NotFound', () => {
    assert.throws(() => readRegular('/nonexistent/x.json'), NotFoundError);
  });
});

describe('atomic writes', () => {
  it('replaces content, keeps the mode, leaves no temp file', () => {
    const d = tmp();
    const f = join(d, 'state.json');
    writeFileSync(f, '{"state":"running"}', { mode: 0o640 });
    atomicWrite(f, '{"state":"stopped"}');
    assert.equal(readFileSync(f, 'utf8'), '{"state":"stopped"}');
    assert.equal(statSync(f).mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(d), ['state.json']);
  });
  it('new files get 0644 like os.Create under umask 022', () => {
    const d = tmp();
    atomicWrite(join(d, 'n.json'), '[]');
    assert.equal(statSync(join(d, 'n.json')).mode & 0o777, 0o644);
  });
  it('refuses to replace a symlink, and leaves its target alone', () => {
    const d = tmp();
    writeFileSync(join(d, 'target'), 'keep');
    symlinkSync(join(d, 'target'), join(d, 'state.json'));
    assert.throws(() => atomicWrite(join(d, 'state.json'), '{}'), StoreError);
    assert.equal(readFileSync(join(d, 'target'), 'utf8'), 'keep');
  });
  it('cleans temp files left by a dead writer', () => {
    const d = tmp();
    writeFileSync(join(d, '.state.json.vcstore-999999999-abcd1234.tmp'), 'half');
    assert.equal(cleanStaleTemps(d).length, 1);
    assert.equal(existsSync(join(d, '.state.json.vcstore-999999999-abcd1234.tmp')), false);
  });
});

describe('goJson', () => {
  it('writes compact JSON with Go encoding/json HTML escaping', () => {
    assert.equal(goJson({ a: '<b>&', n: [1, 2], s: 'x\u2028y' }), '{"a":"\\u003cb\\u003e\\u0026","n":[1,2],"s":"x\\u2028y"}');
    assert.deepEqual(JSON.parse(goJson({ a: '<&>' })), { a: '<&>' });
  });
});

describe('removeTree', () => {
  it('removes a tree but never follows a symlink inside it', () => {
    const d = tmp();
    const outside = tmp();
    writeFileSync(join(outside, 'precious'), 'x');
    mkdirSync(join(d, 'sb'));
    symlinkSync(outside, join(d, 'sb', 'escape'));
    const before = snapshot(outside);
    removeTree(join(d, 'sb'));
    assert.equal(existsSync(join(d, 'sb')), false);
    assert.deepEqual(snapshot(outside), before);
    assert.deepEqual(readdirSync(d), []);
  });
  it('refuses when the tree itself is a symlink', () => {
    const d = tmp();
    const outside = tmp();
    symlinkSync(outside, join(d, 'sb'));
    assert.throws(() => removeTree(join(d, 'sb')), StoreError);
    assert.equal(existsSync(outside), true);
  });
});

describe('/proc/locks', () => {
  it('parses FLOCK holders and waiters; ignores POSIX and OFD locks', () => {
    const m = readProcLocks(
      [
        '1: FLOCK  ADVISORY  WRITE 12636 fd:01:1234567 0 EOF',
        '1: -> FLOCK  ADVISORY  WRITE 12640 fd:01:1234567 0 EOF',
        '2: POSIX  ADVISORY  WRITE 99 fd:01:1234567 0 EOF',
        '3: OFDLCK ADVISORY  READ  -1 00:1a:3 0 EOF',
        '4: FLOCK  ADVISORY  READ  77 00:1a:3 0 EOF',
      ].join('\n'),
    )!;
    assert.deepEqual(m.get('253:1:1234567'), [
      { pid: 12636, mode: 'exclusive', waiting: false },
      { pid: 12640, mode: 'exclusive', waiting: true },
    ]);
    assert.deepEqual(m.get('0:26:3'), [{ pid: 77, mode: 'shared', waiting: false }]);
    assert.equal(readProcLocks(null), null);
  });
  it('decodes st_dev like glibc major()/minor()', () => {
    assert.equal(devInoKey(0xfe00, 5), '254:0:5');
    assert.equal(devInoKey(0x1a, 3), '0:26:3');
    assert.equal(devInoKey(0xfd01, 9), '253:1:9');
  });
});

describe('listing', () => {
  it('unions both roots, skips hidden and invalid names and files', () => {
    const p = tmp();
    addSandbox(p, 'both');
    addSandbox(p, 'cfgonly', { configOnly: true });
    addSandbox(p, 'runonly', { runtimeOnly: true });
    mkdirSync(join(p, 'run/vc/sbs/.vcstore-rm-x-1-ab'));
    mkdirSync(join(p, 'run/vc/sbs/.hidden'));
    mkdirSync(join(p, 'var/lib/vc/sbs/.vcstore-rm-gone-1-0123abcd'));
    // today's trash dir holds the tree under its own name; an empty one (killed before the move) is nothing
    mkdirSync(join(p, 'run/vc/sbs/.vcstore-trash-1-2-0123abcd/moved'), { recursive: true });
    mkdirSync(join(p, 'run/vc/sbs/.vcstore-trash-1-3-0123abcd'));
    writeFileSync(join(p, 'run/vc/sbs/stray-file'), '');
    const list = rootListing(resolveRoots({ prefix: p, env: {} })).map((e) => [e.id, e.hint.config, e.hint.runtime, e.hint.trash.length]);
    assert.deepEqual(list, [
      ['both', 'dir', 'dir', 0],
      ['cfgonly', 'dir', undefined, 0],
      // an unfinished removal stays listed under its sandbox's ID
      ['gone', undefined, undefined, 1],
      ['moved', undefined, undefined, 1],
      ['runonly', undefined, 'dir', 0],
    ]);
  });
  it('tells hypervisors apart by the shape of hypervisor.json', () => {
    assert.equal(hypervisorTypeOf({ Bridges: [], HotpluggedVCPUs: [] }), 'qemu');
    assert.equal(hypervisorTypeOf({ PID: 1 }), 'firecracker');
    assert.equal(hypervisorTypeOf({ UUID: 'u', PID: 1 }), 'acrn');
    assert.equal(hypervisorTypeOf({ PID: 1, VirtiofsdPID: 2 }), 'clh');
    assert.equal(hypervisorTypeOf([]), null);
  });
});

describe('the process witness matches IDs as whole words', () => {
  it('rd is named by sandbox-rd and /run/vc/vm/rd/, not by containerd', async () => {
    const { namesId } = await import('../src/store/host/procs.js');
    assert.equal(namesId('containerd-shim-kata-v2\0-id\0x', 'rd'), false);
    assert.equal(namesId('qemu\0-name\0sandbox-rd', 'rd'), true);
    assert.equal(namesId('virtiofsd\0--socket-path=/run/vc/vm/rd/vhost-fs.sock', 'rd'), true);
    assert.equal(namesId('rd', 'rd'), true);
    assert.equal(namesId('rdx rd1 xrd', 'rd'), false);
  });
});
