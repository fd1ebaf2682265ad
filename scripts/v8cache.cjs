// Makes the V8 code cache bin/vcstore compiles each bundle with
// (dist/**/<bundle>.cjs.v8cache): every bundle is loaded and an empty `ls`
// run, so the cache holds what start-up runs, compiled, and each command's
// top level. Run by scripts/build.mjs in a fresh node with no flags, as the
// bin runs (V8 accepts a cache only from the same V8 and flags).
'use strict';
const Module = require('node:module');
const { Script } = require('node:vm');
const { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join, resolve } = require('node:path');

const dist = resolve(__dirname, '..', 'dist') + '/';
const scripts = new Map();
const compile = Module.prototype._compile;
Module.prototype._compile = function (content, filename) {
  if (!filename.startsWith(dist) || filename.endsWith('list-worker.cjs')) return compile.call(this, content, filename);
  const s = new Script(Module.wrap(content), { filename });
  scripts.set(filename, s);
  return s.runInThisContext().call(this.exports, this.exports, Module.createRequire(filename), this, filename, dirname(filename));
};

(async () => {
  const cli = require(join(dist, 'vcstore.cjs'));
  require(join(dist, 'core.cjs'));
  for (const f of readdirSync(join(dist, 'cmd'))) if (f.endsWith('.cjs')) require(join(dist, 'cmd', f));
  const empty = mkdtempSync(join(tmpdir(), 'vcstore-v8cache-'));
  try {
    mkdirSync(join(empty, 'run/vc/sbs'), { recursive: true });
    const quiet = { stdout() {}, stderr() {}, isTty: async () => false, ask: async () => null };
    for (const argv of [['--version'], ['--prefix', empty, 'ls'], ['--prefix', empty, 'ls', '--json']]) await cli.main(['node', 'vcstore', ...argv], quiet);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  for (const [f, s] of scripts) writeFileSync(`${f}.v8cache`, s.createCachedData());
})().catch((e) => {
  process.stderr.write(`v8cache: ${e.stack}\n`);
  process.exitCode = 1;
});
