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

// The one duration parser (--wait, --stuck-after, --older-than, --every) lives with the option defaults: the
// CLI wiring needs it before any core is loaded.
export { parseDuration } from '../../defaults.js';

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
