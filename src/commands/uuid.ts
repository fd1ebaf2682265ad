import type { Ctx } from '../context.js';
import type { uuidFree, OptsOf } from '../program.js';
import { DEFAULT_WAIT, waitOf } from '../options.js';
import { parseSlot, readUuidStore } from '../store/inspect/uuid.js';
import { freeUuidSlot } from '../store/ops/uuid.js';
import { table } from '../render/table.js';

export async function run(ctx: Ctx): Promise<number> {
  const store = readUuidStore(ctx.roots);
  if (ctx.json) {
    ctx.out(JSON.stringify({ path: store.path, slots: store.slots }));
    return 0;
  }
  const p = ctx.paint;
  const rows = store.slots.map((s) => [
    String(s.slot),
    s.uuid,
    s.busy ? (s.leaked ? p.bad('leaked') : p.warn('busy')) : p.ok('free'),
    s.sandboxes.map((x) => `${x.id.slice(0, 12)}${x.alive === true ? '' : x.alive === false ? ' (dead)' : ''}`).join(', ') || '-',
  ]);
  ctx.out(`${store.path}\n${await table(['SLOT', 'UUID', 'STATUS', 'SANDBOX'], rows, p)}`);
  return 0;
}

export async function free(ctx: Ctx, slotArg: string, o: OptsOf<typeof uuidFree>): Promise<number> {
  const slot = parseSlot(slotArg);
  const r = await freeUuidSlot(ctx.roots, slot, { force: o.force, dryRun: o.dryRun, wait: waitOf(o, DEFAULT_WAIT.change), signal: ctx.interruptible() });
  if (ctx.json) ctx.out(JSON.stringify(r));
  else ctx.out(`slot ${r.slot} (${r.uuid}): ${r.changed ? (o.dryRun ? 'would free' : 'freed') : 'already free'}${r.note && r.changed ? ` (${r.note})` : ''}`);
  return 0;
}
