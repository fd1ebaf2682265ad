// Does the runtime load this item? The generated schemas (the Go types each
// item is decoded into) checked the way encoding/json decodes: keys matched
// exactly, then case-insensitively, unknown keys ignored; null a no-op for
// anything but a pointer, slice, map or interface; integers only as integer
// literals in range, unsigned never negative; time.Time an RFC 3339 string;
// net.IP a string it parses; []byte base64 or an array of bytes; map keys of
// integer maps decimal integers in range. The first problem is returned,
// with its JSON path and what was wanted.
import { isIP } from 'node:net';
import { goFold } from '../fs/gojson.js';
import { LIT_MAX_DEPTH, LitSyntaxError } from '../fs/jsonlit.js';
import type { SchemaField, SchemaItem, SchemaNode, SchemaSet } from './schema-types.js';

export interface Verdict {
  /** Where: `.Devices[0].Data.ID`, or '' for the top. */
  path: string;
  /** What was wanted and what was there: `want an integer, got "x"`. */
  message: string;
  /** Not JSON at all (a corrupt item rather than a wrong shape). */
  syntax?: true;
}

/** A key of an object that no field of its Go struct takes: the runtime drops it. */
export interface UnknownKey {
  path: string;
  key: string;
}

const BITS: Record<number, [bigint, bigint]> = {
  8: [-(1n << 7n), (1n << 7n) - 1n],
  16: [-(1n << 15n), (1n << 15n) - 1n],
  32: [-(1n << 31n), (1n << 31n) - 1n],
  64: [-(1n << 63n), (1n << 63n) - 1n],
};
const UMAX = (bits: number) => (1n << BigInt(bits)) - 1n;

/** No 64-bit integer has more characters than this: longer literals are out of range before BigInt reads them. */
const INT_CHARS = 21;

/** strconv.ParseInt(s, 10, bits) as Go's decoder uses it for a number literal. */
function intOk(raw: string, bits: number): boolean {
  if (raw.length > INT_CHARS || !/^-?(0|[1-9][0-9]*)$/.test(raw)) return false;
  const v = BigInt(raw);
  const [lo, hi] = BITS[bits] ?? BITS[64] ?? [0n, 0n];
  return v >= lo && v <= hi;
}

/** strconv.ParseUint: no sign at all (not even -0). */
function uintOk(raw: string, bits: number): boolean {
  return raw.length <= INT_CHARS && /^(0|[1-9][0-9]*)$/.test(raw) && BigInt(raw) <= UMAX(bits);
}

/** A map key of an integer map: ParseInt/ParseUint of the key string (a sign and leading zeros allowed). */
function keyOk(key: string, kind: string): boolean {
  const m = /^(int|uint)(\d+)$/.exec(kind);
  if (!m) return true;
  const bits = Number(m[2]);
  // Leading zeros are allowed here: strip them before the length bound.
  const digits = key.replace(/^([+-]?)0+(?=\d)/, '$1');
  if (digits.length > INT_CHARS) return false;
  if (m[1] === 'int') {
    if (!/^[+-]?[0-9]+$/.test(digits)) return false;
    const v = BigInt(digits.replace(/^\+/, ''));
    const [lo, hi] = BITS[bits] ?? BITS[64] ?? [0n, 0n];
    return v >= lo && v <= hi;
  }
  return /^[0-9]+$/.test(digits) && BigInt(digits) <= UMAX(bits);
}

/** 2^128 − 2^103: the least magnitude strconv.ParseFloat(s, 32) rounds to infinity (and refuses). */
const F32_LIMIT = 340282356779733661637539395458142568448n;

/** strconv.ParseFloat(raw, bits): in range after rounding once, to the target width. */
function floatOk(raw: string, bits: number): boolean {
  const v = Number(raw);
  if (!Number.isFinite(v)) return false;
  if (bits !== 32) return true;
  // Rounding to a double first and then to a float32 rounds twice: decide near the limit on the exact decimal.
  const a = Math.abs(v);
  if (a < 3.4028235677973362e38) return true;
  if (a > 3.402823567797337e38) return false;
  const m = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(raw);
  if (!m) return false;
  const digits = `${m[1] ?? ''}${m[2] ?? ''}`;
  const exp = Number(m[3] ?? 0) - (m[2]?.length ?? 0);
  // digits × 10^exp < F32_LIMIT, exactly
  const n = BigInt(digits);
  return exp >= 0 ? n * 10n ** BigInt(exp) < F32_LIMIT : n < F32_LIMIT * 10n ** BigInt(-exp);
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** time.Parse(time.RFC3339) of the string's raw bytes (escapes are not unescaped by time.Time.UnmarshalJSON). */
function timeOk(l: { v: string; escaped: boolean }): boolean {
  if (l.escaped) return false;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/.exec(l.v);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && !leap ? 28 : (DAYS[mo - 1] ?? 31)) || h > 23 || mi > 59 || s > 59) return false;
  return m[8] === 'Z' || (Number(m[9]) < 24 && Number(m[10]) < 60);
}

