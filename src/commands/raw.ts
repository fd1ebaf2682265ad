import type { Ctx } from '../context.js';
import type { raw, OptsOf } from '../program.js';
import { DEFAULT_WAIT, waitOf } from '../defaults.js';
import { createRaw, openTarget, rawDir, rawItems, resolveContainer, withLock } from '../store/index.js';
import { resolvedText } from '../render/rows.js';
import { termSafe } from '../render/safe.js';

type Opts = OptsOf<typeof raw>;

export async function run(ctx: Ctx, arg: string, name: string | undefined, o: Opts): Promise<number> {
  const { h, r } = openTarget(ctx.roots, arg, { change: !o.list });
  const cid = o.container === undefined ? undefined : resolveContainer(h, o.container);
  const signal = ctx.interruptible();
  if (o.list) {
    const dir = rawDir(h, cid);
    const items = await withLock(
      h.lock,
      {
        mode: 'shared',
        wait: waitOf(o, DEFAULT_WAIT.read),
        signal,
        label: `sandbox ${h.id}`,
        onWait: ctx.waitNotice(`sandbox ${h.id}`, '--nonblock fails at once instead'),
      },
      () => rawItems(dir),
    );
    if (ctx.json) ctx.out(JSON.stringify(items.map((i) => ({ name: i.name, size: i.size, url: i.url }))));
    else for (const i of items) ctx.out(`${termSafe(i.name)}\t${i.size}\t${termSafe(i.url)}`);
    return 0;
  }
  const note = resolvedText(r);
  if (note && !ctx.json) ctx.err(note);
  const made = await createRaw(h, name, cid, {
    wait: waitOf(o, DEFAULT_WAIT.change),
    signal,
    onWait: ctx.waitNotice(`sandbox ${h.id}`, '--nonblock fails at once instead'),
  });
  if (ctx.json) ctx.out(JSON.stringify(made));
  else ctx.out(made.url);
  return 0;
}
