// needs: nothing
// The listing worker thread (src/list-worker.ts, src/store/inspect/listing.ts):
// ls and check on a store big enough to start workers, with the built CLI's
// worker missing or ending early (each must warn once and give the same
// output on one thread), and the worker as the tests load it.
import { strict as assert } from 'node:assert';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addSandbox, BIN, deadPid, R, ROOT, scratch, SLOW } from './helpers.js';
import { resolveRoots } from '../src/store/fs/roots.js';
import { runListWorker } from '../src/store/inspect/listing.js';
import type { SandboxInfo } from '../src/store/inspect/inspect.js';
import { rootListing } from '../src/store/read/scan.js';

const { tmp } = scratch();

/**
 * The built CLI installed beside the tree with its worker missing (`worker`
 * undefined) or replaced by `worker`, and a store big enough for ls and
 * check to start workers: each command run by it and by the whole CLI.
 */
function withWorker(tag: string, worker?: string): (args: string[]) => { broken: SpawnSyncReturns<string>; whole: SpawnSyncReturns<string> } {
  const app = tmp(`vcstore-${tag}-`);
  for (const d of ['vcstore.cjs', 'core.cjs', 'core-base.cjs', 'schemas.json', 'cmd', 'vendor', 'native'])
    cpSync(join(ROOT, 'dist', d), join(app, 'dist', d), { recursive: true });
  if (worker !== undefined) writeFileSync(join(app, 'dist', 'list-worker.cjs'), worker);
  mkdirSync(join(app, 'bin'));
  cpSync(BIN, join(app, 'bin/vcstore'));
  const store = tmp(`vcstore-${tag}-store-`, true);
  assert.equal(spawnSync(process.execPath, [join(ROOT, 'dist/bench/bench.js'), 'generate', store, '2100']).status, 0);
  const run = (bin: string, args: string[]) => spawnSync(process.execPath, [bin, '--prefix', store, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return (args) => ({ broken: run(join(app, 'bin/vcstore'), args), whole: run(BIN, args) });
}

const LISTINGS = [
  ['ls', '--json'],
  ['check', '--json'],
];

describe('a worker thread that cannot start', () => {
  it('ls and check warn once and finish on one thread, with the same output', { skip: SLOW }, () => {
    // The built CLI without dist/list-worker.cjs: a broken or partial install.
    const compare = withWorker('noworker');
    for (const args of LISTINGS) {
      const { broken, whole } = compare(args);
      assert.equal(broken.status, whole.status, broken.stderr);
      assert.equal(broken.stdout, whole.stdout, `${args.join(' ')}: the same output`);
      assert.equal(broken.stderr.split('\n').filter(Boolean).length, 1, broken.stderr);
      assert.match(broken.stderr, /^vcstore: warning: (the listing worker|a check worker) failed \(Cannot find module .*list-worker\.cjs/);
    }
  });
});

describe('a worker thread that ends before it is done', () => {
  it('ls and check warn once and finish on one thread, with the same output, even when it exits 0', { skip: SLOW }, () => {
    // An installed CLI whose worker exits at once with status 0: it said
    // nothing, so its half must not be taken as empty (it was: ls printed
    // nothing and exited 0).
    const compare = withWorker('quitworker', 'process.exit(0);\n');
    for (const args of LISTINGS) {
      const { broken: quit, whole } = compare(args);
      assert.equal(quit.status, whole.status, quit.stderr);
      assert.equal(quit.stdout, whole.stdout, `${args.join(' ')}: the same output`);
      assert.match(quit.stderr, /^vcstore: warning: (the listing worker|a check worker) failed \(listing worker exited 0 before it was done/);
    }
  });
});

describe('the listing worker as the tests load it (tsc output, dist/src/)', () => {
  it('starts from dist/src/list-worker.js and hands back every result in order, across chunks', async () => {
    const store = tmp();
    // More than two chunks of 256.
    for (let i = 0; i < 600; i++) addSandbox(store, `${R}w${String(i).padStart(4, '0')}`, { state: 'stopped', pid: deadPid() });
    const roots = resolveRoots({ prefix: store, env: {} });
    const entries = rootListing(roots);
    const got = [...(await runListWorker<SandboxInfo>({ roots, entries, mode: 'list', addon: process.env.VCSTORE_ADDON !== '0' }))];
    assert.deepEqual(
      got.map((s) => s?.id),
      entries.map((e) => e.id),
    );
  });
});
