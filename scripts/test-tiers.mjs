// The test tiers (README "Tests"). Every test/*.test.ts says on its first
// line what it needs:
//
//   // needs: nothing              runs anywhere, as any user: the no-root tier
//   // needs: root (mounts, ...)   needs root for what the parenthesis names
//
// `needs: nothing` may say more after it (a tool whose absence skips some
// tests, say), but never root. A file is `nothing` only when all of it runs
// and passes as an unprivileged user with none of its tests skipped for want
// of root.
//
//   node scripts/test-tiers.mjs check [DIR]   fail naming each file without its line (DIR: test/)
//   node scripts/test-tiers.mjs list TIER     the built files of a tier (noroot | root)
//   node scripts/test-tiers.mjs run TIER      run them with node --test (after npm run build)
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const MARKER = /^\/\/ needs: (nothing|root)(?:$| \()/;

/** Each test file of `dir` with the tier its first line names, or null. */
export function tiers(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((file) => {
      const first = readFileSync(join(dir, file), 'utf8').split('\n', 1)[0];
      const m = MARKER.exec(first);
      return { file, tier: m ? (m[1] === 'nothing' ? 'noroot' : 'root') : null };
    });
}

function main([cmd, arg]) {
  const root = resolve(import.meta.dirname, '..');
  if (cmd === 'check') {
    const missing = tiers(arg ?? join(root, 'test')).filter((t) => t.tier === null);
    for (const t of missing) console.error(`test-tiers: ${t.file}: its first line must be "// needs: nothing" or "// needs: root (WHY)"`);
    return missing.length ? 1 : 0;
  }
  if ((cmd === 'list' || cmd === 'run') && (arg === 'noroot' || arg === 'root')) {
    const all = tiers(join(root, 'test'));
    const missing = all.filter((t) => t.tier === null);
    if (missing.length) return main(['check']);
    const files = all.filter((t) => t.tier === arg).map((t) => `dist/test/${t.file.replace(/\.ts$/, '.js')}`);
    if (cmd === 'list') {
      console.log(files.join('\n'));
      return 0;
    }
    const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${process.env.VCSTORE_TEST_CONCURRENCY ?? 3}`, ...files], {
      cwd: root,
      stdio: 'inherit',
    });
    return r.status ?? 1;
  }
  console.error('usage: node scripts/test-tiers.mjs check [DIR] | list noroot|root | run noroot|root');
  return 2;
}

if (import.meta.filename === process.argv[1]) process.exitCode = main(process.argv.slice(2));
