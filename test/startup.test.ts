// needs: nothing
// What start-up loads: --version and --help need no core bundle and no
// child_process (commander requires it at load for subcommands vcstore never
// runs; the build hands commander a stand-in that loads it only on use), and
// an ls of an empty store spawns nothing either. Guarded because a bundler or
// commander upgrade can undo either without any other test noticing.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN, ROOT, scratch } from './helpers.js';

const { tmp } = scratch();

function loads(args: string[]): string[] {
  const out = join(tmp(), 'loads');
  const r = spawnSync(process.execPath, ['--require', join(ROOT, 'test/fixtures/report-loads.cjs'), BIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, VCSTORE_LOADS: out },
  });
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(out, 'utf8').split('\n');
}

describe('start-up loads only what it needs', () => {
  it('--version and --help load no core bundle, no command bundle and no child_process', () => {
    for (const args of [['--version'], ['--help'], ['ls', '--help']]) {
      const l = loads(args);
      assert.ok(!l.includes('builtin child_process'), `${args.join(' ')} loaded child_process`);
      assert.ok(!l.some((x) => /\/dist\/core(-base)?\.cjs$/.test(x)), `${args.join(' ')} loaded a core bundle`);
      assert.ok(!l.some((x) => x.includes('/dist/cmd/')), `${args.join(' ')} loaded a command bundle`);
    }
  });
  it('ls of an empty store loads no child_process, and only the ls command bundle', () => {
    const p = tmp();
    mkdirSync(join(p, 'run/vc/sbs'), { recursive: true });
    const l = loads(['--prefix', p, 'ls']);
    assert.ok(!l.includes('builtin child_process'), 'ls loaded child_process');
    assert.deepEqual(
      l.filter((x) => x.includes('/dist/cmd/')).map((x) => x.slice(x.lastIndexOf('/') + 1)),
      ['ls.cjs'],
    );
  });
  it('ls of an empty store (table, JSON, -q) loads the core-base bundle, not the rest of the core', () => {
    const p = tmp();
    mkdirSync(join(p, 'run/vc/sbs'), { recursive: true });
    for (const extra of [[], ['--json'], ['-q']]) {
      const l = loads(['--prefix', p, 'ls', ...extra]);
      assert.ok(
        l.some((x) => x.endsWith('/dist/core-base.cjs')),
        `ls ${extra.join(' ')} did not load dist/core-base.cjs`,
      );
      assert.ok(!l.some((x) => x.endsWith('/dist/core.cjs')), `ls ${extra.join(' ')} loaded the whole core`);
    }
  });
  it('ls of a store with a sandbox loads the rest of the core', () => {
    const p = tmp();
    mkdirSync(join(p, 'run/vc/sbs', 'a'.repeat(64)), { recursive: true });
    const l = loads(['--prefix', p, 'ls', '-q']);
    assert.ok(l.some((x) => x.endsWith('/dist/core.cjs')));
  });
});
