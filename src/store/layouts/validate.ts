// Does the runtime load this item? The generated schemas (the Go types each
// item is decoded into) checked the way encoding/json decodes: keys matched
// exactly, then as Go folds them, unknown keys ignored; null a no-op for
// anything but a pointer, slice, map or interface; integers only as integer
// literals in range, unsigned never negative; time.Time an RFC 3339 string;
// net.IP a string it parses; []byte base64 or an array of bytes; map keys of
// integer maps decimal integers in range (go-values.ts). The first problem
// is returned, with its JSON path and what was wanted.
import { goFold } from '../fs/gojson.js';
import { JsonScanner, LitSyntaxError, seg, type Verdict } from '../fs/jsonscan.js';
import { base64Ok, floatOk, intOk, ipOk, keyOk, timeOk, uintOk } from './go-values.js';
import type { SchemaField, SchemaItem, SchemaNode, SchemaSet } from './schema-types.js';

export type { Verdict } from '../fs/jsonscan.js';
export { topLevelString } from '../fs/jsonscan.js';

/** A key of an object that no field of its Go struct takes: the runtime drops it. */
export interface UnknownKey {
  path: string;
  key: string;
}

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

/**
 * One pass over the text, parsing and judging at once: nothing of the value
 * is built (a 50 MB config.json costs its own size, not ten times it). A
 * syntax error anywhere wins over a type verdict, as in Go, which checks the
 * whole value's syntax before it decodes anything; of the type verdicts the
 * first in document order is kept, as Go keeps its first UnmarshalTypeError.
 */
class TextChecker extends JsonScanner {
  unknown: UnknownKey[] = [];
  /** The string the top-level object's `topKey` member holds, as topLevelString gives it. */
  top: string | undefined;
  private readonly topFolded: string | undefined;
  constructor(
    s: string,
    private readonly set: SchemaSet,
    private readonly collectUnknown: boolean,
    private readonly topKey?: string,
  ) {
    super(s);
    this.topFolded = topKey === undefined ? undefined : goFold(topKey);
  }

  /**
   * The top-level object's members also give `topKey`'s string on the way,
   * exactly as topString reads it (Go's key matching, each member in turn:
   * the last string counts, null changes nothing, anything else unsets it),
   * so the text is scanned once. The value itself is then judged as usual.
   */
  protected override members(each: (key: string) => void): void {
    const want = this.topKey;
    if (want === undefined || this.segs.length > 0) return super.members(each);
    super.members((key) => {
      if (key === want || goFold(key) === this.topFolded) {
        this.ws();
        const at = this.i;
        if (this.s.charCodeAt(at) === Q) {
          this.top = this.str(true).v;
          this.i = at;
        } else if (!this.s.startsWith('null', at)) this.top = undefined;
      }
      each(key);
    });
  }

  value(t: SchemaNode, depth: number): void {
    this.enter(depth);
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
        const ok = t.k === 'time' ? timeOk(str) : ipOk(str.v);
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
    if (this.opened(0x5d)) return;
    for (let n = 0; ; n++) {
      this.segs.push(n);
      if (len === null || n < len) this.value(of, depth + 1);
      else this.skip(depth + 1, false);
      this.segs.pop();
      if (this.next(0x5d)) return;
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

export interface ValidateResult {
  verdict: Verdict | null;
  unknown: UnknownKey[];
  /** The offset after the value read (the first value, for `decode` items). */
  end: number;
  /**
   * With `topKey`: the string the top-level object's member of that key holds
   * (Go's key matching, the last of duplicates), what topLevelString(text,
   * topKey) gives: undefined when absent, not a string, the value is no
   * object, or the value itself is not JSON (what follows it is not looked at).
   */
  top?: string;
}

/**
 * Check `text` as the runtime's loader for `item` would read it, in one pass
 * that builds nothing. A syntax error is a verdict at the top; `decode`
 * items are read up to the end of their first value, as json.Decoder.Decode
 * does (what follows is never looked at).
 */
export function validateText(set: SchemaSet, item: SchemaItem, text: string, collectUnknown = false, topKey?: string): ValidateResult {
  const c = new TextChecker(text, set, collectUnknown, topKey);
  // The top-level value read to its end: a syntax error after it (trailing bytes) keeps `top`, one inside it does not.
  let whole = false;
  try {
    c.ws();
    if (c.i >= text.length) throw new LitSyntaxError(text.length ? 'unexpected end of JSON input' : 'empty input', c.i);
    c.value(item.t, 0);
    whole = true;
    const end = c.i;
    if (item.decoder === 'unmarshal') c.trailing();
    return { verdict: c.verdict, unknown: c.unknown, end, ...(c.top === undefined ? {} : { top: c.top }) };
  } catch (e) {
    if (!(e instanceof LitSyntaxError)) throw e;
    return {
      verdict: { path: '', message: `not JSON the runtime can read (${e.message})`, syntax: true },
      unknown: [],
      end: 0,
      ...(whole && c.top !== undefined ? { top: c.top } : {}),
    };
  }
}

/** `.a.b: want …` — one line for a message. */
/** A path as jq writes it: `.` for the whole document, `.[0].Data`, `.Config["a-b"]`. */
export const jqPath = (p: string): string => (p === '' ? '.' : p.startsWith('[') ? `.${p}` : p);
/** Where an unknown key is, as a jq path. */
export const keyPath = (u: UnknownKey): string => jqPath(`${u.path}${seg(u.key)}`);
export const verdictText = (v: Verdict): string => `${jqPath(v.path)}: ${v.message}`;
