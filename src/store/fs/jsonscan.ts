// The one JSON tokenizer: white space, strings and their escapes, the number
// grammar, the depth limit, and the syntax errors with their offsets, each
// written once here. On it, the item validator (layouts/validate.ts) judges
// values against the runtime's types in one pass that builds nothing, and the
// literal tree (jsonlit.ts) is built. Strings are decoded only when asked
// for; the path to the value in hand is kept as segments (made into text only
// for a message). A syntax error throws (LitSyntaxError); a finding is
// recorded once (the first, in document order, as Go keeps its first
// UnmarshalTypeError).
import { goFold } from './gojson.js';

/** A syntax error, with the offset where it was found. */
export class LitSyntaxError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/** Deeper than this is not a store item (Go stops at 10000; no runtime item comes near 1000). */
export const LIT_MAX_DEPTH = 1000;

export interface Verdict {
  /** Where: `.Devices[0].Data.ID`, or '' for the top. */
  path: string;
  /** What was wanted and what was there: `want an integer, got "x"`. */
  message: string;
  /** Not JSON at all (a corrupt item rather than a wrong shape). */
  syntax?: true;
}

/** A key as a jq path segment: `.Name`, or `["a-b"]`. */
export const seg = (key: string): string => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);

const Q = 0x22;
const BS = 0x5c;
const digitAt = (s: string, k: number, limit: number): boolean => {
  const c = s.charCodeAt(k);
  return k < limit && c >= 0x30 && c <= 0x39;
};
/** Characters JSON forbids unescaped in a string. */
// eslint-disable-next-line no-control-regex -- these are the characters JSON forbids in a string
const CONTROL = /[\x00-\x1f]/g;

export class JsonScanner {
  i = 0;
  verdict: Verdict | null = null;
  /** The path to the value being read, as segments: built into text only when needed. */
  protected readonly segs: (string | number)[] = [];
  /** Where the strict number grammar stopped short (-1: it did not), and what it wanted there (see lexNum). */
  private numBadAt = -1;
  private numBad = '';
  // The first backslash and the first control character at or after an
  // offset, kept between strings: a string body is skipped with indexOf
  // instead of char by char (most have neither), and each is searched for
  // once per stretch of text it is absent from, not once per string.
  private bsFrom = Infinity;
  private bsAt = 0;
  private ctlFrom = Infinity;
  private ctlAt = 0;
  constructor(protected readonly s: string) {}

  protected fail(what: string): never {
    throw new LitSyntaxError(this.i >= this.s.length ? 'unexpected end of JSON input' : `${what} at offset ${this.i}`, this.i);
  }

  /** The path so far (-1: without its last segment), plus `extra`. */
  protected path(extra?: string | number): string {
    const segs = extra === -1 ? this.segs.slice(0, -1) : extra === undefined ? this.segs : [...this.segs, extra];
    let p = '';
    for (const x of segs) p += typeof x === 'number' ? `[${x}]` : seg(x);
    return p;
  }

  protected bad(message: string, extra?: string | number): void {
    this.verdict ??= { path: this.path(extra), message };
  }

  ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  /** At the start of a value `depth` levels down: not too deep, white space read past, not at the end. */
  enter(depth: number): void {
    if (depth > LIT_MAX_DEPTH) this.fail(`nested deeper than ${LIT_MAX_DEPTH} levels`);
    this.ws();
    if (this.i >= this.s.length) this.fail('unexpected end');
  }

  /** After the top-level value, for json.Unmarshal: nothing but white space may follow. */
  trailing(): void {
    this.ws();
    if (this.i < this.s.length) this.fail('invalid character after the top-level value');
  }

  /** The first backslash at or after `i`, or the text's length. */
  private backslash(i: number): number {
    if (i < this.bsFrom || i > this.bsAt) {
      this.bsFrom = i;
      const at = this.s.indexOf('\\', i);
      this.bsAt = at < 0 ? this.s.length : at;
    }
    return this.bsAt;
  }

