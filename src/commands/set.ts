import { closeSync, openSync, readSync } from 'node:fs';
import type { Ctx } from '../context.js';
import type { set, OptsOf } from '../program.js';
import { DEFAULT_WAIT, waitOf } from '../options.js';
import { fromErrno, UsageError } from '../store/fs/errors.js';
import { MAX_ITEM_BYTES } from '../store/fs/read.js';
import { itemOf, parseTarget, requireSandbox } from '../store/inspect/handle.js';
import { setItem } from '../store/ops/edit.js';
import { ProcTable } from '../store/host/procs.js';

type Opts = OptsOf<typeof set>;

/**
 * set SID [CID] ITEM [FILE|-]   or   set SID [CID] [state] --state STATE
 */
export async function run(ctx: Ctx, sid: string, rest: string[], o: Opts): Promise<number> {
  const h = requireSandbox(ctx.roots, sid);
  if (rest.length > 3) throw new UsageError('too many arguments: set SID [CID] ITEM [FILE|-]');
  let cid: string | undefined;
  let item;
  let file: string | undefined;
  if (o.state !== undefined) {
    if (rest.length > 2) throw new UsageError('with --state give at most SID [CID] [state]');
    const t = parseTarget(h, rest[0], rest[1]);
    cid = t.cid;
    item = t.item;
  } else {
    if (rest.length === 0) throw new UsageError('missing ITEM (and FILE, or - for standard input)');
    if (rest.length === 3) {
      const t = parseTarget(h, rest[0], rest[1]);
      [cid, item, file] = [t.cid, t.item, rest[2]];
    } else {
      // SID CID ITEM  or  SID ITEM FILE: an existing container wins.
      const t = parseTarget(h, rest[0]);
      if (t.cid !== undefined) {
        if (rest.length < 2) throw new UsageError(`missing ITEM after container ${t.cid}`);
        [cid, item] = [t.cid, itemOf(h, t.cid, rest[1]!)];
      } else [item, file] = [t.item, rest[1]];
    }
    if (!item) throw new UsageError('missing ITEM');
  }
  const input = o.state === undefined ? readInput(file) : undefined;
  const r = await setItem(h, cid, item, {
    force: o.force,
    dryRun: o.dryRun,
    state: o.state,
    input,
    procs: new ProcTable(),
    wait: waitOf(o, DEFAULT_WAIT.change),
    signal: ctx.interruptible(),
  });
  for (const w of r.warnings) ctx.warn(w);
  if (ctx.json) ctx.out(JSON.stringify({ path: r.path, item: r.item, bytes: r.bytes, dryRun: Boolean(o.dryRun) }));
  else ctx.out(`${o.dryRun ? 'would write' : 'wrote'} ${r.path} (${r.bytes} bytes)`);
  return 0;
}

/**
 * A file or standard input, read with the same limit: past MAX_ITEM_BYTES it
 * is refused (exit 2) before more than the limit is held in memory.
 */
export function readInput(file: string | undefined, limit = MAX_ITEM_BYTES): Buffer {
  const stdin = file === undefined || file === '-';
  const name = stdin ? 'standard input' : file;
  let fd: number;
  try {
    fd = stdin ? 0 : openSync(file, 'r');
  } catch (e) {
    throw fromErrno(e, file, 'read');
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(65536, limit + 1 - total));
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        if ((e as NodeJS.ErrnoException).code === 'EOF') break;
        throw fromErrno(e, stdin ? undefined : file, `read ${stdin ? 'standard input' : ''}`.trim());
      }
      if (n === 0) break;
      total += n;
      if (total > limit) throw new UsageError(`${name} is over the ${limit}-byte limit for an item`);
      chunks.push(buf.subarray(0, n));
    }
  } finally {
    if (!stdin) closeSync(fd);
  }
  return Buffer.concat(chunks);
}
