import type { Ctx } from '../context.js';
import type { uuidFree, OptsOf } from '../program.js';
import { DEFAULT_WAIT, waitOf } from '../defaults.js';
import { freeUuidSlot, isPodTarget, isValidId, NotFoundError, parseSlot, readUuidStore, resolveOne, UsageError } from '../store/index.js';
import { table } from '../render/table.js';
import { resolvedText } from '../render/rows.js';

/** A slot number or UUID; else the sandbox using a slot (ID, unique prefix or pod; a whole ID only under --force). */
function slotOf(ctx: Ctx, arg: string, force?: boolean): number {
  let usage: unknown;
  try {
    return parseSlot(arg);
  } catch (e) {
    // A mistyped slot number (8, 10) is never taken for a sandbox ID prefix.
    if (!(e instanceof UsageError) || /^\d+$/.test(arg) || !(isValidId(arg) || isPodTarget(arg))) throw e;
    usage = e;
  }
  let r;
  try {
    r = resolveOne(ctx.roots, arg, { change: true, ...(force ? { exact: '--force' } : {}) });
  } catch (e) {
    if (e instanceof NotFoundError) throw usage;
    throw e;
  }
  const slots = readUuidStore(ctx.roots).slots.filter((s) => s.sandboxes.some((x) => x.id === r.id));
  if (slots.length !== 1)
    throw new NotFoundError(
      `sandbox ${r.id} ${slots.length ? `uses ${slots.length} UUID slots (${slots.map((s) => s.slot).join(', ')}): give the slot` : 'uses no ACRN UUID slot'}`,
    );
  const note = resolvedText(r);
  if (note && !ctx.json) ctx.err(note);
  return slots[0]?.slot ?? -1;
}

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
  const slot = slotOf(ctx, slotArg, o.force);
  const r = await freeUuidSlot(ctx.roots, slot, {
    force: o.force,
    dryRun: o.dryRun,
    wait: waitOf(o, DEFAULT_WAIT.change),
    signal: ctx.interruptible(),
    onWait: ctx.waitNotice('the ACRN UUID store', '--nonblock fails at once instead'),
  });
  if (ctx.json) ctx.out(JSON.stringify(r));
  else ctx.out(`slot ${r.slot} (${r.uuid}): ${r.changed ? (o.dryRun ? 'would free' : 'freed') : 'already free'}${r.note && r.changed ? ` (${r.note})` : ''}`);
  return 0;
}
