import type { Ctx } from '../context.js';
import type { raw, OptsOf } from '../program.js';
import { DEFAULT_WAIT, waitOf } from '../options.js';
import { withLock } from '../store/host/guard.js';
import { requireSandbox } from '../store/inspect/handle.js';
import { createRaw, rawDir, rawItems } from '../store/ops/edit.js';
import { termSafe } from '../render/safe.js';

type Opts = OptsOf<typeof raw>;

export async function run(ctx: Ctx, sid: string, name: string | undefined, o: Opts): Promise<number> {
  const h = requireSandbox(ctx.roots, sid);
  const signal = ctx.interruptible();
  if (o.list) {
    const dir = rawDir(h, o.container);
    const items = await withLock(h.lock, { mode: 'shared', wait: waitOf(o, DEFAULT_WAIT.read), signal, label: `sandbox ${sid}` }, () => rawItems(dir));
    if (ctx.json) ctx.out(JSON.stringify(items.map((i) => ({ name: i.name, size: i.size, url: i.url }))));
    else for (const i of items) ctx.out(`${termSafe(i.name)}\t${i.size}\t${termSafe(i.url)}`);
    return 0;
  }
  const r = await createRaw(h, name, o.container, { wait: waitOf(o, DEFAULT_WAIT.change), signal });
  if (ctx.json) ctx.out(JSON.stringify(r));
  else ctx.out(r.url);
  return 0;
}
