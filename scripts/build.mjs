// Bundles the CLI for fast start-up: dist/vcstore.cjs holds the wiring and
// commander; each command is its own bundle in dist/cmd/, loaded only when
// run; chalk and cli-table3 sit in dist/vendor/, loaded only when colour or a
// table is drawn. The installed package needs nothing else at run time.
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // import() becomes a lazy require(): no ESM loader at run time.
  supported: { 'dynamic-import': false },
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  // locks.ts finds its addon through __filename in the bundle, import.meta.url under tsc.
  logOverride: { 'empty-import-meta': 'silent' },
};

const split = (vendorDir) => ({
  name: 'split',
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/[a-z-]+\.js$/ }, (a) => ({ path: `./cmd/${a.path.slice('./commands/'.length, -3)}.cjs`, external: true }));
    b.onResolve({ filter: /^(chalk|cli-table3)$/ }, (a) => ({ path: `${vendorDir}/${a.path}.cjs`, external: true }));
  },
});

const commands = readdirSync('src/commands').filter((f) => f.endsWith('.ts')).map((f) => `src/commands/${f}`);
await Promise.all([
  build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/vcstore.cjs', plugins: [split('./vendor')] }),
  build({ ...common, entryPoints: commands, outdir: 'dist/cmd', outExtension: { '.js': '.cjs' }, plugins: [split('../vendor')] }),
  build({ ...common, entryPoints: { chalk: 'chalk', 'cli-table3': 'cli-table3' }, outdir: 'dist/vendor', outExtension: { '.js': '.cjs' } }),
]);

// The flock(2) addon: built here, shipped prebuilt in the package, so the
// target needs no compiler. Without a C compiler the build goes on and
// vcstore uses util-linux flock(1) for every lock (slower, same lock).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname as dn, join as jn } from 'node:path';
const include = jn(dn(dn(process.execPath)), 'include', 'node');
mkdirSync('dist/native', { recursive: true });
try {
  execFileSync(process.env.CC || 'cc', ['-shared', '-fPIC', '-O2', '-Wall', '-Werror', `-I${include}`, 'src/native/flock.c', '-o', 'dist/native/vcstore-flock.node'], { stdio: ['ignore', 'inherit', 'inherit'] });
} catch (e) {
  console.warn(`build: flock addon not built (${e.message.split('\n')[0]}); vcstore will use flock(1)`);
}
