// npm run lint:native: src/native/addon.c under -Wall -Wextra -Werror with
// every compiler this machine has for the targets (scripts/native/targets.mjs),
// and the test harness likewise. The shipped build (scripts/build.mjs) only
// shows warnings: a new compiler's new warning must not cost an architecture
// its addon, but it must not go unseen either. Exits 1 on any warning; a
// target without its compiler is skipped with one line.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAddons, LINT_FLAGS } from './targets.mjs';

const include = createRequire(import.meta.url)('node-api-headers').include_dir;
const out = mkdtempSync(join(tmpdir(), 'vcstore-lint-native-'));
let bad = 0;
try {
  const runs = await Promise.all([
    buildAddons({ include, outDir: join(out, 'addon'), flags: LINT_FLAGS }),
    buildAddons({ include, outDir: join(out, 'harness'), source: 'scripts/native/harness.c', flags: ['-fsyntax-only', '-Wall', '-Wextra', '-Werror'] }),
  ]);
  for (const [what, results] of [
    ['src/native/addon.c', runs[0]],
    ['scripts/native/harness.c', runs[1]],
  ])
    for (const r of results) {
      if (r.status === 'skipped') console.log(`lint:native: ${r.target}: skipped, ${r.why}`);
      else if (r.status === 'failed') {
        bad++;
        console.error(`lint:native: ${what} for ${r.target} (${r.cc}):\n${r.why}`);
      } else console.log(`lint:native: ${what} for ${r.target}: clean`);
    }
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exitCode = bad ? 1 : 0;
