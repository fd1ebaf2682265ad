import { readFileSync } from 'node:fs';
import type { Ctx } from '../context.js';
import { DEFAULT_WAIT, waitOf, type WaitOpts } from '../options.js';
import { UsageError } from '../store/errors.js';
import { readRegular, MAX_ITEM_BYTES } from '../store/fsutil.js';
import { validateId } from '../store/ids.js';
import { resolveItem } from '../store/items.js';
import { setItem } from '../store/mutate.js';
import { resolveTarget } from '../store/sandbox.js';

interface Opts extends WaitOpts {
  force?: boolean;
  state?: string;
  dryRun?: boolean;
}

/**
 * set SID [CID] ITEM [FILE|-]   or   set SID [CID] --state STATE
 */
export default async function set(ctx: Ctx, sid: string, rest: string[], o: Opts): Promise<number> {
  validateId(sid);
  let cid: string | undefined;
  let itemName: string;
  let file: string | undefined;
  if (o.state !== undefined) {
    if (rest.length > 1) throw new UsageError('with --state give at most SID CID');
    cid = rest[0];
    itemName = 'state';
  } else {
    if (rest.length === 0) throw new UsageError('missing ITEM (and FILE, or - for standard input)');
    if (rest.length > 3) throw new UsageError('too many arguments: set SID [CID] ITEM [FILE|-]');
    if (rest.length === 3) [cid, itemName, file] = rest as [string, string, string];
    else {
      const t = resolveTarget(ctx.roots, sid, rest[0]);
      if (t.cid !== undefined && rest.length === 2) [cid, itemName] = rest as [string, string];
      else if (t.cid !== undefined) throw new UsageError(`missing ITEM after container ${t.cid}`);
      else [itemName, file] = rest as [string, string | undefined];
    }
  }
  const item = resolveItem(itemName);
  if (cid !== undefined) validateId(cid, 'container ID');
  let input: Buffer | undefined;
  if (o.state === undefined) input = file === undefined || file === '-' ? readStdin() : readRegular(file, MAX_ITEM_BYTES);
  const r = await setItem(ctx.roots, sid, cid, item, {
    force: o.force,
    dryRun: o.dryRun,
    state: o.state,
    input,
    wait: waitOf(o, DEFAULT_WAIT.change),
    signal: ctx.interruptible(),
  });
  if (r.note) ctx.warn(r.note);
  if (ctx.json) ctx.out(JSON.stringify({ ...r, dryRun: Boolean(o.dryRun) }));
  else ctx.out(`${o.dryRun ? 'would write' : 'wrote'} ${r.path} (${r.bytes} bytes)`);
  return 0;
}

function readStdin(): Buffer {
  try {
    const b = readFileSync(0);
    if (b.length > MAX_ITEM_BYTES) throw new UsageError(`standard input is over ${MAX_ITEM_BYTES} bytes`);
    return b;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read standard input: ${(e as Error).message}`);
  }
}
