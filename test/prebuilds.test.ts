// needs: nothing (its foreign-Node runs skip until scripts/native/foreign-node.mjs has fetched them into ~/.cache)
// The addon's prebuilds, one per Linux glibc architecture Kata runs on
// (scripts/native/targets.mjs), each run for real: its ELF header and symbol
// versions read, then the shipped file dlopen()ed by a C harness
// (scripts/native/harness.c: a stand-in Node-API) built with the same
// compiler, natively or under qemu-<arch>-static. With a foreign Node
// fetched by scripts/native/foreign-node.mjs, the real vcstore runs on it
// too, under qemu, with that architecture's prebuild. And vcstore without a
// loadable prebuild falls back and says why.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { addonTarget } from '../src/store/fs/addon.js';
import { ROOT, scratch, SLOW } from './helpers.js';

interface Target {
  arch: string;
  triple: string;
  qemu: string;
  debian: string;
  machine: number;
  bigEndian: boolean;
  target: string;
}
const targets = (await import(pathToFileURL(join(ROOT, 'scripts/native/targets.mjs')).href)) as {
  TARGETS: Target[];
  GLIBC_FLOOR: string;
  compilerFor: (t: Target) => string | undefined;
  which: (name: string) => string | undefined;
};
const { TARGETS, GLIBC_FLOOR, compilerFor, which } = targets;
const CI = process.env.CI === 'true';
const include = (createRequire(join(ROOT, 'package.json'))('node-api-headers') as { include_dir: string }).include_dir;
const prebuild = (t: Target) => join(ROOT, 'dist/native', t.target, 'vcstore.node');
const foreignNodes = process.env.VCSTORE_FOREIGN_NODE || join(homedir(), '.cache/vcstore/foreign-node');
const { tmp } = scratch();

/** A glibc version as a number to compare: 2.28 -> 2028. */
const glibc = (v: string) => v.split('.').reduce((n, p, i) => n + Number(p) * (i ? 1 : 1000), 0);

