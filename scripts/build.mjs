// Bundles the CLI for fast start-up, and builds the flock(2) addon.
//
// CommonJS, because Node 20 loads it faster than ESM (measured: ESM with code
// splitting cost --version 1.28x and an empty ls 1.72x node -e 0, against
// 1.13x and 1.43x; BENCHMARKS.md). dist/vcstore.cjs holds the wiring and
// commander; each command is a small bundle in dist/cmd/, loaded only when
// run; everything they share (store, render, context) is ONE bundle,
// dist/core.cjs, required by all of them, so there is one module graph and
// one VcError class. chalk and cli-table3 sit in dist/vendor/, loaded only
// when colour or a table is drawn. The package needs nothing else at run time.
// The bundles carry no license comments: dist/THIRD-PARTY-NOTICES does, made
// from esbuild's metafiles (scripts/notices.mjs).
import { build } from 'esbuild';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { buildAddons } from './native/targets.mjs';
import { writeNotices } from './notices.mjs';

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
  // Which node_modules files went into which bundle: for the notices.
  metafile: true,
  logLevel: 'warning',
  // fs/addon.ts finds its addon through __filename in the bundle, import.meta.url under tsc.
  logOverride: { 'empty-import-meta': 'silent' },
};

const src = resolve('src');
// output.ts and defaults.ts hold no classes or state: small enough to copy
// into the CLI, so --version and --help load no core.
const own = new Set(['cli.ts', 'program.ts', 'list-worker.ts', 'output.ts', 'defaults.ts'].map((f) => `${src}/${f}`));
const shared = (file) => file.startsWith(src + '/') && !file.startsWith(`${src}/commands/`) && !own.has(file);

// The core's start-up part: src/store/base.ts (errors, roots, the addon
// switch, the root listing, the selection options), the context, and the
// renderers that need no more of the core, with everything they import. It
// is dist/core-base.cjs, which core.cjs requires rather than repeats, so an
// empty `ls` (and every error before a sandbox is read) compiles ~30 KB of
// core instead of ~220 KB. Which modules it holds is what esbuild finds
// reachable from these entries (a first, unwritten pass).
const BASE_ENTRIES = [
  'store/base.js',
  'context.js',
  ...readdirSync('src/render')
    .filter((f) => !['next.ts', 'prometheus.ts'].includes(f))
    .map((f) => `render/${f.replace(/\.ts$/, '.js')}`),
];
const baseModules = await reachable(BASE_ENTRIES);
if (baseModules.has(`${src}/store/index.ts`)) throw new Error('dist/core-base.cjs would hold the whole core: a module of it imports src/store/index.js');
const inBase = (file) => baseModules.has(file);

/** Commands, vendor packages and every shared module become requires of their one bundle (the base's or the rest's). */
const split = (dist) => ({
  name: 'split',
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/[a-z-]+\.js$/ }, (a) => ({ path: `${dist}/cmd/${a.path.slice('./commands/'.length, -3)}.cjs`, external: true }));
    b.onResolve({ filter: /^(chalk|cli-table3)$/ }, (a) => ({ path: `${dist}/vendor/${a.path}.cjs`, external: true }));
    b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (a) => {
      const file = resolve(a.resolveDir, a.path.replace(/\.js$/, '.ts'));
      if (!shared(file)) return undefined;
      return { path: `${dist}/${inBase(file) ? 'core-base' : 'core'}.cjs`, external: true };
    });
  },
});

// commander requires node:child_process at load (for executable subcommands,
// which vcstore has none of), and with it streams, net and dgram: a lazy
// stand-in keeps them out of every start-up.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (a) =>
      a.importer.includes('/node_modules/commander/') ? { path: 'lazy-child-process', namespace: 'lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "let m; module.exports = new Proxy({}, { get: (_, k) => (m ??= process.getBuiltinModule('node:child_process'))[k] });",
      loader: 'js',
    }));
  },
};

for (const d of ['dist/cmd', 'dist/vendor']) rmSync(d, { recursive: true, force: true });
const commands = readdirSync('src/commands')
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `src/commands/${f}`);

