// needs: nothing
// The one JSON tokenizer (src/store/fs/jsonscan.ts) and the literal tree built
// on it (jsonlit.ts) must read every text as the two tokenizers they replaced
// did: the same tree, or the same error message at the same offset (both reach
// what the operator sees). The old implementations are frozen below as oracles.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { JsonScanner, LIT_MAX_DEPTH, LitSyntaxError } from '../src/store/fs/jsonscan.js';
import { goLit, litText, litValue, parseLit, type Lit } from '../src/store/fs/jsonlit.js';

const scale = Number(process.env.VCSTORE_PROPERTY_SCALE) || 1;
const runs = (n: number) => Math.max(20, Math.round(n * scale));

// ---- Oracle 1: parseLit as it was before it was built on the scanner (tags renamed on the way out). ----
type OldLit =
  | { t: 'o'; m: [string, OldLit][] }
  | { t: 'a'; v: OldLit[] }
  | { t: 's'; v: string; escaped: boolean }
  | { t: 'n'; raw: string }
  | { t: 'b'; v: boolean }
  | { t: 'z' };

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

function oldParseLit(text: string, whole: boolean): { value: OldLit; end: number } {
  let i = 0;
  const n = text.length;
  const fail = (what: string): never => {
    throw new LitSyntaxError(i >= n ? 'unexpected end of JSON input' : `${what} at offset ${i}`, i);
  };
  const ws = () => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };
  const str = (): { v: string; escaped: boolean } => {
    const start = ++i;
    let escaped = false;
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        escaped = true;
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) fail('invalid \\u escape');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail('invalid escape');
        continue;
      }
      i++;
    }
    const raw = text.slice(start, i);
    i++;
    return { v: escaped ? (JSON.parse(`"${raw}"`) as string) : raw, escaped };
  };
  const value = (depth: number): OldLit => {
    if (depth > LIT_MAX_DEPTH) fail(`nested deeper than ${LIT_MAX_DEPTH} levels`);
    ws();
    if (i >= n) fail('unexpected end');
    const c = text[i];
    if (c === '{') {
      i++;
      const m: [string, OldLit][] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { t: 'o', m };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const key = str().v;
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        m.push([key, value(depth + 1)]);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { t: 'o', m };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const v: OldLit[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { t: 'a', v };
      }
      for (;;) {
        v.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { t: 'a', v };
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') {
      const s = str();
      return { t: 's', v: s.v, escaped: s.escaped };
    }
    if (text.startsWith('true', i)) {
      i += 4;
      return { t: 'b', v: true };
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return { t: 'b', v: false };
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return { t: 'z' };
    }
    const num = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!num) fail('invalid character');
    const raw = num?.[0] ?? '';
    i += raw.length;
    return { t: 'n', raw };
  };
  ws();
  if (i >= n) throw new LitSyntaxError('empty input', 0);
  const v = value(0);
  const end = i;
  if (whole) {
    ws();
    if (i < n) fail('invalid character after the top-level value');
  }
  return { value: v, end };
}

const TAGS = { o: 'object', a: 'array', s: 'string', n: 'number', b: 'bool', z: 'null' } as const;
function renamed(l: OldLit): Lit {
  switch (l.t) {
    case 'o':
      return { t: 'object', m: l.m.map(([k, v]) => [k, renamed(v)]) };
    case 'a':
      return { t: 'array', v: l.v.map(renamed) };
    case 's':
      return { t: TAGS.s, v: l.v, escaped: l.escaped };
    case 'n':
      return { t: TAGS.n, raw: l.raw };
    case 'b':
      return { t: TAGS.b, v: l.v };
    case 'z':
      return { t: TAGS.z };
  }
}