for (const t of TARGETS) {
  const file = prebuild(t);
  const native = t.arch === process.arch;
  const notBuilt = existsSync(file) || CI ? false : `${t.target} not built here (no ${native ? 'cc' : `${t.triple}-gcc`}: apt-get install ${t.debian})`;
  describe(`prebuild ${t.target}`, { skip: notBuilt }, () => {
    it(`is a 64-bit ${t.bigEndian ? 'big' : 'little'}-endian ELF shared object for machine ${t.machine} (${t.qemu})`, () => {
      assert.ok(existsSync(file), `${file}: under CI=true every target must be built`);
      const h = readFileSync(file);
      assert.deepEqual([...h.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], 'ELF magic');
      assert.equal(h[4], 2, 'ELFCLASS64');
      assert.equal(h[5], t.bigEndian ? 2 : 1, 'byte order');
      const u16 = (at: number) => (t.bigEndian ? h.readUInt16BE(at) : h.readUInt16LE(at));
      assert.equal(u16(16), 3, 'ET_DYN');
      assert.equal(u16(18), t.machine, 'e_machine');
    });
    it(`exports the Node-API entry and needs no glibc newer than ${GLIBC_FLOOR} (Node 20's floor)`, { skip: !CI && !which('readelf') && 'no readelf' }, () => {
      const r = spawnSync('readelf', ['--dyn-syms', '--version-info', '--wide', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /\bnapi_register_module_v1\b/);
      const needs = [...new Set([...r.stdout.matchAll(/GLIBC_(\d+\.\d+(?:\.\d+)?)/g)].map((m) => m[1]!))];
      assert.ok(needs.length, 'links glibc');
      const newest = needs.sort((a, b) => glibc(a) - glibc(b)).at(-1)!;
      assert.ok(glibc(newest) <= glibc(GLIBC_FLOOR), `needs GLIBC_${newest}: a call newer than ${GLIBC_FLOOR} crept into src/native/addon.c`);
    });
    const cc = compilerFor(t);
    const qemu = native ? undefined : which(`qemu-${t.qemu}-static`);
    const runSkip = CI
      ? false
      : !cc
        ? `no ${t.triple}-gcc (apt-get install ${t.debian})`
        : !native && !qemu
          ? `no qemu-${t.qemu}-static (apt-get install qemu-user-static)`
          : false;
    it(`runs: dlopen()ed by the C harness${native ? '' : ` under qemu-${t.qemu}-static`}, every function answers as on x64`, { skip: runSkip }, () => {
      assert.ok(cc, `no compiler for ${t.target}`);
      const dir = tmp(`vcstore-prebuild-${t.arch}-`);
      const exe = join(dir, 'harness');
      const c = spawnSync(cc, ['-O1', '-Wall', '-rdynamic', `-I${include}`, join(ROOT, 'scripts/native/harness.c'), '-o', exe, '-ldl', '-lm'], {
        encoding: 'utf8',
      });
      assert.equal(c.status, 0, c.stderr);
      const scratchDir = join(dir, 'scratch');
      mkdirSync(scratchDir);
      const argv = [exe, file, scratchDir];
      const r = native
        ? spawnSync(exe, argv.slice(1), { encoding: 'utf8', timeout: 60_000 })
        : spawnSync(qemu ?? `qemu-${t.qemu}-static`, ['-L', `/usr/${t.triple}`, ...argv], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^harness: ${t.qemu} ${t.bigEndian ? 'big' : 'little'}-endian, Node-API \\d+, .*: (\\d+) of \\1 checks passed$`, 'm'));
    });

    // Optional: a real Node of that architecture (Debian's, fetched by
    // scripts/native/foreign-node.mjs), running vcstore under qemu-user.
    const root = join(foreignNodes, t.arch);
    const nodeSkip = SLOW
      ? SLOW
      : !existsSync(join(root, '.complete'))
        ? `no foreign Node in ${root} (node scripts/native/foreign-node.mjs ${t.arch})`
        : !qemu
          ? `no qemu-${t.qemu}-static`
          : false;
    // (On this machine's own architecture the whole suite is that test.)
    if (!native)
      it(`a real Node for ${t.arch} under qemu loads it: vcstore --version --verbose names it, ls and check run on it`, { skip: nodeSkip }, () => {
        const node = (args: string[], env: NodeJS.ProcessEnv = {}) =>
          spawnSync(qemu!, ['-L', root, join(root, 'usr/bin/node'), ...args], {
            encoding: 'utf8',
            timeout: 300_000,
            env: { PATH: process.env.PATH, VCSTORE_ADDON: '1', ...env },
          });
        const v = node([join(ROOT, 'bin/vcstore'), '--version', '--verbose']);
        assert.equal(v.status, 0, v.stderr);
        assert.match(v.stdout, new RegExp(`^lock backend: flock\\(2\\) through the Node-API addon \\S*/dist/native/${t.target}/vcstore\\.node;`, 'm'));
        assert.match(v.stdout, new RegExp(`^target: ${t.target}, node v20\\.`, 'm'));
        const ls = node([join(ROOT, 'bin/vcstore'), '--prefix', join(ROOT, 'examples/store'), 'ls', '-q']);
        assert.equal(ls.status, 0, ls.stderr);
        assert.equal(ls.stdout.trim().split('\n').length, 5);
        const check = node([join(ROOT, 'bin/vcstore'), '--prefix', join(ROOT, 'examples/store'), 'check', '--json']);
        assert.equal(check.status, 6, check.stderr);
        assert.equal(JSON.parse(check.stdout).summary.sandboxes, 5);
        // The addon's property tests, against its careful twins, in that Node.
        // (Run as a plain script: the test runner would start process.execPath, this Node's path, as a host program.)
        const props = node([join(ROOT, 'dist/test/native.test.js')], { VCSTORE_PROPERTY_SCALE: '0.1' });
        assert.equal(props.status, 0, `${props.stdout}\n${props.stderr}`);
        assert.match(props.stdout, /^# fail 0$/m);
        assert.doesNotMatch(props.stdout, /^# pass 0$/m);
      });
  });
}

describe('without a prebuild that loads here', () => {
  /** The installed layout (bin/ and the bundles), with dist/native/ as `native` makes it. */
  const install = (native: (dir: string) => void) => {
    const dir = tmp('vcstore-prebuild-fallback-');
    cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
    mkdirSync(join(dir, 'dist'));
    for (const f of ['vcstore.cjs', 'core.cjs', 'core-base.cjs', 'list-worker.cjs', 'schemas.json']) copyFileSync(join(ROOT, 'dist', f), join(dir, 'dist', f));
    for (const d of ['cmd', 'vendor']) cpSync(join(ROOT, 'dist', d), join(dir, 'dist', d), { recursive: true });
    native(join(dir, 'dist/native'));
    return join(dir, 'bin/vcstore');
  };
  const run = (bin: string, args: string[]) =>
    spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, VCSTORE_ADDON: '1' }, timeout: 30_000 });
  const works = (bin: string) => {
    const ls = run(bin, ['--prefix', join(ROOT, 'examples/store'), 'ls', '-q']);
    assert.equal(ls.status, 0, ls.stderr);
    assert.equal(ls.stdout.trim().split('\n').length, 5);
  };
  const here = addonTarget();

  it('one for another architecture only: flock(1) and the careful paths, and --version --verbose lists what is there', () => {
    const bin = install((dir) => {
      for (const t of ['linux-arm64-glibc', 'linux-s390x-glibc', 'linux-x64-glibc', 'linux-ppc64-glibc'].filter((x) => x !== here)) {
        mkdirSync(join(dir, t), { recursive: true });
        writeFileSync(join(dir, t, 'vcstore.node'), 'not loaded');
      }
    });
    const v = run(bin, ['--version', '--verbose']);
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, new RegExp(`^lock backend: util-linux flock\\(1\\) for every lock \\(no addon for ${here}; prebuilt for linux-`, 'm'));
    works(bin);
  });
  it("one that does not load (another architecture's file in this one's place): the same, and it says why", () => {
    const foreign = TARGETS.map(prebuild).find((f) => !f.includes(`/${here}/`) && existsSync(f));
    const bin = install((dir) => {
      mkdirSync(join(dir, here), { recursive: true });
      if (foreign) copyFileSync(foreign, join(dir, here, 'vcstore.node'));
      else writeFileSync(join(dir, here, 'vcstore.node'), 'no ELF file');
    });
    const v = run(bin, ['--version', '--verbose']);
    assert.equal(v.status, 0, v.stderr);
    assert.match(
      v.stdout,
      new RegExp(`^lock backend: util-linux flock\\(1\\) for every lock \\(the addon \\S*/${here}/vcstore\\.node did not load: .+\\)$`, 'm'),
    );
    works(bin);
  });
});
