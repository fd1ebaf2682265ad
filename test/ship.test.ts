// Shell completion and the fleet gather script, run for real: bash sources
// the generated script; gather.sh runs against a kubectl stand-in whose
// `exec` runs the real vcstore on local stores.
import { strict as assert } from 'node:assert';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addSandbox, BIN, deadPid, R, ROOT, scratch, SLOW, vc } from './helpers.js';
import { resolveRoots } from '../src/store/fs/roots.js';
import { runListWorker } from '../src/store/inspect/listing.js';
import type { SandboxInfo } from '../src/store/inspect/inspect.js';
import { rootListing } from '../src/store/read/scan.js';

const { tmp } = scratch();
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** A PATH dir where `vcstore` is the real bin/vcstore. */
function pathWithVcstore(): string {
  const d = tmp();
  symlinkSync(BIN, join(d, 'vcstore'));
  return `${d}:${process.env.PATH}`;
}

function complete(script: string, line: string, env: NodeJS.ProcessEnv = {}): string[] {
  const words = line.split(' ');
  const prog = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _vcstore; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', prog], { encoding: 'utf8', env: { ...process.env, PATH: pathWithVcstore(), ...env } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('completion', () => {
  const bash = vc(['completion', 'bash']).stdout;
  it('bash: commands, options, --state values', () => {
    assert.match(bash, /complete -F _vcstore vcstore/);
    assert.deepEqual(complete(bash, 'vcstore r'), ['raw', 'rm']);
    assert.deepEqual(complete(bash, 'vcstore ls --s'), ['--sort', '--state']);
    assert.ok(complete(bash, 'vcstore rm --').includes('--dry-run'));
    assert.deepEqual(complete(bash, 'vcstore ls --state r'), ['ready', 'running']);
    assert.deepEqual(complete(bash, 'vcstore uuid f'), ['free']);
  });
  it('bash: sandbox IDs from the store named by --prefix, then item names', () => {
    const p = tmp();
    addSandbox(p, `${R}alpha1`);
    addSandbox(p, `${R}alpha2`);
    addSandbox(p, `${R}beta`);
    const env = { PATH: pathWithVcstore() };
    assert.deepEqual(complete(bash, `vcstore --prefix ${p} show ${R}al`, env), [`${R}alpha1`, `${R}alpha2`]);
    assert.deepEqual(complete(bash, `vcstore --prefix ${p} rm ${R}alpha1 ${R}b`, env), [`${R}beta`]);
    assert.deepEqual(complete(bash, `vcstore --prefix ${p} show ${R}alpha1 Sta`, env), ['State']);
  });
  it('zsh: the script parses', { skip: has('zsh') ? false : 'zsh not installed' }, () => {
    const f = join(tmp(), '_vcstore');
    writeFileSync(f, vc(['completion', 'zsh']).stdout);
    const r = spawnSync('zsh', ['-n', f], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
  it('unknown shell: exit 2', () => {
    const r = vc(['completion', 'fish']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'vcstore: unknown shell "fish": bash or zsh\n');
  });
});

describe('fleet: examples/kubernetes/gather.sh', () => {
  it('aggregates check --json from every node', { skip: has('jq') ? false : 'jq not installed' }, () => {
    const clean = tmp();
    addSandbox(clean, `${R}ok1`, { state: 'stopped' });
    const bad = tmp();
    addSandbox(bad, `${R}dead1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    const bin = tmp();
    // kubectl stand-in: lists two pods; `exec POD -- vcstore ...` runs the real
    // vcstore against that pod's node store, as the DaemonSet would.
    writeFileSync(
      join(bin, 'kubectl'),
      `#!/bin/sh
case "$*" in
  *"get pods"*) printf 'vcstore-a node-a\\nvcstore-b node-b\\n' ;;
  *"exec vcstore-a -- "*) shift 5; VCSTORE_PREFIX=${clean} exec "$@" ;;
  *"exec vcstore-b -- "*) shift 5; VCSTORE_PREFIX=${bad} exec "$@" ;;
  *) echo "unexpected: $*" >&2; exit 9 ;;
esac
`,
    );
    chmodSync(join(bin, 'kubectl'), 0o755);
    symlinkSync(BIN, join(bin, 'vcstore'));
    const r = spawnSync('bash', [join(ROOT, 'examples/kubernetes/gather.sh')], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    assert.equal(r.status, 6, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.summary, { nodes: 2, clean: 1, withProblems: 1, failed: 0, errors: 1, warnings: 0, info: 0 });
    assert.deepEqual(
      j.nodes.map((n: any) => [n.node, n.exit]),
      [
        ['node-a', 0],
        ['node-b', 6],
      ],
    );
    assert.equal(j.nodes[1].report.findings[0].code, 'hypervisor-dead');
  });
});

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
