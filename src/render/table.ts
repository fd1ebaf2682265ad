// Tables through cli-table3, loaded only by the commands that draw one.
import type { Paint } from './paint.js';
import { interop } from '../interop.js';

export async function table(head: string[], rows: string[][], paint: Paint): Promise<string> {
  const { default: Table } = interop(await import('cli-table3'));
  const t = new Table({
    head: head.map((h) => paint.bold(h)),
    style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 2 },
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
      bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '',
      right: '', 'right-mid': '', middle: '',
    },
  });
  for (const r of rows) t.push(r);
  return t
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}