/** base64.StdEncoding.DecodeString: padded, CR and LF ignored. */
function base64Ok(s: string): boolean {
  const t = s.replace(/[\r\n]/g, '');
  return t.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(t);
}

const seg = (key: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);

type Struct = Extract<SchemaNode, { k: 'struct' }>;
type Dispatch = Extract<SchemaNode, { k: 'dispatch' }>;

/** Go's field lookup for a struct: exact first, else the first case-insensitive match. Built once per struct. */
const FIELDS = new WeakMap<Struct, { exact: Map<string, SchemaField>; folded: Map<string, SchemaField> }>();
function fieldOf(t: Struct, key: string): SchemaField | undefined {
  let f = FIELDS.get(t);
  if (!f) {
    f = { exact: new Map(), folded: new Map() };
    for (const x of t.fields) {
      f.exact.set(x.key, x);
      if (!f.folded.has(goFold(x.key))) f.folded.set(goFold(x.key), x);
    }
    FIELDS.set(t, f);
  }
  return f.exact.get(key) ?? f.folded.get(goFold(key));
}

const Q = 0x22;
const BS = 0x5c;

/**
 * One pass over the text, parsing and judging at once: nothing of the value
 * is built (a 50 MB config.json costs its own size, not ten times it). A
 * syntax error anywhere wins over a type verdict, as in Go, which checks the
 * whole value's syntax before it decodes anything; of the type verdicts the
 * first in document order is kept, as Go keeps its first UnmarshalTypeError.
 */
class TextChecker {
  i = 0;
  verdict: Verdict | null = null;
  unknown: UnknownKey[] = [];
  /** The path to the value being read, as segments: built into text only when needed. */
  private readonly segs: (string | number)[] = [];
  constructor(
    private readonly s: string,
    private readonly set: SchemaSet,
    private readonly collectUnknown: boolean,
  ) {}

  private fail(what: string): never {
    throw new LitSyntaxError(this.i >= this.s.length ? 'unexpected end of JSON input' : `${what} at offset ${this.i}`, this.i);
  }

  /** The path so far (-1: without its last segment), plus `extra`. */
  private path(extra?: string | number): string {
    const segs = extra === -1 ? this.segs.slice(0, -1) : extra === undefined ? this.segs : [...this.segs, extra];
    let p = '';
    for (const x of segs) p += typeof x === 'number' ? `[${x}]` : seg(x);
    return p;
  }

