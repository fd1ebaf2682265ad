// Tables through cli-table3, loaded only by the commands that draw one.
// cli-table3 checks every cell against the cells before it for span
// conflicts, which is quadratic in rows; so a long table is drawn in chunks
// of rows with column widths fixed for the whole table, and reads as one.
//
// On a terminal a table is cut to its width first (fitTable): the widest
// columns lose their ends to a '…', a row is never wrapped. Off a terminal,
// under --no-trunc and -o wide, nothing is cut (scripts read every byte).
import type { Paint } from './paint.js';

const CHUNK = 100;
const PAD = 2;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
// eslint-disable-next-line no-control-regex
const TOKEN = /\u001b\[[0-9;]*m|[\s\S]/gu;
const PLAIN = /^[\x20-\x7e]*$/;
const ZERO = /^[\p{Mn}\p{Me}\u200b-\u200d\u2060\ufeff]$/u;
const EMOJI = /^\p{Emoji_Presentation}$/u;

/** Columns one character takes on a terminal: 0 for combining marks and zero-width characters, 2 for wide (East Asian, emoji), else 1. */
function charWidth(ch: string): number {
  const c = ch.codePointAt(0) ?? 0;
  if (c < 0x300) return 1;
  if (ZERO.test(ch) || (c >= 0x1160 && c <= 0x11ff)) return 0;
  // East Asian Wide and Fullwidth, as the string-width cli-table3 pads by has them.
  if (
    c >= 0x1100 &&
    (c <= 0x115f ||
      c === 0x2329 ||
      c === 0x232a ||
      (c >= 0x2e80 && c <= 0x3247 && c !== 0x303f) ||
      (c >= 0x3250 && c <= 0x4dbf) ||
      (c >= 0x4e00 && c <= 0xa4c6) ||
      (c >= 0xa960 && c <= 0xa97c) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe10 && c <= 0xfe19) ||
      (c >= 0xfe30 && c <= 0xfe6b) ||
      (c >= 0xff01 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x1b000 && c <= 0x1b001) ||
      (c >= 0x1f200 && c <= 0x1f251) ||
      (c >= 0x20000 && c <= 0x3fffd))
  )
    return 2;
  return EMOJI.test(ch) ? 2 : 1;
}

/** Display width on a terminal: ANSI colour codes take no room, wide characters two columns, combining marks none. */
export function visibleWidth(s: string): number {
  if (s.includes('\u001b')) s = s.replace(ANSI, '');
  if (PLAIN.test(s)) return s.length;
  let n = 0;
  for (const ch of s) n += charWidth(ch);
  return n;
}

/**
 * `s` cut to at most `width` columns: its start, then `mark` ('…'). Colour
 * codes take no room and all are kept, so a cut inside a coloured span still
 * ends it; a wide character that would cross the edge goes whole.
 */
export function cut(s: string, width: number, mark = '…'): string {
  if (visibleWidth(s) <= width) return s;
  const room = Math.max(0, width - visibleWidth(mark));
  let out = '';
  let n = 0;
  let done = false;
  for (const [t] of s.matchAll(TOKEN)) {
    if (t.length > 1 && t.startsWith('\u001b')) out += t;
    else if (!done) {
      const w = charWidth(t);
      if (n + w > room) {
        out += mark;
        done = true;
      } else {
        out += t;
        n += w;
      }
    }
  }
  return out;
}

/** A line cut to the terminal's width (undefined: not cut). */
export function fitLine(line: string, width: number | undefined): string {
  return width === undefined ? line : cut(line, width);
}

/** How a column may be cut to fit a terminal. */
export interface Col {
  /** Cells may be cut (with a '…') down to this many columns; absent: never cut. */
  min?: number;
  /** An ID: cut to its first 12 characters, as ls and crictl print short IDs (no mark), never shorter. */
  id?: boolean;
  /** A shorter header for when the column is cut narrower than its own (CONTAINERS: CTRS). */
  short?: string;
}

/** The length of a short ID (ls, crictl). */
export const SHORT_ID = 12;

/**
 * Column widths for a line of at most `budget` columns (the padding between
 * columns left out): the widest are cut first, to one width, never below their
 * floor. Floors that do not fit: the floors (the line is as short as it may be).
 */
function fill(want: number[], floor: number[], budget: number): number[] {
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  if (sum(want) <= budget) return [...want];
  if (sum(floor) >= budget) return [...floor];
  const at = (cap: number) => want.map((w, i) => Math.max(floor[i] ?? 0, Math.min(w, cap)));
  // The widest cap that fits: sum(at(cap)) grows with cap; at(0) is the floors, which fit.
  let lo = 0;
  let hi = Math.max(...want);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (sum(at(mid)) <= budget) lo = mid;
    else hi = mid - 1;
  }
  const widths = at(lo);
  // What is left (less than one column each) goes to the cut columns, left to right.
  let left = budget - sum(widths);
  for (let i = 0; i < widths.length && left > 0; i++)
    if ((widths[i] ?? 0) < (want[i] ?? 0) && (widths[i] ?? 0) === lo) {
      widths[i] = lo + 1;
      left--;
    }
  return widths;
}

