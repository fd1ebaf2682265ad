import type { Ctx } from '../context.js';
import { DEFAULT_WAIT, waitOf, type WaitOpts } from '../options.js';
import { NotFoundError } from '../store/errors.js';
import { describeHolders, LockIndex, type LockReport } from '../store/locks.js';
import { withLock } from '../store/guard.js';
import { lstatOrUndef, readJson, storeDir } from '../store/fsutil.js';
import { isValidId, validateId } from '../store/ids.js';
import { join } from 'node:path';
import {
  containerPaths,
  layoutAndLock,
  readSection,
  inspectSandbox,
  itemPath,
  presentItems,
  rawItems,
  resolveTarget,
  sandboxPaths,
  type ItemFile,
  type RawItem,
} from '../store/sandbox.js';
import { decodeDevices } from '../store/devices.js';
import { prettyJson, sandboxJson } from '../render/json.js';

interface Opts extends WaitOpts {
  lock: boolean;
}

export default async function show(ctx: Ctx, sid: string, a: string | undefined, b: string | undefined, o: Opts): Promise<number> {
  validateId(sid);
  const { layout, lock } = layoutAndLock(ctx.roots, sid);
  if (layout !== 'legacy') return showOther(ctx, sid, layout, lock, a, b, o);
  const t = resolveTarget(ctx.roots, sid, a, b);
  return readLocked(ctx, sid, lock, o, () => {
    if (t.item) return showItem(ctx, t.sid, t.cid, t.item);
    if (t.cid) return showContainer(ctx, t.sid, t.cid);
    return showSandbox(ctx, t.sid);
  });
}

/** Run `read` under the shared lock (as the runtime's readers do), or without it on --no-lock. */
async function readLocked(ctx: Ctx, sid: string, target: string | null, o: Opts, read: () => void): Promise<number> {
  if (!o.lock) {
    ctx.warn('reading without the lock: a file the runtime is writing may be seen half-written');
    read();
    return 0;
  }
  await withLock(target, { mode: 'shared', wait: waitOf(o, DEFAULT_WAIT.read), signal: ctx.interruptible(), label: `sandbox ${sid}` }, read);
  return 0;
}

function lockText(lock: LockReport): string {
  if (lock.held) return describeHolders(lock.holders, lock.visible);
  return lock.visible ? 'free' : 'unknown (locks not visible here)';
}

function showItem(ctx: Ctx, sid: string, cid: string | undefined, item: NonNullable<ReturnType<typeof resolveTarget>['item']>): void {
  if (cid) requireContainer(ctx, sid, cid);
  else if (item.root !== 'uuid') requireSandbox(ctx, sid);
  const path = itemPath(ctx.roots, item, sid, cid);
  if (item.name === 'Lock') {
    // The lock item is an empty file: show who holds it instead.
    const lock = new LockIndex().report(path) ?? { held: false, holders: [], visible: true };
    if (ctx.json) ctx.out(JSON.stringify({ path, held: lock.held, visible: lock.visible, holders: lock.holders }));
    else ctx.out(`${path}: ${lockText(lock)}`);
    return;
  }
  let value: unknown;
  try {
    value = readJson(path);
  } catch (e) {
    if (e instanceof NotFoundError) throw new NotFoundError(`${item.name} item not found: ${path}`);
    throw e;
  }
  if (ctx.json) {
    ctx.out(JSON.stringify(value));
    return;
  }
  if (item.file === 'devices.json') {
    const lines = decodeDevices(value, cid !== undefined);
    if (lines.length) ctx.out(lines.join('\n') + '\n');
  }
  ctx.out(prettyJson(value, ctx.paint));
}

/** show for the persist and runtime-rs layouts: sections of one JSON document. */
async function showOther(ctx: Ctx, sid: string, layout: 'persist' | 'runtime-rs', target: string | null, a: string | undefined, b: string | undefined, o: Opts): Promise<number> {
  let cid: string | undefined;
  let section: string | undefined;
  if (b !== undefined) [cid, section] = [validateId(a!, 'container ID'), b];
  else if (a !== undefined) {
    const c = containerPaths(ctx.roots, sid, isValidId(a) ? a : 'x');
    if (isValidId(a) && lstatOrUndef(join(c.runtime, 'persist.json'))) cid = a;
    else section = a;
  }
  return readLocked(ctx, sid, target, o, () => {
    if (section !== undefined) {
      const { value } = readSection(ctx.roots, sid, cid, layout, section);
      ctx.out(ctx.json ? JSON.stringify(value) : prettyJson(value, ctx.paint));
    } else if (cid !== undefined) showContainer(ctx, sid, cid);
    else showSandbox(ctx, sid);
  });
}

function requireSandbox(ctx: Ctx, sid: string): void {
  const p = sandboxPaths(ctx.roots, sid);
  if (!storeDir(p.config) && !storeDir(p.runtime)) throw new NotFoundError(`sandbox ${sid} not found`);
}

