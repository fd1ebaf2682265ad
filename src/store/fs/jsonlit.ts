// JSON as Go's encoding/json sees it, for validating items against the
// runtime's types: numbers kept as their literal text (a Go int rejects
// `1.0` and `1e3`, and takes integers past 2^53 exactly), every occurrence of
// a duplicate key kept (Go decodes each one), and the end of the first value
// known (the persist driver reads only that). JSON.parse does none of this.
import { goFold } from './gojson.js';

export type Lit =
  | { t: 'o'; m: [string, Lit][] }
  | { t: 'a'; v: Lit[] }
  | { t: 's'; v: string; escaped: boolean }
  | { t: 'n'; raw: string }
  | { t: 'b'; v: boolean }
  | { t: 'z' };

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

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Parse the first JSON value of `text`; `end` is the offset after it.
 * `whole`: anything but whitespace after it is an error (json.Unmarshal);
 * otherwise it is left unread (json.Decoder.Decode).
 */
export function parseLit(text: string, whole: boolean): { value: Lit; end: number } {
  let i = 0;
  const n = text.length;
  const fail = (what: string): never => {
    throw new LitSyntaxError(i >= n ? 'unexpected end of JSON input' : `${what} at offset ${i}`, i);
  };
  const ws = () => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };
  const str = (): { v: string; escaped: boolean } => {
    const start = ++i; // past the quote
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
  const value = (depth: number): Lit => {
    if (depth > LIT_MAX_DEPTH) fail(`nested deeper than ${LIT_MAX_DEPTH} levels`);
    ws();
    if (i >= n) fail('unexpected end');
    const c = text[i];
    if (c === '{') {
      i++;
      const m: [string, Lit][] = [];
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
      const v: Lit[] = [];
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

/** The plain JavaScript value of a literal tree (numbers as JSON.parse reads them; the last of duplicate keys). */
export function litValue(l: Lit): unknown {
  switch (l.t) {
    case 'o': {
      const o: Record<string, unknown> = {};
      for (const [k, v] of l.m) o[k] = litValue(v);
      return o;
    }
    case 'a':
      return l.v.map(litValue);
    case 's':
      return l.v;
    case 'n':
      return Number(l.raw);
    case 'b':
      return l.v;
    case 'z':
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
    case 'o': {
      const last = new Map<string, number>();
      l.m.forEach(([k], i) => last.set(k, i));
      return `{${l.m
        .filter(([k], i) => last.get(k) === i)
        .map(([k, v]) => `${goString(k)}:${goLit(v)}`)
        .join(',')}}`;
    }
    case 'a':
      return `[${l.v.map(goLit).join(',')}]`;
    case 's':
      return goString(l.v);
    case 'n':
      return l.raw;
    case 'b':
      return String(l.v);
    case 'z':
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
    case 'o':
      return l.m.length ? `{${l.m.map(([k, v]) => `${pad}${JSON.stringify(k)}${sep}${litText(v, indent, depth + 1)}`).join(',')}${end}}` : '{}';
    case 'a':
      return l.v.length ? `[${l.v.map((v) => `${pad}${litText(v, indent, depth + 1)}`).join(',')}${end}]` : '[]';
    case 's':
      return JSON.stringify(l.v);
    case 'n':
      return l.raw;
    case 'b':
      return String(l.v);
    case 'z':
      return 'null';
  }
}

/**
 * The value of `key` in an object as Go decodes it: every member whose key
 * folds to it is decoded in turn, so the last one counts.
 */
export function litGet(l: Lit, key: string): Lit | undefined {
  if (l.t !== 'o') return undefined;
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
  for (const [k, v] of l.t === 'o' ? l.m : []) {
    if (k !== key && goFold(k) !== want) m.push([k, v]);
    else if (!placed) {
      m.push([k, value]);
      placed = true;
    }
  }
  if (!placed) m.push([key, value]);
  return { t: 'o', m };
}

/**
 * The first key given twice in one object (fold-equal, as Go matches keys),
 * anywhere in the tree: where, and its first spelling. Go decodes both and
 * keeps the last; in what someone types that is a mistake.
 */
export function litDuplicate(l: Lit, path = ''): { path: string; key: string; first: string } | null {
  if (l.t === 'a') {
    for (const [i, v] of l.v.entries()) {
      const d = litDuplicate(v, `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (l.t !== 'o') return null;
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