/**
 * A table cut to `width` columns, laid out as table() and columns() lay it
 * out (two spaces between columns, trailing spaces cut): the widest cuttable
 * columns lose their ends to a '…' until no row is wider, IDs are never cut
 * below their first 12 characters, a column narrower than its header shows
 * its short header (or the header cut). `width` undefined (off a terminal,
 * --no-trunc, -o wide): the table as it is. Where even the floors do not fit
 * (a terminal narrower than the columns never cut), rows stay as short as
 * they may be, and table() and columns() cut each line at the width. `head`
 * empty: rows without a header.
 */
export function fitTable(head: string[], rows: string[][], width: number | undefined, cols: readonly Col[] = []): { head: string[]; rows: string[][] } {
  if (width === undefined) return { head, rows };
  const n = rows.reduce((m, r) => Math.max(m, r.length), head.length);
  if (n === 0) return { head, rows };
  const cellMax: number[] = new Array<number>(n).fill(0);
  for (const r of rows) r.forEach((c, i) => (cellMax[i] = Math.max(cellMax[i] ?? 0, visibleWidth(c))));
  const headW = Array.from({ length: n }, (_, i) => visibleWidth(head[i] ?? ''));
  const full = cellMax.map((c, i) => Math.max(c, headW[i] ?? 0));
  // Once cut at all, a column needs no more than its cells and its short header.
  const shortW = cellMax.map((c, i) => {
    const col = cols[i] ?? {};
    if (col.id) return Math.min(full[i] ?? 0, Math.max(SHORT_ID, col.short === undefined ? 0 : visibleWidth(col.short)));
    return col.short === undefined ? (full[i] ?? 0) : Math.min(full[i] ?? 0, Math.max(c, visibleWidth(col.short)));
  });
  const floor = full.map((w, i) => {
    const col = cols[i] ?? {};
    if (col.id) return shortW[i] ?? w;
    if (col.min === undefined) return shortW[i] ?? w;
    return Math.min(shortW[i] ?? w, Math.max(1, col.min));
  });
  const budget = width - PAD * (n - 1);
  const want = [...full];
  // What costs nothing first: headers wider than their cells take their short
  // form, the biggest saving first, until the table fits.
  const lossless = full.map((_, i) => i).filter((i) => !cols[i]?.id && (shortW[i] ?? 0) < (full[i] ?? 0));
  lossless.sort((a, b) => (full[b] ?? 0) - (shortW[b] ?? 0) - ((full[a] ?? 0) - (shortW[a] ?? 0)));
  for (const i of lossless) if (want.reduce((x, y) => x + y, 0) > budget) want[i] = shortW[i] ?? 0;
  let widths = fill(want, floor, budget);
  // A column cut below its full width needs only its short width (an ID its 12
  // characters): give what that frees to the others, until nothing changes.
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 0; i < n; i++)
      if ((widths[i] ?? 0) < (want[i] ?? 0) && (want[i] ?? 0) > (shortW[i] ?? 0)) {
        want[i] = shortW[i] ?? 0;
        changed = true;
      }
    if (changed) widths = fill(want, floor, budget);
  }
  const cutTo = (s: string, i: number) => {
    const w = widths[i] ?? 0;
    if (visibleWidth(s) <= w) return s;
    return cols[i]?.id ? cut(s, Math.max(w, SHORT_ID), '') : cut(s, w);
  };
  return {
    head: head.map((h, i) => {
      const w = widths[i] ?? 0;
      const short = cols[i]?.short;
      if (visibleWidth(h) <= w) return h;
      return short !== undefined && visibleWidth(short) <= w ? short : cut(h, w);
    }),
    rows: rows.map((r) => r.map(cutTo)),
  };
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

/** Where a table is cut to fit: the terminal's width (undefined: not cut) and how each column may be cut. */
export interface Fit {
  width: number | undefined;
  cols?: readonly Col[];
}

export async function table(head: string[], rows: string[][], paint: Paint, fit?: Fit): Promise<string> {
  if (fit) ({ head, rows } = fitTable(head, rows, fit.width, fit.cols));
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
    .map((l) => lastResort(l.trimEnd(), fit))
    .filter((l, i) => l !== '' || i === 0)
    .join('\n');
}

/** Where the columns that are never cut do not fit either (a very narrow terminal), the line loses its end, as ps(1) cuts: never wrapped. */
function lastResort(line: string, fit: Fit | undefined): string {
  return fit?.width === undefined ? line : cut(line, fit.width);
}

/**
 * The same borderless layout as table() (each column as wide as its widest
 * cell plus two spaces, trailing spaces cut), written directly: cli-table3
 * merges its options into every cell, 0.1 ms a cell, which a listing of
 * 10,000 sandboxes cannot afford. Used for ls; cli-table3 stays where tables
 * are short (check, uuid). A test keeps the two byte for byte alike.
 */
export function columns(head: string[], rows: string[][], paint: Paint, fit?: Fit): string {
  if (fit) ({ head, rows } = fitTable(head, rows, fit.width, fit.cols));
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
  return fit?.width === undefined ? out.join('\n') : out.map((l) => lastResort(l, fit)).join('\n');
}
