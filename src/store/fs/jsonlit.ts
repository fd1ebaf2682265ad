// JSON as Go's encoding/json sees it, for validating items against the
// runtime's types: numbers kept as their literal text (a Go int rejects
// `1.0` and `1e3`, and takes integers past 2^53 exactly), every occurrence of
// a duplicate key kept (Go decodes each one), and the end of the first value
// known (the persist driver reads only that). JSON.parse does none of this.
import { goFold } from './gojson.js';
import { JsonScanner, LitSyntaxError } from './jsonscan.js';

export type Lit =
  | { t: 'object'; m: [string, Lit][] }
  | { t: 'array'; v: Lit[] }
  | { t: 'string'; v: string; escaped: boolean }
  | { t: 'number'; raw: string }
  | { t: 'bool'; v: boolean }
  | { t: 'null' };

/** The longest a number's literal may run: the literal tree takes the number that fits in this many characters and reads on from there. */
const NUM_WINDOW = 400;

/** The literal tree, built on the scanner (its white space, strings, numbers, depth and errors). */
class LitReader extends JsonScanner {
  value(depth: number): Lit {
    this.enter(depth);
    const c = this.s.charCodeAt(this.i);
    if (c === 0x7b) {
      const m: [string, Lit][] = [];
      if (this.opened(0x7d)) return { t: 'object', m };
      do m.push([this.key(true), this.value(depth + 1)]);
      while (!this.next(0x7d));
      return { t: 'object', m };
    }
    if (c === 0x5b) {
      const v: Lit[] = [];
      if (this.opened(0x5d)) return { t: 'array', v };
      do v.push(this.value(depth + 1));
      while (!this.next(0x5d));
      return { t: 'array', v };
    }
    if (c === 0x22) {
      const { v, escaped } = this.str(true);
      return { t: 'string', v, escaped };
    }
    if (c === 0x74 || c === 0x66) {
      this.word(c === 0x74 ? 'true' : 'false');
      return { t: 'bool', v: c === 0x74 };
    }
    if (c === 0x6e) {
      this.word('null');
      return { t: 'null' };
    }
    // The longest number the grammar allows (within the window); what follows it is for the caller to judge.
    const start = this.i;
    const end = this.lexNum(start + NUM_WINDOW);
    if (end === start) this.fail('invalid character');
    this.i = end;
    return { t: 'number', raw: this.s.slice(start, end) };
  }
}

/**
 * Parse the first JSON value of `text`; `end` is the offset after it.
 * `whole`: anything but whitespace after it is an error (json.Unmarshal);
 * otherwise it is left unread (json.Decoder.Decode).
 */
export function parseLit(text: string, whole: boolean): { value: Lit; end: number } {
  const r = new LitReader(text);
  r.ws();
  if (r.i >= text.length) throw new LitSyntaxError('empty input', 0);
  const value = r.value(0);
  const end = r.i;
  if (whole) r.trailing();
  return { value, end };
}

/** The plain JavaScript value of a literal tree (numbers as JSON.parse reads them; the last of duplicate keys). */
export function litValue(l: Lit): unknown {
  switch (l.t) {
    case 'object': {
      const o: Record<string, unknown> = {};
      // Defined, not assigned: a "__proto__" key is a member like any other (Go's), never the object's prototype.
      for (const [k, v] of l.m) Object.defineProperty(o, k, { value: litValue(v), enumerable: true, writable: true, configurable: true });
      return o;
    }
    case 'array':
      return l.v.map(litValue);
    case 'string':
      return l.v;
    case 'number':
      return Number(l.raw);
    case 'bool':
      return l.v;
    case 'null':
      return null;
  }
}

/** Go's encoding/json string escapes beyond JSON.stringify's: <, >, & and U+2028/U+2029. */
const goString = (s: string) => JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * A literal tree as Go's json.Marshal writes it: compact, numbers exactly as
 * given (an integer past 2^53 stays exact), keys in their order; of an exact
 * duplicate key only the last (the one Go keeps), where it stood.
 */
export function goLit(l: Lit): string {
  switch (l.t) {
    case 'object': {
      const last = new Map<string, number>();
      l.m.forEach(([k], i) => last.set(k, i));
      return `{${l.m
        .filter(([k], i) => last.get(k) === i)
        .map(([k, v]) => `${goString(k)}:${goLit(v)}`)
        .join(',')}}`;
    }
    case 'array':
      return `[${l.v.map(goLit).join(',')}]`;
    case 'string':
      return goString(l.v);
    case 'number':
      return l.raw;
    case 'bool':
      return String(l.v);
    case 'null':
      return 'null';
  }
}

/**
 * A literal tree as text for people and scripts (show): JSON.stringify's
 * escapes and indentation (`indent` 0: compact), but numbers exactly as
 * stored and every member kept, duplicates too: the item as it is.
 */
export function litText(l: Lit, indent = 0, depth = 0): string {
  const pad = indent ? `\n${' '.repeat(indent * (depth + 1))}` : '';
  const end = indent ? `\n${' '.repeat(indent * depth)}` : '';
  const sep = indent ? ': ' : ':';
  switch (l.t) {
    case 'object':
      return l.m.length ? `{${l.m.map(([k, v]) => `${pad}${JSON.stringify(k)}${sep}${litText(v, indent, depth + 1)}`).join(',')}${end}}` : '{}';
    case 'array':
      return l.v.length ? `[${l.v.map((v) => `${pad}${litText(v, indent, depth + 1)}`).join(',')}${end}]` : '[]';
    case 'string':
      return JSON.stringify(l.v);
    case 'number':
      return l.raw;
    case 'bool':
      return String(l.v);
    case 'null':
      return 'null';
  }
}

/**
 * The value of `key` in an object as Go decodes it: every member whose key
 * folds to it is decoded in turn, so the last one counts.
 */
export function litGet(l: Lit, key: string): Lit | undefined {
  if (l.t !== 'object') return undefined;
  const want = goFold(key);
  let found: Lit | undefined;
  for (const [k, v] of l.m) if (k === key || goFold(k) === want) found = v;
  return found;
}

/**
 * An object with `key` set to `value`: one member, where the first member
 * folding to it stood (under that member's spelling), every other one
 * folding to it dropped (the runtime would decode them too); else added last.
 */
export function litSet(l: Lit, key: string, value: Lit): Lit {
  const want = goFold(key);
  const m: [string, Lit][] = [];
  let placed = false;
  for (const [k, v] of l.t === 'object' ? l.m : []) {
    if (k !== key && goFold(k) !== want) m.push([k, v]);
    else if (!placed) {
      m.push([k, value]);
      placed = true;
    }
  }
  if (!placed) m.push([key, value]);
  return { t: 'object', m };
}

/**
 * The first key given twice in one object (fold-equal, as Go matches keys),
 * anywhere in the tree: where, and its first spelling. Go decodes both and
 * keeps the last; in what someone types that is a mistake.
 */
export function litDuplicate(l: Lit, path = ''): { path: string; key: string; first: string } | null {
  if (l.t === 'array') {
    for (const [i, v] of l.v.entries()) {
      const d = litDuplicate(v, `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (l.t !== 'object') return null;
  const seen = new Map<string, string>();
  for (const [k, v] of l.m) {
    const f = goFold(k);
    const first = seen.get(f);
    if (first !== undefined) return { path, key: k, first };
    seen.set(f, k);
    const d = litDuplicate(v, `${path}.${k}`);
    if (d) return d;
  }
  return null;
}
