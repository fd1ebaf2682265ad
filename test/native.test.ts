// The addon's fast paths must agree with the careful ones. The JSON
// validator (checkJson) may reject what JSON.parse takes (the caller then
// parses, so it only costs time) but must never accept what JSON.parse
// rejects, nor misjudge a document's kind. Property tests with fast-check.
import { strict as assert } from 'node:assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { addon as nativeFlock, addonTarget } from '../src/store/fs/addon.js';
import { ROOT, scratch } from './helpers.js';

const { tmp } = scratch();
const built = existsSync(join(ROOT, 'dist/native', addonTarget(), 'vcstore.node'));
const skip = built || process.env.CI === 'true' ? false : 'addon not built';
const kind = (v: unknown) => (v === null ? 3 : Array.isArray(v) ? 2 : typeof v === 'object' ? 1 : 4);

describe('addon fast paths', { skip }, () => {
  it('checkJson never accepts what JSON.parse rejects, and tells the kind', () => {
    const addon = nativeFlock()!;
    const f = join(tmp('vcstore-native-', true), 'x.json');
    const judge = (text: string) => {
      writeFileSync(f, text);
      let want: number;
      try {
        want = kind(JSON.parse(text));
      } catch {
        want = -1004;
      }
      const got = addon.checkJson(f, 1 << 24);
      if (got > 0) assert.equal(got, want, `checkJson ${got}, JSON.parse ${want}: ${JSON.stringify(text)}`);
    };
    fc.assert(
      fc.property(fc.json(), (j) => judge(j)),
      { numRuns: 1500 },
    );
    fc.assert(
      fc.property(fc.json(), fc.nat(), (j, k) => judge(j.slice(0, k % (j.length + 1)))),
      { numRuns: 1500 },
    );
    const unit = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      '"',
      ':',
      ',',
      '0',
      '1',
      '-',
      '.',
      'e',
      '+',
      ' ',
      't',
      'r',
      'u',
      'n',
      'l',
      'f',
      'a',
      's',
      '\\',
      'x',
      '\n',
      '\u0001',
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 20 }), (t) => judge(t)),
      { numRuns: 6000 },
    );
    for (const t of [
      '',
      '01',
      '1.',
      '-',
      '1e+',
      '"\\x"',
      '"\\u12"',
      '{"a":1,}',
      '[1,]',
      'nul',
      '"a\u0001"',
      '1 2',
      '-0',
      '"\\uD800"',
      '\ufeff{}',
      '[[]]'.repeat(3),
    ])
      judge(t);
  });
  it('readItem returns exactly what the file holds, or a code', () => {
    const addon = nativeFlock()!;
    const f = join(tmp('vcstore-native-', true), 'y.json');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        writeFileSync(f, text);
        assert.equal(addon.readItem(f, 1 << 24), text);
      }),
      { numRuns: 1000 },
    );
    writeFileSync(f, Buffer.from([0x7b, 0xff, 0x7d]));
    assert.equal(addon.readItem(f, 1 << 24), -1002, 'not UTF-8');
    writeFileSync(f, 'x'.repeat(100));
    assert.equal(addon.readItem(f, 10), -1001, 'over the limit');
    assert.equal(addon.readItem(join(f, 'nope'), 10), -20, 'ENOTDIR');
  });
});
