// Go's rules for scalar values, as encoding/json applies them when it
// decodes a JSON literal into a Go type: strconv's integer and float
// parsing, time.Time's RFC 3339, net.IP's parser, []byte's base64 and the
// integer keys of maps.

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
export function intOk(raw: string, bits: number): boolean {
  if (raw.length > INT_CHARS || !/^-?(0|[1-9][0-9]*)$/.test(raw)) return false;
  const v = BigInt(raw);
  const [lo, hi] = BITS[bits] ?? BITS[64] ?? [0n, 0n];
  return v >= lo && v <= hi;
}

/** strconv.ParseUint: no sign at all (not even -0). */
export function uintOk(raw: string, bits: number): boolean {
  return raw.length <= INT_CHARS && /^(0|[1-9][0-9]*)$/.test(raw) && BigInt(raw) <= UMAX(bits);
}

/** A map key of an integer map: ParseInt/ParseUint of the key string (a sign and leading zeros allowed). */
export function keyOk(key: string, kind: string): boolean {
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
export function floatOk(raw: string, bits: number): boolean {
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
export function timeOk(l: { v: string; escaped: boolean }): boolean {
  if (l.escaped) return false;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/.exec(l.v);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && !leap ? 28 : (DAYS[mo - 1] ?? 31)) || h > 23 || mi > 59 || s > 59) return false;
  return m[8] === 'Z' || (Number(m[9]) < 24 && Number(m[10]) < 60);
}

/** base64.StdEncoding.DecodeString: padded, CR and LF ignored. */
export function base64Ok(s: string): boolean {
  const t = s.replace(/[\r\n]/g, '');
  return t.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(t);
}

/** net.IP's UnmarshalText: empty, or an address ParseIP takes (no zone). */
// node:net is loaded on first use: it brings streams and sockets, which no listing needs.
export const ipOk = (s: string): boolean => s === '' || (process.getBuiltinModule('node:net').isIP(s) !== 0 && !s.includes('%'));
