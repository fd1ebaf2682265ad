// needs: nothing
// The test tiers (scripts/test-tiers.mjs, README "Tests"): every test file
// says on its first line whether it needs root, and `npm run test:noroot`
// runs exactly those that need nothing.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, scratch } from './helpers.js';

const { tmp } = scratch();
const tiers = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'scripts/test-tiers.mjs'), ...args], { encoding: 'utf8', cwd: ROOT });

describe('test tiers', () => {
  it('every test file of this checkout names its tier on its first line', () => {
    const r = tiers('check');
    assert.equal(r.status, 0, r.stderr);
  });
  it('a test file without the line, or with a tier that is not one, fails the check naming it', () => {
    const d = tmp();
    writeFileSync(join(d, 'good.test.ts'), '// needs: root (mounts)\n');
    writeFileSync(join(d, 'bare.test.ts'), "import { it } from 'node:test';\n");
    writeFileSync(join(d, 'late.test.ts'), '// A header first.\n// needs: nothing\n');
    writeFileSync(join(d, 'odd.test.ts'), '// needs: rootless\n');
    const r = tiers('check', d);
    assert.equal(r.status, 1);
    assert.deepEqual(
      r.stderr
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(':')[1]?.trim()),
      ['bare.test.ts', 'late.test.ts', 'odd.test.ts'],
    );
  });
  it('the two tiers hold every test file once', () => {
    const list = (tier: string) => tiers('list', tier).stdout.split('\n').filter(Boolean);
    const all = readdirSync(join(ROOT, 'test'))
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => `dist/test/${f.replace(/\.ts$/, '.js')}`)
      .sort();
    assert.deepEqual([...list('noroot'), ...list('root')].sort(), all);
    assert.ok(list('noroot').includes('dist/test/tiers.test.js'));
  });
});