function requireContainer(ctx: Ctx, sid: string, cid: string): void {
  requireSandbox(ctx, sid);
  const c = containerPaths(ctx.roots, sid, cid);
  if (!storeDir(c.config) && !storeDir(c.runtime)) throw new NotFoundError(`container ${cid} not found in sandbox ${sid}`);
}

function itemLines(ctx: Ctx, items: ItemFile[]): string[] {
  return items.map((i) => `  ${(i.root + '/' + i.file).padEnd(24)} ${String(i.size).padStart(7)}  ${ctx.paint.dim(i.mtime)}`);
}

function rawLines(raw: RawItem[]): string[] {
  return raw.map((r) => `  ${r.name.padEnd(16)} ${String(r.size).padStart(7)}  ${r.url}`);
}

function showSandbox(ctx: Ctx, sid: string): void {
  const s = inspectSandbox(ctx.roots, sid);
  const items = [...presentItems(s.layout === 'legacy' ? s.paths.config : null, 'config'), ...presentItems(s.paths.runtime, 'runtime', s.layout)];
  const raw = s.layout === 'legacy' ? rawItems(s.paths.runtime) : [];
  if (ctx.json) {
    ctx.out(JSON.stringify({ ...sandboxJson(s), items, raw }));
    return;
  }
  const p = ctx.paint;
  const hv = s.hypervisor;
  const alive = hv.alive === null ? 'unknown' : hv.alive ? p.ok(hv.verified ? 'alive' : 'alive (unverified)') : p.bad('dead');
  const out = [
    `${p.bold('Sandbox')}     ${s.id}`,
    `State       ${p.state(s.state)}   (layout ${s.layout})`,
    `Hypervisor  ${hv.type ?? '-'}  pid ${hv.pid ?? '-'}  ${alive}`,
    `Lock        ${s.lock.path === null ? (s.layout === 'runtime-rs' ? 'none (the runtime-rs runtime takes no lock)' : 'none (no run-time root)') : lockText(s.lock)}`,
    `Problems    ${s.problems.length ? p.warn(s.problems.join(', ')) : 'none'}`,
    '',
    p.bold('Paths'),
    `  config   ${s.paths.config ?? p.dim('(missing)')}`,
    `  runtime  ${s.paths.runtime ?? p.dim('(missing)')}`,
    `  vm       ${s.paths.vm ?? p.dim('(none)')}`,
    `  lock     ${s.paths.lock ?? p.dim('(none)')}`,
    '',
    p.bold('Items'),
    ...itemLines(ctx, items),
    '',
    p.bold(`Containers (${s.containers.length})`),
    ...s.containers.map(
      (c) => `  ${c.id}  ${p.state(c.state)}  pid ${c.pid ?? '-'}${c.alive === null ? '' : c.alive ? '' : p.bad(' dead')}`,
    ),
  ];
  if (raw.length) out.push('', p.bold('Raw items'), ...rawLines(raw));
  ctx.out(out.join('\n'));
}

function showContainer(ctx: Ctx, sid: string, cid: string): void {
  const s = inspectSandbox(ctx.roots, sid);
  if (s.layout === 'legacy') requireContainer(ctx, sid, cid);
  const c = s.containers.find((x) => x.id === cid);
  if (!c) throw new NotFoundError(`container ${cid} not found in sandbox ${sid}`);
  const cp = containerPaths(ctx.roots, sid, cid);
  const cfg = storeDir(cp.config) ? cp.config : null;
  const rt = storeDir(cp.runtime) ? cp.runtime : null;
  const items = [...presentItems(s.layout === 'legacy' ? cfg : null, 'config'), ...presentItems(rt, 'runtime', s.layout)];
  const raw = s.layout === 'legacy' ? rawItems(rt) : [];
  if (ctx.json) {
    ctx.out(
      JSON.stringify({ id: c.id, sandbox: sid, state: c.state, pid: c.pid, alive: c.alive, paths: { config: cfg, runtime: rt }, items, raw, problems: c.problems }),
    );
    return;
  }
  const p = ctx.paint;
  const out = [
    `${p.bold('Container')}   ${c.id}`,
    `Sandbox     ${sid}`,
    `State       ${p.state(c.state)}`,
    `Process     pid ${c.pid ?? '-'}  ${c.alive === null ? '' : c.alive ? p.ok('alive') : p.bad('dead')}`,
    `Problems    ${c.problems.length ? p.warn(c.problems.join(', ')) : 'none'}`,
    '',
    p.bold('Paths'),
    `  config   ${cfg ?? p.dim('(missing)')}`,
    `  runtime  ${rt ?? p.dim('(missing)')}`,
    '',
    p.bold('Items'),
    ...itemLines(ctx, items),
  ];
  if (raw.length) out.push('', p.bold('Raw items'), ...rawLines(raw));
  ctx.out(out.join('\n'));
}
