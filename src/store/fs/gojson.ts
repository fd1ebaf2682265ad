// JSON as the runtime's Go code reads and writes it: keys matched
// case-insensitively on read, compact output with Go's HTML escapes on write,
// and `null` wherever Go marshals a nil slice or map.

/** Go decodes JSON keys case-insensitively; so do we. */
export function field(obj: unknown, name: string): unknown {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const rec = obj as Record<string, unknown>;
  if (name in rec) return rec[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(rec)) if (k.toLowerCase() === lower) return rec[k];
  return undefined;
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
