import type { Ctx } from '../context.js';
import type { set, OptsOf } from '../program.js';
import { DEFAULT_WAIT, waitOf } from '../defaults.js';
import { itemOf, openTarget, parseTarget, readInput, setItem, UsageError } from '../store/index.js';
import { resolvedText } from '../render/rows.js';

type Opts = OptsOf<typeof set>;

/**
 * set SID [CID] ITEM [FILE|-]   or   set SID [CID] [state] --state STATE
 */
export async function run(ctx: Ctx, arg: string, rest: string[], o: Opts): Promise<number> {
  const { h, r: resolved } = openTarget(ctx.roots, arg, { change: true, ...(o.force ? { exact: '--force' } : {}) });
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
        const name = rest[1];
        if (name === undefined) throw new UsageError(`missing ITEM after container ${t.cid}`);
        [cid, item] = [t.cid, itemOf(h, t.cid, name)];
      } else [item, file] = [t.item, rest[1]];
    }
    if (!item) throw new UsageError('missing ITEM');
  }
  const input = o.state === undefined ? readInput(file) : undefined;
  const note = resolvedText(resolved);
  if (note && !ctx.json) ctx.err(note);
  const r = await setItem(h, cid, item, {
    force: o.force,
    dryRun: o.dryRun,
    state: o.state,
    allowUnknownKeys: o.allowUnknownKeys,
    input,
    wait: waitOf(o, DEFAULT_WAIT.change),
    signal: ctx.interruptible(),
    onWait: ctx.waitNotice(`sandbox ${h.id}`, '--nonblock fails at once instead'),
  });
  for (const w of r.warnings) ctx.warn(w);
  if (ctx.json) ctx.out(JSON.stringify({ path: r.path, item: r.item, bytes: r.bytes, dryRun: Boolean(o.dryRun) }));
  else ctx.out(`${o.dryRun ? 'would write' : 'wrote'} ${r.path} (${r.bytes} bytes)`);
  return 0;
}
