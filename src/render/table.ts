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
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '',
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
