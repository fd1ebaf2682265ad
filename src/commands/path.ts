import type { Ctx } from '../context.js';
import {
  containerPaths,
  isValidId,
  itemOf,
  type ItemRef,
  matchContainer,
  NotFoundError,
  openSandbox,
  parseTarget,
  resolveOne,
  sandboxPaths,
  validateId,
} from '../store/index.js';
import { resolvedText } from '../render/rows.js';
import { join } from 'node:path';

// Path arithmetic: prints where things are (or would be). Reads only what
// the one target parser needs to tell `SID CID` from `SID ITEM`.
export function run(ctx: Ctx, arg: string | undefined, a: string | undefined, b: string | undefined): number {
  const r = ctx.roots;
  let named: Record<string, string>;
  if (arg === undefined) {
    named = { config: r.config, runtime: r.run, vm: r.vm, uuid: r.uuid, 'persist-uuid': r.persistUuid, kata: r.kata, shared: r.shared };
  } else {
    // Arithmetic: a sandbox or container need not exist to have paths; a prefix or pod that names one resolves.
    let sid = arg;
    try {
      const got = resolveOne(r, arg);
      sid = got.id;
      // Paths feed scripts (and rm -rf): say what a prefix or a pod resolved to.
      const note = resolvedText(got);
      if (note && !ctx.json) ctx.err(note);
    } catch (e) {
      if (!(e instanceof NotFoundError) || arg.includes('/')) throw e;
    }
    const h = openSandbox(r, sid);
    let t: { cid?: string; item?: ItemRef };
    if (a !== undefined && b !== undefined) {
      const cid = matchContainer(h, validateId(a, 'container ID'))?.cid ?? a;
      t = { cid, item: itemOf(h, cid, b) };
    } else if (a !== undefined && isValidId(a) && !h.layout.item(r, sid, undefined, a)) {
      // A container ID, a unique prefix of one (an ambiguous one is exit 2), or one yet to be.
      t = { cid: matchContainer(h, a)?.cid ?? a };
    } else t = parseTarget(h, a);
    if (t.item) {
      if (ctx.json) ctx.out(JSON.stringify({ item: t.item.name, path: t.item.path }));
      else ctx.out(t.item.path);
      return 0;
    }
    named = t.cid ? containerPaths(r, sid, t.cid) : { ...sandboxPaths(r, sid), shared: join(r.shared, sid) };
  }
  if (ctx.json) ctx.out(JSON.stringify(named));
  else for (const [k, v] of Object.entries(named)) ctx.out(`${k} ${v}`);
  return 0;
}