// ---- Oracle 2: the scanner's reading past a value as it was (strings char by char, its own number grammar). ----
class OldSkipper {
  i = 0;
  constructor(private readonly s: string) {}
  private fail(what: string): never {
    throw new LitSyntaxError(this.i >= this.s.length ? 'unexpected end of JSON input' : `${what} at offset ${this.i}`, this.i);
  }
  private ws(): void {
    for (;;) {
      const c = this.s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else break;
    }
  }
  private str(): void {
    const s = this.s;
    let i = ++this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x22) break;
      if (Number.isNaN(c)) {
        this.i = i;
        this.fail('unterminated string');
      }
      if (c < 0x20) {
        this.i = i;
        this.fail('control character in string');
      }
      if (c === 0x5c) {
        const e = s.charCodeAt(i + 1);
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) {
            const h = s.charCodeAt(i + k);
            if (!((h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66))) {
              this.i = i;
              this.fail('invalid \\u escape');
            }
          }
          i += 6;
        } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) i += 2;
        else {
          this.i = i;
          this.fail('invalid escape');
        }
        continue;
      }
      i++;
    }
    this.i = i + 1;
  }
  private num(): void {
    const s = this.s;
    let i = this.i;
    const digits = () => {
      const d0 = i;
      while (s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
      return i - d0;
    };
    if (s.charCodeAt(i) === 0x2d) i++;
    if (s.charCodeAt(i) === 0x30) i++;
    else if (!digits()) {
      this.i = i;
      this.fail('invalid character');
    }
    if (s.charCodeAt(i) === 0x2e) {
      i++;
      if (!digits()) {
        this.i = i;
        this.fail('invalid number');
      }
    }
    const e = s.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const sign = s.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      if (!digits()) {
        this.i = i;
        this.fail('invalid number');
      }
    }
    this.i = i;
  }
  private word(w: string): void {
    if (!this.s.startsWith(w, this.i)) this.fail('invalid character');
    this.i += w.length;
  }
  private next(close: number): boolean {
    this.ws();
    const c = this.s.charCodeAt(this.i);
    if (c === 0x2c) {
      this.i++;
      return false;
    }
    if (c === close) {
      this.i++;
      return true;
    }
    return this.fail(close === 0x7d ? "expected ',' or '}'" : "expected ',' or ']'");
  }
  skip(depth: number): void {
    if (depth > LIT_MAX_DEPTH) this.fail(`nested deeper than ${LIT_MAX_DEPTH} levels`);
    this.ws();
    const c = this.s.charCodeAt(this.i);
    if (c === 0x7b || c === 0x5b) {
      const close = c === 0x7b ? 0x7d : 0x5d;
      this.i++;
      this.ws();
      if (this.s.charCodeAt(this.i) === close) {
        this.i++;
        return;
      }
      for (;;) {
        if (c === 0x7b) {
          this.ws();
          if (this.s.charCodeAt(this.i) !== 0x22) this.fail('expected a key');
          this.str();
          this.ws();
          if (this.s.charCodeAt(this.i) !== 0x3a) this.fail("expected ':'");
          this.i++;
        }
        this.skip(depth + 1);
        if (this.next(close)) return;
      }
    }
    if (c === 0x22) this.str();
    else if (c === 0x74) this.word('true');
    else if (c === 0x66) this.word('false');
    else if (c === 0x6e) this.word('null');
    else this.num();
  }
}

// ---- Inputs: JSON, JSON with white space, JSON mutated, and soups of the tokens where the rules part. ----
const outcome = (f: () => unknown): unknown => {
  try {
    return { ok: f() };
  } catch (e) {
    if (!(e instanceof LitSyntaxError)) throw e;
    return { error: e.message, at: e.at };
  }
};

const long = '7'.repeat(450);
const tokens = fc.constantFrom(
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  ' ',
  '\n',
  '\t',
  '\r',
  '"',
  '"a"',
  '"k":',
  '\\',
  '\\"',
  '\\\\',
  '\\/',
  '\\n',
  '\\u00e9',
  '\\u12',
  '\\uZZZZ',
  '\\x',
  '\u0001',
  '\u001f',
  '0',
  '-',
  '-0',
  '01',
  '1.',
  '1.5',
  '.5',
  '1e',
  '1e+',
  '1E-3',
  '2e10',
  '-12.5e+3',
  '9007199254740993',
  long,
  `${'1'.repeat(398)}.5`,
  `${'1'.repeat(397)}e+5`,
  'true',
  'tru',
  'false',
  'fals',
  'null',
  'nul',
  'x',
  'é',
  '\u2028',
  '"\ud800"',
  '""',
  '{}',
  '[]',
);
const soup = fc.array(tokens, { maxLength: 30 }).map((t) => t.join(''));
const spaced = fc
  .jsonValue({ maxDepth: 4 })
  .chain((v) =>
    fc.constantFrom(
      JSON.stringify(v),
      JSON.stringify(v, null, 2),
      JSON.stringify(v, null, '\t'),
      ` ${JSON.stringify(v)}\n`,
      `${JSON.stringify(v)} trailing`,
      `${JSON.stringify(v)}{"next":1}`,
    ),
  );
