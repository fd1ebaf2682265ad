// JSON as the runtime's Go code reads and writes it: keys matched
// case-insensitively on read, compact output with Go's HTML escapes on write,
// and `null` wherever Go marshals a nil slice or map.

/**
 * A key as encoding/json compares it with a field's name (Go 1.21+
 * foldName): ASCII letters lower-cased, every other letter by Unicode's
 * simple ToLower(ToUpper(r)), so `ſ` is `s` and the Kelvin sign `K` is `k`.
 * (Runtimes built with Go 1.20 and older folded only those two beyond ASCII.)
 */
export function goFold(s: string): string {
  let ascii = true;
  for (let i = 0; i < s.length; i++)
    if (s.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  if (ascii) return s.toLowerCase();
  let out = '';
  for (const ch of s) {
    if (ch.charCodeAt(0) <= 0x7f) {
      out += ch.toLowerCase();
      continue;
    }
    // JavaScript's mappings are the full ones (ß → SS, İ → i̇); Go's are simple: one rune to one rune.
    let u = ch.toUpperCase();
    if ([...u].length !== 1) u = ch;
    let l = u.toLowerCase();
    if ([...l].length !== 1) l = u === '\u0130' ? 'i' : u;
    out += l;
  }
  return out;
}

/**
 * A field of a parsed object as Go decodes it: every member whose key folds
 * to the name is decoded in turn, so the last one wins (in the object's key
 * order; JSON.parse keeps an exact duplicate at its first place).
 */
export function field(obj: unknown, name: string): unknown {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const rec = obj as Record<string, unknown>;
  const want = goFold(name);
  let found: unknown;
  for (const k of Object.keys(rec)) if (k === name || goFold(k) === want) found = rec[k];
  return found;
}

/** An integer field, or null for anything else (absent, null, a string, a float). */
export function asInt(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) ? v : null;
}

export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Compact JSON as Go's encoding/json writes it: no spaces, no trailing
 * newline, and <, >, &, U+2028, U+2029 escaped as \u003c and friends.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