// The flock(2) addon, prebuilt for each Linux glibc architecture Kata runs
// on (scripts/native/targets.mjs: x64, arm64, s390x, ppc64le) into
// dist/native/linux-<arch>-glibc/vcstore.node, so the installed package
// needs no compiler; vcstore loads the one for process.arch. The foreign
// ones come from Debian's cross compilers (<triple>-gcc); headers from the
// node-api-headers package. Compiled alongside the bundles, and kept in
// node_modules/.cache/vcstore-native/ keyed by the preprocessed source, the
// flags and the compiler, so an unchanged addon is not compiled again
// (VCSTORE_NATIVE_CACHE=0: always compile). The old output
// is deleted first, so a failed build can never leave a stale addon to be
// packed. A target without its compiler is skipped with one line (on that
// architecture vcstore uses util-linux flock(1): same lock, slower), except
// under CI=true or VCSTORE_REQUIRE_ADDON=1, where every target must build.
rmSync('dist/native', { recursive: true, force: true });
const include = createRequire(import.meta.url)('node-api-headers').include_dir;
const addons = existsSync(join(include, 'node_api.h'))
  ? buildAddons({ include, outDir: 'dist/native', cacheDir: process.env.VCSTORE_NATIVE_CACHE === '0' ? undefined : 'node_modules/.cache/vcstore-native' })
  : Promise.resolve([{ target: 'every target', status: 'failed', why: `no node_api.h in ${include}` }]);

// Each module of the base is exported whole by name: two exporting one name would make it ambiguous (and
// undefined), and a module's own `export *` would hide what it passes on. Checked before anything is written.
const baseNames = new Map();
for (const f of baseModules) {
  if (f === `${src}/store/base.ts`) continue; // re-exports only: the same bindings
  if (/^export \*/m.test(readFileSync(f, 'utf8'))) throw new Error(`dist/core-base.cjs: ${f} has an export *: name what it passes on`);
  const r = await build({ entryPoints: [f], bundle: false, format: 'esm', write: false, metafile: true, logLevel: 'silent' });
  for (const name of Object.values(r.metafile.outputs)[0].exports) {
    if (baseNames.has(name)) throw new Error(`dist/core-base.cjs: ${name} is exported by both ${baseNames.get(name)} and ${f}`);
    baseNames.set(name, f);
  }
}

const bundles = await Promise.all([
  build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/vcstore.cjs', plugins: [split('.'), lazyChildProcess] }),
  build({ ...common, entryPoints: ['src/list-worker.ts'], outfile: 'dist/list-worker.cjs', plugins: [split('.')] }),
  build({ ...common, entryPoints: commands, outdir: 'dist/cmd', outExtension: { '.js': '.cjs' }, plugins: [split('..')] }),
  build({
    ...common,
    // The core's entry is generated: the store's façade (src/store/index.ts, the
    // only store module anything outside src/store/ may import) and every other
    // shared module (render/, context.ts), so none can be left out.
    stdin: {
      contents: ['store/index.js', ...sharedModules().filter((f) => !f.startsWith('store/'))].map((f) => `export * from './${f}';`).join('\n'),
      resolveDir: src,
      sourcefile: 'core-entry.ts',
      loader: 'ts',
    },
    outfile: 'dist/core.cjs',
    plugins: [
      {
        name: 'vendor-and-base',
        setup(b) {
          b.onResolve({ filter: /^(chalk|cli-table3)$/ }, (a) => ({ path: `./vendor/${a.path}.cjs`, external: true }));
          b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (a) =>
            inBase(resolve(a.resolveDir, a.path.replace(/\.js$/, '.ts'))) ? { path: './core-base.cjs', external: true } : undefined,
          );
        },
      },
    ],
  }),
  build({
    ...common,
    // Every module of the base, whole: core.cjs and the commands require their names from it.
    stdin: {
      contents: [...baseModules].map((f) => `export * from './${f.slice(src.length + 1).replace(/\.ts$/, '.js')}';`).join('\n'),
      resolveDir: src,
      sourcefile: 'core-base-entry.ts',
      loader: 'ts',
    },
    outfile: 'dist/core-base.cjs',
    plugins: [{ name: 'vendor', setup: (b) => b.onResolve({ filter: /^(chalk|cli-table3)$/ }, (a) => ({ path: `./vendor/${a.path}.cjs`, external: true })) }],
  }),
  build({ ...common, entryPoints: { chalk: 'chalk', 'cli-table3': 'cli-table3' }, outdir: 'dist/vendor', outExtension: { '.js': '.cjs' } }),
]);

