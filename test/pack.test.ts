// needs: nothing
// Ship it: npm pack, then a global install of the tarball into a temp prefix
// must give a working vcstore and `man vcstore`, with nothing but the built
// JS, bin, man page, README, LICENSE, the third-party notices (and the
// prebuilt flock addons) inside.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, scratch, SLOW } from './helpers.js';

const { tmp } = scratch();

/**
 * The node_modules packages esbuild bundled, by folder, read off the build's
 * metafile (dist/metafile.json: every input of every bundle): the innermost
 * node_modules/<name> or node_modules/@scope/<name> of each input path.
 */
function bundledPackages(): string[] {
  const meta = JSON.parse(readFileSync(join(ROOT, 'dist/metafile.json'), 'utf8')) as { inputs: Record<string, unknown> };
  const dirs = new Set<string>();
  for (const input of Object.keys(meta.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(m[1]!);
  }
  return [...dirs].sort();
}

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
        /^(bin\/|dist\/(vcstore\.cjs|core\.cjs|core-base\.cjs|list-worker\.cjs|schemas\.json|THIRD-PARTY-NOTICES$|cmd\/|vendor\/|native\/)|man\/vcstore\.1$|README\.md$|LICENSE$|package\.json$)/,
        f,
      );
    for (const need of [
      'bin/vcstore',
      'dist/vcstore.cjs',
      'dist/core.cjs',
      'dist/core-base.cjs',
      'dist/schemas.json',
      'dist/cmd/ls.cjs',
      'man/vcstore.1',
      'README.md',
      'LICENSE',
      'dist/THIRD-PARTY-NOTICES',
    ])
      assert.ok(files.includes(need), need);
    // each addon sits in a folder named for its target; under CI all four Kata architectures are packed
    assert.ok(
      files.every((f) => !f.startsWith('dist/native/') || /^dist\/native\/linux-[a-z0-9]+-(glibc|musl)\/vcstore\.node$/.test(f)),
      'addon per target',
    );
    const addons = files.filter((f) => f.startsWith('dist/native/'));
    if (process.env.CI === 'true')
      assert.deepEqual(
        addons,
        ['arm64', 'ppc64', 's390x', 'x64'].map((a) => `dist/native/linux-${a}-glibc/vcstore.node`),
      );
    assert.ok(!files.some((f) => f.startsWith('dist/src/') || f.startsWith('dist/test/') || f.startsWith('src/')), 'no sources or tests');

    const prefix = join(work, 'prefix');
    const tgz = join(work, info.filename);

    // The licenses travel in the tarball: vcstore's own (Apache-2.0, as
    // package.json says), and the notices naming every package the bundles
    // hold (from the build's metafile), each with its version and the full
    // text of its license file; with an addon packed, the Node-API headers'.
    const unpacked = tmp('vcstore-pack-files-');
    const untar = spawnSync('tar', ['-xzf', tgz, '-C', unpacked, 'package/LICENSE', 'package/dist/THIRD-PARTY-NOTICES', 'package/package.json']);
    assert.equal(untar.status, 0, String(untar.stderr));
    const license = readFileSync(join(unpacked, 'package/LICENSE'), 'utf8');
    assert.match(license, /^\s*Apache License\s+Version 2\.0, January 2004\s/);
    assert.match(license, /END OF TERMS AND CONDITIONS/);
    assert.equal(JSON.parse(readFileSync(join(unpacked, 'package/package.json'), 'utf8')).license, 'Apache-2.0');
    const notices = readFileSync(join(unpacked, 'package/dist/THIRD-PARTY-NOTICES'), 'utf8');
    const bundled = bundledPackages();
    assert.ok(bundled.some((d) => d.endsWith('node_modules/commander')) && bundled.some((d) => d.endsWith('node_modules/cli-table3')), 'metafile read');
    const licensed = addons.length ? [...bundled, 'node_modules/node-api-headers'] : bundled;
    for (const dir of licensed) {
      const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { name: string; version: string; license: string };
      assert.ok(notices.includes(`\n${pkg.name} ${pkg.version}\nLicense: ${pkg.license}\n`), `notices name ${pkg.name} ${pkg.version} (${pkg.license})`);
      const texts = readdirSync(join(ROOT, dir)).filter((f) => /^(licen[cs]e|copying)([-._].*)?$/i.test(f));
      assert.ok(texts.length, `${pkg.name} ships a license file`);
      for (const t of texts) assert.ok(notices.includes(readFileSync(join(ROOT, dir, t), 'utf8').trim()), `the full text of ${pkg.name}'s ${t}`);
    }
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