  /** The first control character at or after `i`, or the text's length. */
  private control(i: number): number {
    if (i < this.ctlFrom || i > this.ctlAt) {
      this.ctlFrom = i;
      CONTROL.lastIndex = i;
      this.ctlAt = CONTROL.test(this.s) ? CONTROL.lastIndex - 1 : this.s.length;
    }
    return this.ctlAt;
  }

  /** A string at i: its value (decoded when `want`) and whether it had escapes. */
  protected str(want: boolean): { v: string; escaped: boolean } {
    const s = this.s;
    const n = s.length;
    const start = ++this.i;
    let i = start;
    let escaped = false;
    for (;;) {
      // The next quote or backslash, and no control character before it.
      let q = s.indexOf('"', i);
      if (q < 0) q = n;
      const b = this.backslash(i);
      const stop = b < q ? b : q;
      const ctl = this.control(i);
      if (ctl < stop) {
        this.i = ctl;
        this.fail('control character in string');
      }
      if (stop === n) {
        this.i = n;
        this.fail('unterminated string');
      }
      if (stop === q) {
        i = q;
        break;
      }
      i = stop;
      escaped = true;
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
      } else if (e === Q || e === BS || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) i += 2;
      else {
        this.i = i;
        this.fail('invalid escape');
      }
    }
    this.i = i + 1;
    if (!want) return { v: '', escaped };
    const raw = s.slice(start, i);
    return { v: escaped ? (JSON.parse(`"${raw}"`) as string) : raw, escaped };
  }

  /**
   * JSON's number grammar at i, read no further than `limit`: the end of the
   * longest prefix that is a number (i when none). Where the grammar stops
   * short of a whole number, numBadAt/numBad say where and what it wanted.
   */
  protected lexNum(limit: number): number {
    const s = this.s;
    let i = this.i;
    this.numBadAt = -1;
    if (i < limit && s.charCodeAt(i) === 0x2d) i++;
    if (i < limit && s.charCodeAt(i) === 0x30) i++;
    else if (digitAt(s, i, limit)) while (digitAt(s, i, limit)) i++;
    else {
      this.numBadAt = i;
      this.numBad = 'invalid character';
      return this.i;
    }
    const int = i;
    if (i < limit && s.charCodeAt(i) === 0x2e) {
      i++;
      if (!digitAt(s, i, limit)) {
        this.numBadAt = i;
        this.numBad = 'invalid number';
        return int;
      }
      while (digitAt(s, i, limit)) i++;
    }
    const frac = i;
    const e = i < limit ? s.charCodeAt(i) : NaN;
    if (e === 0x65 || e === 0x45) {
      i++;
      const sign = i < limit ? s.charCodeAt(i) : NaN;
      if (sign === 0x2b || sign === 0x2d) i++;
      if (!digitAt(s, i, limit)) {
        this.numBadAt = i;
        this.numBad = 'invalid number';
        return frac;
      }
      while (digitAt(s, i, limit)) i++;
    }
    return i;
  }

  /** A number at i, whole by the grammar (anything else is an error where it stops short): its literal text. */
  protected num(): string {
    const start = this.i;
    const end = this.lexNum(Infinity);
    if (this.numBadAt >= 0) {
      this.i = this.numBadAt;
      this.fail(this.numBad);
    }
    this.i = end;
    return this.s.slice(start, end);
  }

  protected word(w: string): void {
    if (!this.s.startsWith(w, this.i)) this.fail('invalid character');
    this.i += w.length;
  }

  /** What the value at i is, for a message, reading past it. */
  protected describe(depth: number): string {
    const c = this.s.charCodeAt(this.i);
    if (c === Q) {
      const v = this.str(true).v;
      return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    }
    if (c === 0x7b || c === 0x5b) {
      this.skip(depth, false);
      return c === 0x7b ? 'an object' : 'an array';
    }
    if (c === 0x74 || c === 0x66) {
      this.word(c === 0x74 ? 'true' : 'false');
      return c === 0x74 ? 'true' : 'false';
    }
    if (c === 0x6e) {
      this.word('null');
      return 'null';
    }
    const raw = this.num();
    return raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
  }

  protected mismatch(want: string, depth: number): void {
    const got = this.describe(depth);
    this.bad(`want ${want}, got ${got}`);
  }

  /** Read past any value. `float`: numbers must fit a float64 (interface{} holds them as one). */
  skip(depth: number, float: boolean): void {
    this.enter(depth);
    const c = this.s.charCodeAt(this.i);
    if (c === 0x7b) {
      if (this.opened(0x7d)) return;
      for (;;) {
        const key = this.key(float);
        if (float) this.segs.push(key);
        this.skip(depth + 1, float);
        if (float) this.segs.pop();
        if (this.next(0x7d)) return;
      }
    }
    if (c === 0x5b) {
      if (this.opened(0x5d)) return;
      for (let n = 0; ; n++) {
        if (float) this.segs.push(n);
        this.skip(depth + 1, float);
        if (float) this.segs.pop();
        if (this.next(0x5d)) return;
      }
    }
    if (c === Q) this.str(false);
    else if (c === 0x74) this.word('true');
    else if (c === 0x66) this.word('false');
    else if (c === 0x6e) this.word('null');
    else {
      const raw = this.num();
      if (float && !Number.isFinite(Number(raw))) this.bad(`want a number that fits a float64, got ${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}`);
    }
  }

  /** At an object's or array's opening bracket: past it, and true when `close` follows at once (read past too). */
  protected opened(close: number): boolean {
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) !== close) return false;
    this.i++;
    return true;
  }

  /** A member's key and the colon after it: the key decoded when `want` (else ''). */
  protected key(want: boolean): string {
    this.ws();
    if (this.s.charCodeAt(this.i) !== Q) this.fail('expected a key');
    const key = want ? this.str(true).v : (this.str(false), '');
    this.colon();
    return key;
  }

  protected colon(): void {
    this.ws();
    if (this.s.charCodeAt(this.i) !== 0x3a) this.fail("expected ':'");
    this.i++;
  }

  /** After a member or element: true at the closing bracket, false at a comma. */
  protected next(close: number): boolean {
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

  protected isNull(): boolean {
    if (this.s.charCodeAt(this.i) !== 0x6e) return false;
    this.word('null');
    return true;
  }

  topString(want: string): string | undefined {
    this.ws();
    if (this.s.charCodeAt(this.i) !== 0x7b) return undefined;
    const folded = goFold(want);
    let v: string | undefined;
    this.members((key) => {
      if (key !== want && goFold(key) !== folded) return this.skip(1, false);
      this.ws();
      // Each member is decoded in turn: the last string counts, a null changes nothing.
      if (this.s.charCodeAt(this.i) === Q) v = this.str(true).v;
      else if (!this.isNull()) {
        v = undefined;
        this.skip(1, false);
      }
    });
    return v;
  }

  /** An object's members: `each` reads the value of each key (the key is on the path meanwhile). */
  protected members(each: (key: string) => void): void {
    if (this.opened(0x7d)) return;
    for (;;) {
      const key = this.key(true);
      this.segs.push(key);
      each(key);
      this.segs.pop();
      if (this.next(0x7d)) return;
    }
  }
}

/**
 * The string a top-level key holds (Go's key matching; the last of
 * duplicates), read without building the document: undefined when absent,
 * not a string, or the text is no JSON object.
 */
export function topLevelString(text: string, key: string): string | undefined {
  try {
    return new JsonScanner(text).topString(key);
  } catch (e) {
    if (e instanceof LitSyntaxError) return undefined;
    throw e;
  }
}