// A dynamic import() of a core module becomes __toESM(require(core)), which
// copies every one of the core's exports onto a new object, once per
// import: 5 ms of an empty ls. The CLI only ever reads named exports off
// them, which the core's own exports object has: require it as it is.
for (const file of ['dist/vcstore.cjs', ...readdirSync('dist/cmd').map((f) => `dist/cmd/${f}`)]) {
  const text = readFileSync(file, 'utf8');
  const plain = text.replace(/__toESM\(require\("(\.\.?\/core(?:-base)?\.cjs)"\),1\)/g, 'require("$1")');
  if (file === 'dist/vcstore.cjs' && plain === text) throw new Error('dist/vcstore.cjs: no __toESM(require("./core-base.cjs"),1) to replace; check the build');
  if (plain !== text) writeFileSync(file, plain);
}

// The item schemas (data, derived from the Kata Go sources by
// scripts/schemas/derive.go): read on first use, beside the core bundle and
// beside the compiled layouts module the tests run.
copyFileSync('src/store/layouts/schemas.json', 'dist/schemas.json');
if (existsSync('dist/src/store/layouts')) copyFileSync('src/store/layouts/schemas.json', 'dist/src/store/layouts/schemas.json');

const built = await addons;
const strict = process.env.CI === 'true' ? 'CI=true' : process.env.VCSTORE_REQUIRE_ADDON === '1' ? 'VCSTORE_REQUIRE_ADDON=1' : undefined;
for (const a of built) {
  if (a.status === 'ok' && a.warnings) console.warn(`build: ${a.target} addon built with warnings (npm run lint:native):\n${a.warnings}`);
  if (a.status === 'skipped') console.warn(`build: ${a.target} addon skipped: ${a.why}${strict ? '' : `; on ${a.target} vcstore will use flock(1)`}`);
  if (a.status === 'failed') console.error(`build: ${a.target} addon not built: ${a.why.split('\n')[0]}`);
}
if (strict && built.some((a) => a.status !== 'ok')) {
  console.error(`build: failing because ${strict}: every target's addon must build`);
  process.exit(1);
}

// The licenses of what the bundles hold (and of the Node-API headers the
// addons are compiled with), from the metafiles; dist/metafile.json keeps
// the merged metafile (not packed) for test/pack.test.ts to check against.
const metafiles = bundles.map((b) => b.metafile);
writeFileSync(
  'dist/metafile.json',
  JSON.stringify({ inputs: Object.assign({}, ...metafiles.map((m) => m.inputs)), outputs: Object.assign({}, ...metafiles.map((m) => m.outputs)) }),
);
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const shipped = built.filter((a) => a.status === 'ok').map((a) => a.out);
writeNotices({
  metafiles,
  extra: shipped.length ? [{ dir: dirname(include), usedIn: shipped }] : [],
  out: 'dist/THIRD-PARTY-NOTICES',
  product: `vcstore ${version}`,
});

/** The shared modules under src/ reachable from `entries` (./paths from src/), as absolute .ts paths. */
async function reachable(entries) {
  const r = await build({
    ...common,
    write: false,
    stdin: { contents: entries.map((f) => `export * from './${f}';`).join('\n'), resolveDir: src, sourcefile: 'reach.ts', loader: 'ts' },
    plugins: [{ name: 'vendor', setup: (b) => b.onResolve({ filter: /^(chalk|cli-table3)$/ }, (a) => ({ path: a.path, external: true })) }],
  });
  return new Set(
    Object.keys(r.metafile.inputs)
      .map((f) => resolve(f))
      .filter((f) => shared(f) && existsSync(f)),
  );
}

/** Every module under src/ that the CLI and the commands share, as ./paths from src/. */
function sharedModules() {
  const out = [];
  const walk = (dir) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const file = join(dir, d.name);
      if (d.isDirectory()) walk(file);
      else if (d.name.endsWith('.ts') && shared(resolve(file)))
        out.push(
          resolve(file)
            .slice(src.length + 1)
            .replace(/\.ts$/, '.js'),
        );
    }
  };
  walk('src');
  return out.sort();
}