  private bad(message: string, extra?: string | number): void {
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
  private str(want: boolean): { v: string; escaped: boolean } {
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
  private num(): string {
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

  private word(w: string): void {
    if (!this.s.startsWith(w, this.i)) this.fail('invalid character');
    this.i += w.length;
  }

  /** What the value at i is, for a message, reading past it. */
  private describe(depth: number): string {
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

  private mismatch(want: string, depth: number): void {
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

  private colon(): void {
    this.ws();
    if (this.s.charCodeAt(this.i) !== 0x3a) this.fail("expected ':'");
    this.i++;
  }

  /** After a member or element: true at the closing bracket, false at a comma. */
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

  private isNull(): boolean {
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
  value(t: SchemaNode, depth: number): void {
    if (depth > LIT_MAX_DEPTH) this.fail(`nested deeper than ${LIT_MAX_DEPTH} levels`);
    this.ws();
    if (this.i >= this.s.length) this.fail('unexpected end');
    // Once a verdict is in, the rest is only read for its syntax.
    if (this.verdict && !this.collectUnknown) return this.skip(depth, false);
    const c = this.s.charCodeAt(this.i);
    switch (t.k) {
      case 'ref': {
        const to = this.set.types[t.to];
        return to ? this.value(to, depth) : this.skip(depth, false);
      }
      case 'ptr':
        return this.isNull() ? undefined : this.value(t.of, depth);
      case 'string':
      case 'text':
        if (c === Q) this.str(false);
        else if (!this.isNull()) this.mismatch('a string', depth);
        return;
      case 'bool':
        if (c === 0x74) this.word('true');
        else if (c === 0x66) this.word('false');
        else if (!this.isNull()) this.mismatch('true or false', depth);
        return;
      case 'int':
      case 'uint':
      case 'float': {
        if (this.isNull()) return;
        const want = t.k === 'int' ? `an integer (int${t.bits})` : t.k === 'uint' ? `an unsigned integer (uint${t.bits})` : `a number (float${t.bits})`;
        if (c !== 0x2d && !(c >= 0x30 && c <= 0x39)) return this.mismatch(want, depth);
        const raw = this.num();
        const ok = t.k === 'int' ? intOk(raw, t.bits) : t.k === 'uint' ? uintOk(raw, t.bits) : floatOk(raw, t.bits);
        if (!ok) this.bad(`want ${want}, got ${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}`);
        return;
      }
      case 'time':
      case 'ip': {
        if (this.isNull()) return;
        const want = t.k === 'time' ? 'an RFC 3339 time' : 'an IP address';
        if (c !== Q) return this.mismatch(want, depth);
        const str = this.str(true);
        const ok = t.k === 'time' ? timeOk(str) : str.v === '' || (isIP(str.v) !== 0 && !str.v.includes('%'));
        if (!ok) this.bad(`want ${want}, got ${JSON.stringify(str.v.length > 40 ? `${str.v.slice(0, 40)}…` : str.v)}`);
        return;
      }
      case 'bytes':
        if (this.isNull()) return;
        if (c === Q) {
          const v = this.str(true).v;
          if (!base64Ok(v)) this.bad(`want base64, got ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`);
          return;
        }
        if (c === 0x5b) return this.elements(depth, null, { k: 'uint', bits: 8 });
        return this.mismatch('base64', depth);
      case 'raw':
        return this.skip(depth, false);
      case 'any':
        return this.skip(depth, true);
      case 'iface':
      case 'func':
        if (!this.isNull()) this.mismatch('null (an interface Go cannot fill)', depth);
        return;
      case 'slice':
      case 'array':
        if (this.isNull()) return;
        if (c !== 0x5b) return this.mismatch('an array', depth);
        return this.elements(depth, t.k === 'array' ? t.len : null, t.of);
      case 'map':
        if (this.isNull()) return;
        if (c !== 0x7b) return this.mismatch('an object', depth);
        return this.members((key) => {
          if (!keyOk(key, t.key)) this.bad(`want a key that is ${t.key.startsWith('u') ? 'an unsigned' : 'an'} integer (${t.key}), got ${JSON.stringify(key)}`);
          this.value(t.of, depth + 1);
        });
      case 'struct':
        if (this.isNull()) {
          if (t.nullable === false) this.bad('want an object, got null');
          return;
        }
        if (c !== 0x7b) return this.mismatch('an object', depth);
        return this.struct(t, depth);
      case 'dispatch':
        // null decodes to the zero value: no Type, which the loader does not know.
        if (this.isNull()) {
          if (t.unknown !== 'skip') this.bad(`want one of ${Object.keys(t.cases).join(', ')}, got none`, t.field);
          return;
        }
        if (c !== 0x7b) return this.mismatch('an object', depth);
        return this.dispatch(t, depth);
    }
  }

  /** An array's elements, each judged against `of`; a Go array takes the first `len` and skips the rest. */
  private elements(depth: number, len: number | null, of: SchemaNode): void {
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return;
    }
    for (let n = 0; ; n++) {
      this.segs.push(n);
      if (len === null || n < len) this.value(of, depth + 1);
      else this.skip(depth + 1, false);
      this.segs.pop();
      if (this.next(0x5d)) return;
    }
  }

  /** An object's members: `each` reads the value of each key (the key is on the path meanwhile). */
  private members(each: (key: string) => void): void {
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

  private struct(t: Struct, depth: number): void {
    const required = t.fields.some((f) => f.required) ? new Set<SchemaField>() : null;
    // Fields a loader holds as json.RawMessage and decodes afterwards: only their last occurrence counts.
    const last = t.fields.some((f) => f.lastOnly) ? new Map<SchemaField, { at: number; key: string }>() : null;
    this.members((key) => {
      const f = fieldOf(t, key);
      if (!f) {
        if (this.collectUnknown) this.unknown.push({ path: this.path(-1), key });
        return this.skip(depth + 1, false);
      }
      required?.add(f);
      if (f.lastOnly && last) {
        this.ws();
        last.set(f, { at: this.i, key });
        return this.skip(depth + 1, false);
      }
      this.value(f.t, depth + 1);
    });
    if (required) for (const f of t.fields) if (f.required && !required.has(f)) this.bad(`want ${JSON.stringify(f.key)}, which the runtime's loader requires`);
    if (last?.size) {
      const end = this.i;
      for (const [f, { at, key }] of last) {
        this.i = at;
        this.segs.push(key);
        this.value(f.t, depth + 1);
        this.segs.pop();
      }
      this.i = end;
    }
  }

  /**
   * An object whose payload's type is named by another key (devices' Data by
   * Type): the last of each, as Go keeps it; the payload is judged once the
   * whole object has been read.
   */
  private dispatch(t: Dispatch, depth: number): void {
    // The type key is a string field: every occurrence is decoded (a non-string fails, null changes
    // nothing, the last string counts); the payload is a json.RawMessage: its last occurrence counts.
    let name: string | undefined;
    let data: { at: number } | undefined;
    const others: string[] = [];
    const field = goFold(t.field);
    const payload = goFold(t.payload);
    let bad = false;
    this.members((key) => {
      this.ws();
      const k = key === t.field || key === t.payload ? key : goFold(key);
      if (k === t.field || k === field) {
        if (this.s.charCodeAt(this.i) === Q) name = this.str(true).v;
        else if (!this.isNull()) {
          this.mismatch('a string', depth + 1);
          bad = true;
        }
        return;
      }
      if (k === t.payload || k === payload) data = { at: this.i };
      else others.push(key);
      this.skip(depth + 1, false);
    });
    if (bad) return;
    const end = this.i;
    const type = name !== undefined;
    name ??= '';
    const target = t.cases[name];
    if (!target) {
      if (t.unknown !== 'skip') this.bad(`want one of ${Object.keys(t.cases).join(', ')}, got ${type ? JSON.stringify(name) : 'none'}`, t.field);
      this.i = end;
      return;
    }
    if (!data) {
      if (t.payloadRequired) this.bad(`want ${JSON.stringify(t.payload)}, which the runtime's loader requires`);
      this.i = end;
      return;
    }
    if (this.collectUnknown) for (const k of others) this.unknown.push({ path: this.path(), key: k });
    this.i = data.at;
    this.segs.push(t.payload);
    this.value(target, depth + 1);
    this.segs.pop();
    this.i = end;
  }
}

/**
 * The string a top-level key holds (Go's key matching; the last of
 * duplicates), read without building the document: undefined when absent,
 * not a string, or the text is no JSON object.
 */
export function topLevelString(text: string, key: string): string | undefined {
  const c = new TextChecker(text, { source: { repo: '', ref: '', commit: '', deps: {} }, items: {}, types: {}, origin: {}, warnings: [] }, false);
  try {
    return c.topString(key);
  } catch (e) {
    if (e instanceof LitSyntaxError) return undefined;
    throw e;
  }
}

export interface ValidateResult {
  verdict: Verdict | null;
  unknown: UnknownKey[];
  /** The offset after the value read (the first value, for `decode` items). */
  end: number;
}

/**
 * Check `text` as the runtime's loader for `item` would read it, in one pass
 * that builds nothing. A syntax error is a verdict at the top; `decode`
 * items are read up to the end of their first value, as json.Decoder.Decode
 * does (what follows is never looked at).
 */
export function validateText(set: SchemaSet, item: SchemaItem, text: string, collectUnknown = false): ValidateResult {
  const c = new TextChecker(text, set, collectUnknown);
  try {
    c.ws();
    if (c.i >= text.length) throw new LitSyntaxError(text.length ? 'unexpected end of JSON input' : 'empty input', c.i);
    c.value(item.t, 0);
    const end = c.i;
    if (item.decoder === 'unmarshal') {
      c.ws();
      if (c.i < text.length) throw new LitSyntaxError(`invalid character after the top-level value at offset ${c.i}`, c.i);
    }
    return { verdict: c.verdict, unknown: c.unknown, end };
  } catch (e) {
    if (!(e instanceof LitSyntaxError)) throw e;
    return { verdict: { path: '', message: `not JSON the runtime can read (${e.message})`, syntax: true }, unknown: [], end: 0 };
  }
}

/** `.a.b: want …` — one line for a message. */
/** A path as jq writes it: `.` for the whole document, `.[0].Data`, `.Config["a-b"]`. */
export const jqPath = (p: string): string => (p === '' ? '.' : p.startsWith('[') ? `.${p}` : p);
/** Where an unknown key is, as a jq path. */
export const keyPath = (u: UnknownKey): string => jqPath(`${u.path}${seg(u.key)}`);
export const verdictText = (v: Verdict): string => `${jqPath(v.path)}: ${v.message}`;
