// needs: nothing
// The core store modules on any input (fast-check): IDs and the paths they
// name (src/store/fs/ids.ts, paths.ts), item names (layouts/items.ts), the
// bounded JSON parse (fs/read.ts) and the 1.x judge (layouts/judge.ts)
// refuse or answer, never throw otherwise.
import { strict as assert } from 'node:assert';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CorruptItemError, parseJson } from '../src/store/fs/read.js';
import { UsageError } from '../src/store/fs/errors.js';
import { isValidId } from '../src/store/fs/ids.js';
import { ITEMS, resolveItemOrNull } from '../src/store/layouts/items.js';
import { judgeLegacy } from '../src/store/layouts/judge.js';
import { resolveRoots } from '../src/store/fs/roots.js';
import { sandboxPaths } from '../src/store/fs/paths.js';

describe('properties (fast-check)', () => {
  const roots = resolveRoots({ prefix: '/store', env: {} });
  it('any string is refused as an ID or names a path directly under its root', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('..', '.', '../etc', 'a/b', '/abs', 'a\0b', 'x'.repeat(256))), (id) => {
        let p;
        try {
          p = sandboxPaths(roots, id);
        } catch (e) {
          assert.ok(e instanceof UsageError);
          assert.ok(!(e as Error).message.includes('\n'));
          return;
        }
        assert.ok(isValidId(id));
        assert.equal(dirname(p.config), roots.config);
        assert.equal(dirname(p.runtime), roots.run);
        assert.equal(dirname(p.vm), roots.vm);
      }),
      { numRuns: 2000 },
    );
  });
  it('any item name resolves to one of the 11 items or to none', () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        const def = resolveItemOrNull(name);
        assert.ok(def === null || ITEMS.includes(def));
      }),
    );
  });
  it('any bytes parse or fail as a corrupt item, never otherwise', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parseJson(Buffer.from(bytes), 'x.json');
        } catch (e) {
          assert.ok(e instanceof CorruptItemError, String(e));
        }
      }),
    );
  });
  it('any JSON value as any 1.x item is judged without throwing: loadable or a verdict with a path', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...ITEMS.map((i) => i.file)), fc.boolean(), (v, file, container) => {
        const j = judgeLegacy(JSON.stringify(v), file, container, null);
        if (j !== 'no-such-item' && j.verdict) assert.equal(typeof j.verdict.message, 'string');
      }),
    );
  });
});
