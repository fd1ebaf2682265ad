// A JSON scanner that builds nothing: one pass over the text, reading past
// values, strings decoded only when asked for, the path to the value in hand
// kept as segments (made into text only for a message). The item validator
// (layouts/validate.ts) judges values against the runtime's types on top of
// it; a syntax error throws (LitSyntaxError), a finding is recorded once (the
// first, in document order, as Go keeps its first UnmarshalTypeError).
import { goFold } from './gojson.js';
import { LIT_MAX_DEPTH, LitSyntaxError } from './jsonlit.js';

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

export class JsonScanner {
  i = 0;
  verdict: Verdict | null = null;
  /** The path to the value being read, as segments: built into text only when needed. */
  protected readonly segs: (string | number)[] = [];
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

  /** A string at i: its value (decoded when `want`) and whether it had escapes. */
  protected str(want: boolean): { v: string; escaped: boolean } {
    const s = this.s;
    const start = ++this.i;
    let i = start;
    let escaped = false;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === Q) break;
      if (Number.isNaN(c)) {
        this.i = i;
        this.fail('unterminated string');
      }
      if (c < 0x20) {
        this.i = i;
        this.fail('control character in string');
      }
      if (c === BS) {
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
        continue;
      }
      i++;
    }
    this.i = i + 1;
    if (!want) return { v: '', escaped };
    const raw = s.slice(start, i);
    return { v: escaped ? (JSON.parse(`"${raw}"`) as string) : raw, escaped };
  }

  /** A number at i: its literal text. */
  protected num(): string {
    const s = this.s;
    const start = this.i;
    let i = start;
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
    return s.slice(start, i);
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
    if (depth > LIT_MAX_DEPTH) this.fail(`nested deeper than ${LIT_MAX_DEPTH} levels`);
    this.ws();
    const c = this.s.charCodeAt(this.i);
    if (c === 0x7b) {
      this.i++;
      this.ws();
      if (this.s.charCodeAt(this.i) === 0x7d) {
        this.i++;
        return;
      }
      for (;;) {
        this.ws();
        if (this.s.charCodeAt(this.i) !== Q) this.fail('expected a key');
        const key = float ? this.str(true).v : (this.str(false), '');
        this.colon();
        if (float) this.segs.push(key);
        this.skip(depth + 1, float);
        if (float) this.segs.pop();
        if (this.next(0x7d)) return;
      }
    }
    if (c === 0x5b) {
      this.i++;
      this.ws();
      if (this.s.charCodeAt(this.i) === 0x5d) {
        this.i++;
        return;
      }
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

  /** The value at i, judged against `t`. */

  /** An object's members: `each` reads the value of each key (the key is on the path meanwhile). */
  protected members(each: (key: string) => void): void {
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.i) !== Q) this.fail('expected a key');
      const key = this.str(true).v;
      this.colon();
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
