#!/usr/bin/env node
// Re-derive the item schemas from the vendored Kata type files
// (scripts/schemas/derive.go on go/parser and go/types, standard library only,
// no network) and hold src/store/layouts/schemas.json to the result: exit 1
// with a readable diff (both sides pretty-printed) when they differ.
//
//   npm run schemas:check            # CI
//   npm run schemas:check -- --write # rewrite schemas.json from the sources
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const committed = join(root, 'src/store/layouts/schemas.json');
const work = mkdtempSync(join(tmpdir(), 'vcstore-schemas-'));
try {
  const fresh = join(work, 'schemas.json');
  // GO111MODULE=off: a standard-library-only program, no module, nothing fetched; GOTOOLCHAIN=local: no toolchain download.
  const go = spawnSync('go', ['run', 'scripts/schemas/derive.go', '-out', fresh], {
    cwd: root,
    env: { ...process.env, GO111MODULE: 'off', GOFLAGS: '', GOTOOLCHAIN: 'local' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (go.status !== 0) {
    console.error(`schemas:check: scripts/schemas/derive.go failed (${go.error?.message ?? `exit ${go.status ?? go.signal}`})`);
    process.exitCode = 1;
  } else if (process.argv.includes('--write')) {
    copyFileSync(fresh, committed);
    console.error(`schemas:check: wrote ${committed}`);
  } else if (!readFileSync(fresh).equals(readFileSync(committed))) {
    const pretty = (f, to) => writeFileSync(to, `${JSON.stringify(JSON.parse(readFileSync(f, 'utf8')), null, 2)}\n`);
    pretty(committed, join(work, 'committed.json'));
    pretty(fresh, join(work, 'derived.json'));
    const d = spawnSync(
      'diff',
      [
        '-u',
        '--label',
        'src/store/layouts/schemas.json (committed)',
        '--label',
        're-derived from scripts/schemas/kata-types',
        'committed.json',
        'derived.json',
      ],
      {
        cwd: work,
        encoding: 'utf8',
      },
    );
    process.stdout.write(d.stdout || '(the two differ only in their formatting)\n');
    console.error(
      'schemas:check: src/store/layouts/schemas.json is not what scripts/schemas/derive.go derives from the vendored Kata sources.\n' +
        'If the sources or sources.json changed on purpose, rerun `npm run schemas:check -- --write` and commit the result.',
    );
    process.exitCode = 1;
  } else {
    console.error('schemas:check: src/store/layouts/schemas.json is what the vendored Kata sources derive');
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
