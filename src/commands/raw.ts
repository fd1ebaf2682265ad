import type { Ctx } from '../context.js';
import { DEFAULT_WAIT, waitOf, type WaitOpts } from '../options.js';
import { NotFoundError } from '../store/errors.js';
import { storeDir } from '../store/fsutil.js';
import { withLock } from '../store/guard.js';
import { validateId } from '../store/ids.js';
import { createRaw } from '../store/mutate.js';
import { containerPaths, lockTarget, rawItems, sandboxPaths } from '../store/sandbox.js';

interface Opts extends WaitOpts {
  container?: string;
  list?: boolean;
}

export default async function raw(ctx: Ctx, sid: string, name: string | undefined, o: Opts): Promise<number> {
  validateId(sid);
  if (o.container !== undefined) validateId(o.container, 'container ID');
  const signal = ctx.interruptible();
  if (o.list) {
    const p = sandboxPaths(ctx.roots, sid);
    const base = o.container ? containerPaths(ctx.roots, sid, o.container).runtime : p.runtime;
    if (!storeDir(p.runtime)) throw new NotFoundError(`sandbox ${sid} has no run-time root ${p.runtime}`);
    if (!storeDir(base)) throw new NotFoundError(`container ${o.container} not found in sandbox ${sid}`);
    const items = await withLock(lockTarget(ctx.roots, sid), { mode: 'shared', wait: waitOf(o, DEFAULT_WAIT.read), signal, label: `sandbox ${sid}` }, () => rawItems(base));
    if (ctx.json) ctx.out(JSON.stringify(items.map((i) => ({ name: i.name, size: i.size, url: i.url }))));
    else for (const i of items) ctx.out(`${i.name}\t${i.size}\t${i.url}`);
    return 0;
  }
  const r = await createRaw(ctx.roots, sid, name, o.container, { wait: waitOf(o, DEFAULT_WAIT.change), signal });
  if (ctx.json) ctx.out(JSON.stringify(r));
  else ctx.out(r.url);
  return 0;
}
