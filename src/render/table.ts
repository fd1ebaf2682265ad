// Tables through cli-table3, loaded only by the commands that draw one.
// cli-table3 checks every cell against the cells before it for span
// conflicts, which is quadratic in rows; so a long table is drawn in chunks
// of rows with column widths fixed for the whole table, and reads as one.
import type { Paint } from './paint.js';

const CHUNK = 100;
const PAD = 2;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Display width: ANSI colour codes take no room; one column a code point. */
export function visibleWidth(s: string): number {
  let n = 0;
  for (const _ of s.replace(ANSI, '')) n++;
  return n;
}

const BORDERLESS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '',
};

export async function table(head: string[], rows: string[][], paint: Paint): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const colWidths = head.map((h, i) => Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i] ?? ''))) + PAD);
  const style = { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': PAD };
  const out: string[] = [];
  for (let i = 0; i === 0 || i < rows.length; i += CHUNK) {
    const t = new Table({ head: i === 0 ? head.map((h) => paint.bold(h)) : [], colWidths, style, chars: BORDERLESS, wordWrap: false });
    for (const r of rows.slice(i, i + CHUNK)) t.push(r);
    out.push(t.toString());
  }
  return out
    .join('\n')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l, i) => l !== '' || i === 0)
    .join('\n');
}

/**
 * The same borderless layout as table() (each column as wide as its widest
 * cell plus two spaces, trailing spaces cut), written directly: cli-table3
 * merges its options into every cell, 0.1 ms a cell, which a listing of
 * 10,000 sandboxes cannot afford. Used for ls; cli-table3 stays where tables
 * are short (check, uuid). A test keeps the two byte for byte alike.
 */
export function columns(head: string[], rows: string[][], paint: Paint): string {
  const widths = head.map((h) => visibleWidth(h));
  const rowWidths = rows.map((r) => r.map((c) => visibleWidth(c)));
  for (const w of rowWidths) w.forEach((n, i) => (widths[i] = Math.max(widths[i] ?? 0, n)));
  const line = (cells: string[], w: number[]) => {
    let out = '';
    cells.forEach((c, i) => (out += i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) + PAD - (w[i] ?? 0))));
    return out.trimEnd();
  };
  const out = [
    line(
      head.map((h) => paint.bold(h)),
      head.map((h) => visibleWidth(h)),
    ),
  ];
  rows.forEach((r, i) => out.push(line(r, rowWidths[i] ?? [])));
  return out.join('\n');
}
