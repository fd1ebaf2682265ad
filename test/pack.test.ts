// Ship it: npm pack, then a global install of the tarball into a temp prefix
// must give a working vcstore and `man vcstore`, with nothing but the built
// JS, bin, man page, README (and the prebuilt flock addon) inside.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, scratch, SLOW } from './helpers.js';

const { tmp } = scratch();

describe('npm pack + npm install -g', () => {
  it('installs a working vcstore and man page with no network and no build', { skip: SLOW }, () => {
    const work = tmp('vcstore-pack-');
    const npmEnv = {
      ...process.env,
      npm_config_cache: join(work, 'cache'),
      npm_config_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    };
    // The build already ran (npm test builds first); --ignore-scripts keeps pack from rebuilding.
    const pack = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', env: npmEnv });
    assert.equal(pack.status, 0, pack.stderr);
    const info = JSON.parse(pack.stdout)[0];
    const files: string[] = info.files.map((f: { path: string }) => f.path).sort();
    for (const f of files)
      assert.match(
        f,
        /^(bin\/|dist\/(vcstore\.cjs|core\.cjs|list-worker\.cjs|schemas\.json|cmd\/|vendor\/|native\/)|man\/vcstore\.1$|README\.md$|package\.json$)/,
        f,
      );
    for (const need of ['bin/vcstore', 'dist/vcstore.cjs', 'dist/core.cjs', 'dist/schemas.json', 'dist/cmd/ls.cjs', 'man/vcstore.1', 'README.md'])
      assert.ok(files.includes(need), need);
    // the addon sits in a folder named for its target, and only that target's is packed
    assert.ok(
      files.every((f) => !f.startsWith('dist/native/') || /^dist\/native\/linux-[a-z0-9]+-(glibc|musl)\/vcstore\.node$/.test(f)),
      'addon per target',
    );
    assert.ok(!files.some((f) => f.startsWith('dist/src/') || f.startsWith('dist/test/') || f.startsWith('src/')), 'no sources or tests');

    const prefix = join(work, 'prefix');
    const tgz = join(work, info.filename);
    const inst = spawnSync('npm', ['install', '-g', '--prefix', prefix, tgz], { encoding: 'utf8', env: npmEnv });
    assert.equal(inst.status, 0, inst.stderr);

    const bin = join(prefix, 'bin', 'vcstore');
    const env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };
    const v = spawnSync(bin, ['--version'], { encoding: 'utf8', env });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout, `${info.version}\n`);
    const ls = spawnSync(bin, ['--prefix', join(ROOT, 'examples/store'), 'ls', '-q'], { encoding: 'utf8', env });
    assert.equal(ls.status, 0, ls.stderr);
    assert.equal(ls.stdout.trim().split('\n').length, 5);
    const table = spawnSync(bin, ['--prefix', join(ROOT, 'examples/store'), 'check'], { encoding: 'utf8', env });
    assert.equal(table.status, 6, table.stderr);
    assert.match(table.stdout, /^SEVERITY\s+CODE/);

    // A store large enough for ls and check to use their worker threads: the
    // installed layout must find dist/list-worker.cjs and dist/core.cjs.
    const big = tmp('vcstore-pack-big-', true);
    const gen = spawnSync(process.execPath, [join(ROOT, 'dist/bench/bench.js'), 'generate', big, '2100'], { encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    const bigLs = spawnSync(bin, ['--prefix', big, 'ls', '--json'], { encoding: 'utf8', env, maxBuffer: 1 << 26 });
    assert.equal(bigLs.status, 0, bigLs.stderr);
    assert.equal(bigLs.stderr, '', 'the worker ran (a failed one is listed around, with a warning)');
    assert.equal(JSON.parse(bigLs.stdout).length, 2100);
    const bigCheck = spawnSync(bin, ['--prefix', big, 'check', '--json'], { encoding: 'utf8', env, maxBuffer: 1 << 26 });
    assert.equal(bigCheck.status, 6, bigCheck.stderr);
    assert.equal(bigCheck.stderr, '', 'both check workers ran');
    assert.equal(JSON.parse(bigCheck.stdout).summary.sandboxes, 2100);

    const manDir = join(prefix, 'share', 'man', 'man1');
    assert.ok(readdirSync(manDir).includes('vcstore.1'), 'man page linked');
    const man = spawnSync('man', ['-M', join(prefix, 'share', 'man'), '-P', 'cat', 'vcstore'], { encoding: 'utf8', env: { ...env, MANWIDTH: '80' } });
    if (man.error) return; // no man(1) on this host: the linked page above is what npm provides
    assert.equal(man.status, 0, man.stderr);
    assert.match(man.stdout, /vcstore - inspect and repair the sandbox stores of Kata Containers/);
  });
});
