#!/usr/bin/env node
// Record Go's verdict on every input of test/fixtures/schema-corpus.json:
// what the runtime's loader says when it reads that text ('' when it loads).
//
//   node scripts/schemas/verdicts.mjs --mirrors DIR (or KATA_MIRRORS=DIR): git mirrors of the Kata repositories
//
// Needs `go` (Debian's golang-go will do). Two kinds of loader:
//  - the real one, for the layouts whose sources build offline: the 1.x store
//    (kata-containers/runtime stable-1.10, GOPATH mode with its vendor/) and
//    the 1.11 persist driver (stable-1.11). scripts/schemas/go/*.go.txt is the
//    small main that calls the store's own Load/LoadState/LoadDevices, or
//    decodes as the driver's FromDisk does, for each input;
//  - the generated one (gotypes.mjs), from vcstore's own schemas, for all
//    three. Today's persist driver (kata-containers main) needs Go 1.26 and
//    modules that cannot be fetched offline, so its verdicts come from the
//    generated loader; where both exist they must agree, or this fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goSource } from './gotypes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const MIRRORS = args.includes('--mirrors') ? args[args.indexOf('--mirrors') + 1] : process.env.KATA_MIRRORS;
if (!MIRRORS) {
  console.error('verdicts.mjs: name the Kata git mirrors with --mirrors DIR or KATA_MIRRORS=DIR');
  process.exit(2);
}
const CORPUS = join(here, '../../test/fixtures/schema-corpus.json');
const sources = JSON.parse(readFileSync(join(here, 'sources.json'), 'utf8')).layouts;
const sets = JSON.parse(readFileSync(join(here, '../../src/store/layouts/schemas.json'), 'utf8')).layouts;
const work = mkdtempSync(join(tmpdir(), 'vcstore-verdicts-'));

const go = (cwd, env, ...a) => execFileSync('go', a, { cwd, env: { ...process.env, GOFLAGS: '', ...env }, stdio: ['ignore', 'inherit', 'inherit'] });

function generated(set) {
  const dir = join(work, `gen-${set}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.go'), goSource(sets[set]));
  go(dir, { GO111MODULE: 'off' }, 'build', '-o', join(work, `gen-${set}.bin`), 'main.go');
  return join(work, `gen-${set}.bin`);
}

/** The real loader: the Kata checkout at the schema's commit, in a GOPATH, with our main added. */
function real(set) {
  const src = sources[set];
  const gopath = join(work, `gopath-${set}`);
  const repo = join(gopath, 'src/github.com', src.repo);
  mkdirSync(dirname(repo), { recursive: true });
  execFileSync('git', ['clone', '-q', '--shared', '--no-checkout', join(MIRRORS, src.repo.replace('/', '+'), 'repo'), repo]);
  const commit = execFileSync('git', ['-C', repo, 'rev-parse', `${sets[set].source.commit}^{commit}`], { encoding: 'utf8' }).trim();
  // Some large vendored files are absent from the mirrors; none is on the loaders' import path.
  spawnSync('git', ['-C', repo, 'checkout', '-qf', commit], { stdio: 'ignore' });
  const main = readFileSync(join(here, 'go', set === 'legacy' ? 'legacy.go.txt' : 'persist.go.txt'), 'utf8').replace(
    'PERSISTAPI',
    `github.com/${src.repo}/virtcontainers/persist/api`,
  );
  mkdirSync(join(repo, 'cmd/vcverdict'), { recursive: true });
  writeFileSync(join(repo, 'cmd/vcverdict/main.go'), main);
  go(repo, { GO111MODULE: 'off', GOPATH: gopath }, 'build', '-o', join(work, `real-${set}.bin`), './cmd/vcverdict');
  return { bin: join(work, `real-${set}.bin`), by: `${src.repo}@${commit.slice(0, 12)} (its own loader)` };
}

function verdicts(bin, cases) {
  const input = cases.map((c) => JSON.stringify({ item: c.item, ...(c.b64 ? { b64: c.b64 } : { text: c.text }) })).join('\n') + '\n';
  const r = spawnSync(bin, { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${bin}: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).verdict);
}

try {
  const corpus = JSON.parse(readFileSync(CORPUS, 'utf8'));
  let disagree = 0;
  for (const set of Object.keys(sets)) {
    const cases = corpus.cases.filter((c) => c.set === set);
    const gen = verdicts(generated(set), cases);
    const r = set === 'persist-3' ? null : real(set);
    const got = r ? verdicts(r.bin, cases) : gen;
    cases.forEach((c, i) => {
      c.go = got[i];
      c.by = r ? r.by : `generated types of ${sets[set].source.repo}@${sets[set].source.commit.slice(0, 12)}`;
      if (r && (got[i] === '') !== (gen[i] === '')) {
        disagree++;
        console.error(`${set} ${c.item} ${c.text ?? c.b64}: the loader says ${JSON.stringify(got[i])}, the generated types ${JSON.stringify(gen[i])}`);
      }
    });
  }
  if (disagree) {
    console.error(`${disagree} disagreements between the real loaders and the schemas: fix derive.go or sources.json`);
    process.exit(1);
  }
  writeFileSync(CORPUS, `${JSON.stringify(corpus, null, 1)}\n`);
  console.log(`${corpus.cases.length} verdicts written to ${CORPUS}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
