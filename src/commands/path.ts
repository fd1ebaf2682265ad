import type { Ctx } from '../context.js';
import { UsageError } from '../store/fs/errors.js';
import { itemOf, openSandbox, parseTarget } from '../store/inspect/handle.js';
import { isValidId, validateId } from '../store/fs/ids.js';
import type { ItemRef } from '../store/layouts/index.js';
import { containerPaths, sandboxPaths } from '../store/fs/paths.js';

// Path arithmetic: prints where things are (or would be). Reads only what
// the one target parser needs to tell `SID CID` from `SID ITEM`.
export function run(ctx: Ctx, sid: string | undefined, a: string | undefined, b: string | undefined): number {
  const r = ctx.roots;
  let named: Record<string, string>;
  if (sid === undefined) {
    named = { config: r.config, runtime: r.run, vm: r.vm, uuid: r.uuid, 'persist-uuid': r.persistUuid, kata: r.kata };
  } else {
    const h = openSandbox(r, sid);
    // Arithmetic: a container need not exist to have paths.
    let t: { cid?: string; item?: ItemRef };
    if (b !== undefined) t = { cid: validateId(a, 'container ID'), item: itemOf(h, a, b) };
    else {
      try {
        t = parseTarget(h, a);
      } catch (e) {
        if (!(e instanceof UsageError) || a === undefined || !isValidId(a)) throw e;
        t = { cid: a };
      }
    }
    if (t.item) {
      if (ctx.json) ctx.out(JSON.stringify({ item: t.item.name, path: t.item.path }));
      else ctx.out(t.item.path);
      return 0;
    }
    named = t.cid ? containerPaths(r, sid, t.cid) : { ...sandboxPaths(r, sid) };
  }
  if (ctx.json) ctx.out(JSON.stringify(named));
  else for (const [k, v] of Object.entries(named)) ctx.out(`${k} ${v}`);
  return 0;
}