const edit = fc.tuple(fc.nat(), fc.nat(3), fc.oneof(tokens, fc.string({ maxLength: 3 })));
const mutated = fc.tuple(spaced, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([text, edits]) => {
  let t = text;
  for (const [at, del, ins] of edits) {
    const k = t.length ? at % (t.length + 1) : 0;
    t = t.slice(0, k) + ins + t.slice(k + del);
  }
  return t;
});
const anyText = fc.oneof(
  { weight: 2, arbitrary: spaced },
  { weight: 4, arbitrary: mutated },
  { weight: 3, arbitrary: soup },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const fixed = [
  '',
  ' ',
  '\n\t ',
  '1.',
  '-',
  '1e',
  '-01',
  long,
  `[${long}]`,
  `${'1'.repeat(398)}.5`,
  `[${'1'.repeat(398)}.5]`,
  `{"a":${'2'.repeat(401)}}`,
  deep(LIT_MAX_DEPTH),
  deep(LIT_MAX_DEPTH + 1),
  deep(LIT_MAX_DEPTH + 2),
  '{"a":"b\\',
  '"\\u00',
  '"abc',
  '"a\u0000"',
  '"a\\"b',
  '"\\q"',
  'tru',
  '{"a" 1}',
  '[1 2]',
  '{"a":1,}',
  '[1,]',
  'null x',
  '"é\\u00e9" ',
];

describe('one JSON tokenizer', () => {
  it('parseLit gives the tree or the error the old parser gave, for any text', () => {
    const check = (text: string) => {
      for (const whole of [true, false]) {
        const want = outcome(() => {
          const r = oldParseLit(text, whole);
          return { value: renamed(r.value), end: r.end };
        });
        // As text: a tree 1000 deep is past what deepEqual's recursion takes.
        assert.equal(JSON.stringify(outcome(() => parseLit(text, whole))), JSON.stringify(want), `${JSON.stringify(text)} whole=${whole}`);
      }
    };
    fixed.forEach(check);
    fc.assert(fc.property(anyText, check), { numRuns: runs(6000) });
  });
  it('the scanner reads past a value exactly as it did, ending at the same offset or failing with the same error', () => {
    const check = (text: string) => {
      const old = new OldSkipper(text);
      const now = new JsonScanner(text);
      assert.deepEqual(
        outcome(() => (now.skip(0, false), now.i)),
        outcome(() => (old.skip(0), old.i)),
        JSON.stringify(text),
      );
    };
    fixed.forEach(check);
    fc.assert(fc.property(anyText, check), { numRuns: runs(6000) });
  });
  it('what JSON.parse reads, parseLit reads to the same value', () => {
    fc.assert(
      fc.property(spaced, (text) => {
        let want: unknown;
        try {
          want = JSON.parse(text);
        } catch {
          return;
        }
        const lit = parseLit(text, true).value;
        assert.deepStrictEqual(litValue(lit), want);
        assert.equal(litText(lit), JSON.stringify(want));
        assert.equal(litText(lit, 2), JSON.stringify(want, null, 2));
      }),
      { numRuns: runs(2000) },
    );
  });
  it('a "__proto__" key is a member of the value, as Go and JSON.parse have it, never its prototype', () => {
    const v = litValue(parseLit('{"__proto__":{"HypervisorType":"qemu"},"a":1}', true).value) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.equal(v.HypervisorType, undefined);
    assert.deepEqual(Object.keys(v), ['__proto__', 'a']);
    assert.deepStrictEqual(v, JSON.parse('{"__proto__":{"HypervisorType":"qemu"},"a":1}'));
  });
  it('the tree says what each value is in words, numbers as written, every duplicate kept', () => {
    const { value } = parseLit('{"a":[1.50,true,null,"x\\n"],"a":{}}', true);
    assert.deepEqual(value, {
      t: 'object',
      m: [
        [
          'a',
          {
            t: 'array',
            v: [{ t: 'number', raw: '1.50' }, { t: 'bool', v: true }, { t: 'null' }, { t: 'string', v: 'x\n', escaped: true }],
          },
        ],
        ['a', { t: 'object', m: [] }],
      ],
    });
    assert.equal(goLit(value), '{"a":{}}');
  });
  it('a string body is skipped in big steps yet every rule holds at its offset', () => {
    // Strings long enough that the skip's cached backslash / control-character positions are used across many.
    const body = 'a'.repeat(5000);
    const cases: [string, string, number][] = [
      [`["${body}","${body}\u0001"]`, 'control character in string at offset 10005', 10005],
      [`["${body}","x\\u00e9${body}","${body}\\q"]`, 'invalid escape at offset 15015', 15015],
      [`["${body}",\n"${body}`, 'unexpected end of JSON input', 10006],
    ];
    for (const [text, message, at] of cases) {
      const s = new JsonScanner(text);
      assert.throws(
        () => s.skip(0, false),
        (e: unknown) => e instanceof LitSyntaxError && e.message === message && e.at === at,
      );
      assert.throws(
        () => parseLit(text, true),
        (e: unknown) => e instanceof LitSyntaxError && e.message === message && e.at === at,
      );
    }
  });
});
