// needs: root (mounts)
// The addon's fast paths must agree with the careful ones: property tests
// with fast-check.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { addon as nativeFlock, addonTarget, CODE, useAddon } from '../src/store/fs/addon.js';
import { kinds } from '../src/store/fs/dirs.js';
import { readJson } from '../src/store/fs/read.js';
import { IDENTITY_KEYS, textLookup } from '../src/store/layouts/pod.js';
import { Reader } from '../src/store/read/reader.js';
import { MountTable } from '../src/store/host/mounts.js';
import { deleteTree } from '../src/store/ops/trash.js';
import { deadPid, ROOT, scratch } from './helpers.js';

const { tmp } = scratch();
const built = existsSync(join(ROOT, 'dist/native', addonTarget(), 'vcstore.node'));
/** Fewer runs where each costs more: test/prebuilds.test.ts runs this file in a foreign Node under qemu with 0.1. */
const scale = Number(process.env.VCSTORE_PROPERTY_SCALE) || 1;
const runs = (n: number) => Math.max(20, Math.round(n * scale));
const skip = built || process.env.CI === 'true' ? false : 'addon not built';

describe('addon fast paths', { skip }, () => {
  // The addon itself is under test here, also in the run with VCSTORE_ADDON=0.
  before(() => useAddon(true));
  after(() => useAddon(process.env.VCSTORE_ADDON !== '0'));
  it('readItem returns exactly what the file holds, or a code', () => {
    const addon = nativeFlock()!;
    const f = join(tmp('vcstore-native-', true), 'y.json');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        writeFileSync(f, text);
        assert.equal(addon.readItem(f, 1 << 24), text);
      }),
      { numRuns: runs(1000) },
    );
    writeFileSync(f, Buffer.from([0x7b, 0xff, 0x7d]));
    assert.equal(addon.readItem(f, 1 << 24), -1002, 'not UTF-8');
    writeFileSync(f, 'x'.repeat(100));
    assert.equal(addon.readItem(f, 10), -1001, 'over the limit');
    assert.equal(addon.readItem(join(f, 'nope'), 10), -20, 'ENOTDIR');
  });
  it('readItem and readJson agree with the careful read on any bytes', () => {
    const f = join(tmp('vcstore-native-', true), 'z.json');
    const careful = (buf: Buffer): string | null => {
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(buf);
      } catch {
        return null;
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const buf = Buffer.from(bytes);
        writeFileSync(f, buf);
        const fast = useFast(() => nativeFlock()!.readItem(f, 1 << 24));
        const want = careful(buf);
        if (want === null) assert.equal(fast, CODE.NOT_UTF8);
        else assert.equal(fast, want);
        // and readJson gives the same verdict with the addon and without it
        assert.deepEqual(
          outcome(() => useFast(() => readJson(f))),
          outcome(() => useCareful(() => readJson(f))),
        );
      }),
      { numRuns: runs(1500) },
    );
  });
  it('keyPairs gives a listing the same pod members as reading the whole text, for any bytes', () => {
    const f = join(tmp('vcstore-native-', true), 'config.json');
    // Pieces that make the scan's cases: keys with the prefix, escapes, white
    // space, values that are no string, cut-short strings, bytes that are no UTF-8.
    const piece = fc.oneof(
      fc.constantFrom(
        '"io.kubernetes.cri.sandbox-name"',
        '"io.kubernetes.cri.sandbox-namespace"',
        '"io.kubernetes.cri.sandbox-uid"',
        '"io.kubernetes.cri.container-name"',
        '"io.kubernetes.cri-o.KubeName"',
        '"io.kubernetes.',
        '\\"io.kubernetes.cri.sandbox-name"',
        // a key as it sits escaped inside another string value, and as a member
        '\\"io.kubernetes.cri.sandbox-name\\":\\"other\\"',
        '"io.kubernetes.cri.sandbox-name":"web"',
        '"io.kubernetes.cri.sandbox-namespace" :\t"db"',
        '\\',
        '"',
        ':',
        ' : ',
        '\n',
        ',',
        '{',
        '}',
        ' ',
        '"web"',
        '"we\\"b"',
        '"x\\u00e9"',
        '12',
        'null',
      ),
      fc.constantFrom('"io.kubernetes.cri.sandbox-name":"web"'),
      fc.string({ maxLength: 6 }),
    );
    const bad = fc.constantFrom(Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xe2, 0x82]), Buffer.from('é'));
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 6, arbitrary: piece.map((x) => Buffer.from(x)) }, { weight: 1, arbitrary: bad }), { maxLength: 40 }), (parts) => {
        writeFileSync(f, Buffer.concat(parts));
        const look = (fast: boolean) =>
          (fast ? useFast : useCareful)(() => {
            const t = new Reader([]).keyPairs(f, 'io.kubernetes.');
            if (t === undefined) return undefined;
            const get = textLookup(t.text);
            return { endsObject: t.endsObject, conflict: get.conflict, values: IDENTITY_KEYS.map((k) => get(k) ?? null) };
          });
        assert.deepEqual(look(true), look(false));
      }),
      { numRuns: runs(3000) },
    );
    // The fast path really is taken for a plain config (not the careful one every time).
    writeFileSync(f, '{"_":{"annotations":{"io.kubernetes.cri.sandbox-name":"web"}},"x":"' + 'a'.repeat(10000) + '"}');
    const fast = useFast(() => nativeFlock()!.keyPairs(f, 1 << 24, 'io.kubernetes.'));
    assert.equal(fast, '}"io.kubernetes.cri.sandbox-name":"web"\n');
  });
  it('a path with a NUL byte or longer than PATH_MAX goes to the careful path, which says what is wrong', () => {
    const addon = nativeFlock()!;
    const long = `/${'x'.repeat(5000)}`;
    for (const call of [
      () => addon.readItem('/etc/hostname\0/x', 10),
      () => addon.listDir('/etc\0x'),
      () => addon.removeTree('/tmp\0x'),
      () => addon.readItem(long, 10),
      () => addon.listDir(long),
      () => addon.removeTree(long),
    ])
      assert.equal(call(), CODE.BAD_PATH);
    assert.throws(() => readJson(long), /path too long/);
    assert.throws(() => kinds(long), /path too long/);
  });
  it('kill0 agrees with process.kill(pid, 0) for live, dead, foreign and absurd pids', () => {
    const addon = nativeFlock()!;
    const careful = (pid: number) => {
      try {
        process.kill(pid, 0);
        return 0;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'EPERM' ? 1 : (e as NodeJS.ErrnoException).code === 'ESRCH' ? 3 : -1;
      }
    };
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1, max: 4_194_304 }), fc.constantFrom(1, process.pid, deadPid())), (pid) => {
        assert.equal(addon.kill0(pid), careful(pid), `pid ${pid}`);
      }),
      { numRuns: runs(500) },
    );
  });
  it('listDir gives the kinds that Node readdir gives, for any names', () => {
    const dir = tmp('vcstore-native-', true);
    const name = fc.stringMatching(/^[A-Za-z0-9._ -]{1,12}$/).filter((n) => n !== '.' && n !== '..');
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, fc.constantFrom('dir', 'file', 'link', 'fifo')), { selector: ([n]) => n, maxLength: 12 }), (entries) => {
        const d = mkdtempSync(join(dir, 'l-'));
        for (const [n, k] of entries) {
          const p = join(d, n);
          if (k === 'dir') mkdirSync(p);
          else if (k === 'file') writeFileSync(p, '');
          else if (k === 'link') symlinkSync('/nonexistent', p);
          else spawnSync('mkfifo', [p]);
        }
        assert.deepEqual([...useFast(() => kinds(d))].sort(), [...useCareful(() => kinds(d))].sort());
      }),
      { numRuns: runs(200) },
    );
  });
  it('removeTree deletes what the careful walk deletes, and refuses a mount the same way', () => {
    const dir = tmp('vcstore-native-', true);
    const tree = fc.letrec((tie) => ({
      node: fc.array(fc.tuple(fc.stringMatching(/^[a-z0-9]{1,6}$/), fc.oneof({ depthSize: 'small' }, fc.constant(null), tie('node'))), { maxLength: 4 }),
    })).node;
    const build = (at: string, nodes: [string, unknown][]) => {
      mkdirSync(at, { recursive: true });
      for (const [n, sub] of nodes) {
        const p = join(at, n);
        if (existsSync(p)) continue;
        if (sub === null) writeFileSync(p, n);
        else build(p, sub as [string, unknown][]);
      }
    };
    fc.assert(
      fc.property(tree, (nodes) => {
        const a = mkdtempSync(join(dir, 'a-'));
        const b = mkdtempSync(join(dir, 'b-'));
        build(join(a, 't'), nodes);
        build(join(b, 't'), nodes);
        symlinkSync('/etc', join(a, 't', 'link'));
        symlinkSync('/etc', join(b, 't', 'link'));
        useFast(() => deleteTree(join(a, 't'), new MountTable()));
        useCareful(() => deleteTree(join(b, 't'), new MountTable()));
        assert.equal(existsSync(join(a, 't')), false);
        assert.equal(existsSync(join(b, 't')), false);
      }),
      { numRuns: runs(150) },
    );
    assert.ok(existsSync('/etc/hostname'), 'nothing behind a symlink was touched');
  });
  it(
    'removeTree stops at another file system as the careful walk does, and the data there survives',
    { skip: process.getuid?.() !== 0 && 'needs root to mount' },
    () => {
      const dir = tmp('vcstore-native-');
      for (const careful of [false, true]) {
        const top = mkdtempSync(join(dir, 'm-'));
        const at = join(top, 'deep', 'mnt');
        mkdirSync(at, { recursive: true });
        writeFileSync(join(top, 'deep', 'before'), 'x');
        assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'vcstore-native', at]).status, 0);
        try {
          writeFileSync(join(at, 'precious'), 'keep');
          // A picture read before the mount: only the device check can see it.
          if (careful) assert.throws(() => useCareful(() => deleteTree(top, new Set())), /another file system/);
          else {
            // Without openat2 (Linux before 5.6, qemu-user before 9.0) the addon says ENOSYS and the careful walk refuses.
            const r = nativeFlock()!.removeTree(top);
            if (r === -constants.errno.ENOSYS) assert.throws(() => useFast(() => deleteTree(top, new Set())), /another file system/);
            else assert.equal(r, CODE.EXDEV);
          }
          assert.equal(readFileSync(join(at, 'precious'), 'utf8'), 'keep');
        } finally {
          spawnSync('umount', ['-l', at]);
        }
      }
    },
  );
});

/** Run `fn` with the addon on (it must load here) or off, then turn it back on. */
function useFast<T>(fn: () => T): T {
  useAddon(true);
  return fn();
}
function useCareful<T>(fn: () => T): T {
  useAddon(false);
  try {
    return fn();
  } finally {
    useAddon(true);
  }
}
/** A call's value, or its error's class and message, for comparing verdicts. */
function outcome(fn: () => unknown): unknown {
  try {
    return { value: fn() };
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message };
  }
}
