// Ages, durations and sizes in the words operators read them in: "3h", "2d"
// (as kubectl and crictl print ages), "1.5 MiB". Shared by the core's
// messages and the renderers.

/** One unit, as kubectl prints an age: 45s, 12m, 5h, 3d, 2y. */
export function humanAge(secs: number): string {
  if (!Number.isFinite(secs) || secs < 0) return '?';
  if (secs < 120) return `${Math.floor(secs)}s`;
  const m = secs / 60;
  if (m < 120) return `${Math.floor(m)}m`;
  const h = m / 60;
  if (h < 48) return `${Math.floor(h)}h`;
  const d = h / 24;
  if (d < 730) return `${Math.floor(d)}d`;
  return `${Math.floor(d / 365)}y`;
}

/** Seconds since an RFC 3339 time, or null. */
export function ageSecs(rfc3339: string | null, now = Date.now()): number | null {
  if (rfc3339 === null) return null;
  const t = Date.parse(rfc3339);
  return Number.isFinite(t) ? Math.max(0, (now - t) / 1000) : null;
}

const UNIT_SECS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * A duration as Go writes one, with days and weeks too: 90s, 10m, 1h30m,
 * 2d, 1.5h; a bare number is seconds. Null when it is none.
 */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(t)) return null;
  let secs = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) secs += Number(m[1]) * (UNIT_SECS[m[2] ?? 's'] ?? 1);
  return secs;
}

/** Bytes in one style everywhere: 512 B, 3.2 KiB, 1.5 MiB, 2.0 GiB. */
export function humanSize(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
