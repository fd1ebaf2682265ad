import type { Ctx } from '../context.js';
import { containerPaths, itemPath, resolveTarget, sandboxPaths } from '../store/sandbox.js';

// Pure path arithmetic: prints where things are (or would be); reads at most
// whether a container directory exists, to tell `SID CID` from `SID ITEM`.
export default async function path(ctx: Ctx, sid?: string, a?: string, b?: string): Promise<number> {
  const r = ctx.roots;
  let named: Record<string, string>;
  if (sid === undefined) {
    named = { config: r.config, runtime: r.run, vm: r.vm, uuid: r.uuid, 'persist-uuid': r.persistUuid, kata: r.kata };
  } else {
    const t = resolveTarget(r, sid, a, b);
    if (t.item) {
      const p = itemPath(r, t.item, t.sid, t.cid);
      if (ctx.json) ctx.out(JSON.stringify({ item: t.item.name, path: p }));
      else ctx.out(p);
      return 0;
    }
    named = t.cid ? containerPaths(r, t.sid, t.cid) : { ...sandboxPaths(r, t.sid) };
  }
  if (ctx.json) ctx.out(JSON.stringify(named));
  else for (const [k, v] of Object.entries(named)) ctx.out(`${k} ${v}`);
  return 0;
}
