// needs: nothing
// MountTable.below, the sorted index a bulk removal asks for every root of
// every sandbox, against MountTable.under, the plain filter it stands in for:
// the same mounts in the same (mountinfo) order, for generated tables with
// stacked mounts, look-alike siblings (`a-b`, `a.b`, `a0` sort around `a/`)
// and escaped names.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MountTable } from '../src/store/host/mounts.js';

const seg = fc.constantFrom('a', 'b', 'a-b', 'a.b', 'a0', 'a b', 'ab', 'sbs', 'x');
const path = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => `/nonexistent-vcstore-test/${s.join('/')}`);
const esc = (p: string) => p.replace(/ /g, '\\040');

describe('MountTable.below', () => {
  it('gives what under gives, in the same order', () => {
    fc.assert(
      fc.property(fc.array(path, { maxLength: 60 }), fc.array(path, { minLength: 1, maxLength: 10 }), (points, asks) => {
        const text = points.map((p, i) => `${i + 20} 1 0:${i} / ${esc(p)} rw - tmpfs t${i} rw`).join('\n');
        const t = new MountTable(text);
        for (const a of [...asks, ...points.slice(0, 5)]) assert.deepEqual(t.below(a), t.under(a), a);
      }),
      { numRuns: 300 },
    );
  });
  it('sees nothing where mountinfo was not read', () => {
    assert.deepEqual(new MountTable(undefined, null).below('/x'), []);
  });
});
