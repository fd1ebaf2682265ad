import { join } from 'node:path';
import type { Ctx } from '../context.js';
import type { show, OptsOf } from '../program.js';
import { DEFAULT_WAIT, waitOf } from '../defaults.js';
import {
  BusyError,
  describeHolders,
  HostIndex,
  type HostPicture,
  humanSize,
  inspectScanned,
  type ItemFile,
  itemFiles,
  type ItemRef,
  type Lit,
  litText,
  litValue,
  LockIndex,
  type LockReport,
  NotFoundError,
  parseTarget,
  type RawItem,
  rawItems,
  requireContainer,
  requireSandbox,
  resolveSandbox,
  type SandboxHandle,
  type SandboxInfo,
  withLock,
} from '../store/index.js';
import { decodeDevices } from '../render/devices.js';
import { paintJson, podJson, problemJson, sandboxJson } from '../render/json.js';
import { cell, createdText, outputOption, podText } from '../render/rows.js';
import { fitLine, fitTable, type Col } from '../render/table.js';

/** Store text longer than this is cut in show's text (whole in --json): Kubernetes names are at most 253. */
const SHOWN = 256;
import { problemTag, problemText } from '../render/problems.js';
import { termSafe } from '../render/safe.js';

// --no-trunc is crictl's name; commander sets `trunc` false for it.
type Opts = OptsOf<typeof show> & { trunc?: boolean };

/**
 * How much of the text is shown: `full` (--no-trunc, -o wide) all of it;
 * else store text past SHOWN characters is cut, and on a terminal every line
 * is cut to its width (no line wraps).
 */
interface View {
  full: boolean;
}

/** How the containers' lines are cut to a terminal's width: ID, name, state, pid, liveness. */
const CONTAINER_COLS: Col[] = [{ id: true }, { min: 8 }, { min: 4 }, {}, { min: 4 }];

export async function run(ctx: Ctx, arg: string, a: string | undefined, b: string | undefined, o: Opts): Promise<number> {
  const format = outputOption(ctx, o.output, ['table', 'wide', 'json']);
  const view: View = { full: o.trunc === false || format === 'wide' };
  // A pod may have several sandboxes (a leaked one beside the new one): its summary shows each.
  const found = resolveSandbox(ctx.roots, arg, { many: a === undefined });
  if (!o.lock) {
    ctx.warn('reading without the lock: a file the runtime is writing may be seen half-written');
  }
  const pod = found.some((r) => r.via === 'pod');
  const docs: string[] = [];
  for (const r of found) {
    const h = requireSandbox(ctx.roots, r.id);
    const t = parseTarget(h, a, b);
    const read = () => {
      if (t.item) showItem(ctx, h, t.cid, t.item, view);
      else if (t.cid) showContainer(ctx, h, t.cid, view);
      else showSandbox(ctx, h, view, pod ? docs : undefined);
    };
    if (!o.lock) read();
    else
      try {
        await withLock(
          h.lock,
          {
            mode: 'shared',
            wait: waitOf(o, DEFAULT_WAIT.read),
            signal: ctx.interruptible(),
            label: `sandbox ${r.id}`,
            onWait: ctx.waitNotice(`sandbox ${r.id}`, '--nonblock fails at once, --no-lock reads without it'),
          },
          read,
        );
      } catch (e) {
        // Busy: say how to read it anyway.
        if (e instanceof BusyError) throw new BusyError(`${e.message}; --no-lock reads it without the lock`, e.holders);
        throw e;
      }
  }
  // A pod target's summary is an array in JSON, however many sandboxes it has: the shape follows what was typed.
  if (pod && ctx.json && a === undefined) ctx.out(`[${docs.join(',')}]`);
  return 0;
}

function lockText(lock: LockReport): string {
  if (lock.held) return termSafe(describeHolders(lock.holders, lock.visible));
  return lock.visible ? 'free' : 'unknown (locks not visible here)';
}

/** The width lines are cut to: the terminal's, unless everything is to be shown (undefined: nothing is cut). */
function widthOf(ctx: Ctx, view: View): number | undefined {
  return view.full ? undefined : ctx.width;
}

function showItem(ctx: Ctx, h: SandboxHandle, cid: string | undefined, ref: ItemRef, view: View): void {
  if (ref.def?.name === 'Lock') {
    // The lock item is an empty file: show who holds it instead.
    const lock = new LockIndex().report(ref.path);
    if (ctx.json) ctx.out(JSON.stringify({ path: ref.path, held: lock.held, visible: lock.visible, holders: lock.holders }));
    else ctx.out(`${ref.path}: ${lockText(lock)}`);
    return;
  }
  let lit: Lit;
  try {
    lit = h.layout.readItem(ref);
  } catch (e) {
    if (e instanceof NotFoundError) throw new NotFoundError(`${ref.name} item not found: ${ref.path}`);
    throw e;
  }
  // From the literal tree: numbers exactly as stored, every member kept (show --json | set round-trips).
  if (ctx.json) {
    ctx.out(litText(lit));
    return;
  }
  // The decoded table is for a person: off a terminal only the item's JSON goes out (`| jq` works for every item).
  if (ref.def?.file === 'devices.json' && ctx.stdoutTty) {
    const width = widthOf(ctx, view);
    // The summary lines fit the terminal; the JSON under them is never cut.
    const lines = decodeDevices(litValue(lit), cid !== undefined).map((l) => fitLine(termSafe(l), width));
    if (lines.length) ctx.out(lines.join('\n') + '\n');
  }
  ctx.out(paintJson(litText(lit, 2), ctx.paint));
}

function itemLines(ctx: Ctx, items: ItemFile[]): string[] {
  return items.map((i) => `  ${(i.root + '/' + i.file).padEnd(24)} ${humanSize(i.size).padStart(10)}  ${ctx.paint.dim(i.mtime)}`);
}

function rawLines(raw: RawItem[]): string[] {
  return raw.map((r) => `  ${termSafe(r.name).padEnd(16)} ${humanSize(r.size).padStart(10)}  ${termSafe(r.url)}`);
}

function aliveText(ctx: Ctx, alive: boolean | null, verified: boolean, unknown?: string): string {
  const p = ctx.paint;
  if (alive === null) return unknown ? p.warn(`? (${termSafe(unknown)})`) : '-';
  return alive ? p.ok(verified ? 'alive' : 'alive (unverified)') : p.bad('dead');
}

function problemLines(ctx: Ctx, s: SandboxInfo, cid?: string): string[] {
  const list = s.problems.filter((x) => cid === undefined || x.container === cid);
  if (!list.length) return ['Problems    none'];
  return ['Problems', ...list.map((x) => `  ${ctx.paint.warn(problemTag(x, true))}  ${problemText(x)}`)];
}

/** The containers' lines (two spaces in), cut together to the width: IDs to 12 characters first, then names. */
function containerLines(ctx: Ctx, s: SandboxInfo, width: number | undefined, shown: number): string[] {
  const cells = s.containers.map((c) => [
    c.id,
    c.name === undefined ? '' : cell(c.name, shown),
    ctx.paint.state(c.state === null ? null : termSafe(c.state)),
    `pid ${c.pid ?? '-'}`,
    aliveText(ctx, c.alive, true, c.unknown),
  ]);
  const { rows } = fitTable([], cells, width === undefined ? undefined : width - 2, CONTAINER_COLS);
  return rows.map(([id, name, state, pid, alive], i) => `  ${id}  ${s.containers[i]?.name === undefined ? '' : `${name}  `}${state}  ${pid}  ${alive}`);
}

function showSandbox(ctx: Ctx, h: SandboxHandle, view: View, docs?: string[]): void {
  const s = inspectScanned(h.roots, h.scan, { deep: true, host: new HostIndex(h.roots) });
  const items = itemFiles(
    h,
    [
      { root: 'config', dir: s.paths.config },
      { root: 'runtime', dir: s.paths.runtime },
    ],
    undefined,
  );
  const raw = h.layout.raw && s.paths.runtime ? rawItems(join(s.paths.runtime, 'raw')) : [];
  if (ctx.json) {
    const doc = JSON.stringify({ ...sandboxJson(s), items, raw });
    if (docs) docs.push(doc);
    else ctx.out(doc);
    return;
  }
  const p = ctx.paint;
  const hv = s.hypervisor;
  const width = widthOf(ctx, view);
  const shown = view.full ? Infinity : SHOWN;
  if (docs) {
    if (docs.length) ctx.out('');
    docs.push(s.id);
  }
  const out = [
    `${p.bold('Sandbox')}     ${s.id}`,
    `Pod         ${s.pod ? cell(podText(s.pod), shown) : p.dim('(none recorded)')}${s.pod?.uid ? p.dim(`  uid ${cell(s.pod.uid, shown)}`) : ''}`,
    `Created     ${createdText(s)}`,
    `State       ${p.state(s.state === null ? null : termSafe(s.state))}   (layout ${s.layout})`,
    `Hypervisor  ${termSafe(hv.type ?? '-')}  pid ${hv.pid ?? '-'}  ${aliveText(ctx, hv.alive, hv.verified, hv.unknown)}`,
    ...(s.virtiofsd
      ? [`Virtiofsd   pid ${s.virtiofsd.pid ?? '-'}  ${aliveText(ctx, s.virtiofsd.alive, s.virtiofsd.alive === true, s.virtiofsd.unknown)}`]
      : []),
    `Lock        ${s.lock.path === null ? `none${s.paths.runtime ? '' : ' (no run-time root)'}` : lockText(s.lock)}`,
    ...(s.netns
      ? [
          `Netns       ${termSafe(s.netns.path)}  ${p.dim(s.netns.created ? '(made by the runtime: removed with the sandbox)' : "(not the runtime's: never touched)")}`,
        ]
      : s.netns === null
        ? [`Netns       ${p.dim('(the record cannot be read)')}`]
        : []),
    ...problemLines(ctx, s),
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
    ...containerLines(ctx, s, width, shown),
  ];
  if (raw.length) out.push('', p.bold('Raw items'), ...rawLines(raw));
  if (s.host) out.push('', ...hostLines(ctx, s.host));
  ctx.out(out.map((l) => fitLine(l, width)).join('\n'));
}

/** Shown mounts before the rest is counted. */
const MOUNTS_SHOWN = 20;

function hostLines(ctx: Ctx, host: HostPicture): string[] {
  const p = ctx.paint;
  const shared = host.shared ? `${termSafe(host.shared.path)}  (${host.shared.entries ?? '?'} entries, ${humanSize(host.shared.size ?? 0)})` : p.dim('(none)');
  const lines = [p.bold('Host'), `  shared   ${shared}`, `  vm       ${host.vm ? termSafe(host.vm) : p.dim('(none)')}`];
  lines.push(`  mounts   ${host.mounts.length || p.dim('none')}`);
  for (const m of host.mounts.slice(0, MOUNTS_SHOWN)) lines.push(`    ${termSafe(m.mountPoint)}  ${termSafe(m.fstype)} from ${termSafe(m.source)}`);
  if (host.mounts.length > MOUNTS_SHOWN) lines.push(`    … and ${host.mounts.length - MOUNTS_SHOWN} more (vcstore --json show lists them all)`);
  lines.push(`  processes ${host.processes.length || p.dim('none')}`);
  for (const x of host.processes) lines.push(`    ${String(x.pid).padStart(7)}  ${x.role.padEnd(23)}  ${termSafe(x.command)}`);
  return lines;
}

function showContainer(ctx: Ctx, h: SandboxHandle, cid: string, view: View): void {
  const dirs = requireContainer(h, cid);
  const s = inspectScanned(h.roots, h.scan, { deep: true });
  const c = s.containers.find((x) => x.id === cid);
  if (!c) throw new NotFoundError(`container ${cid} not found in sandbox ${h.id}`);
  const pod = s.pod ? podJson(s.pod) : null;
  const cfg = dirs.find((d) => d.startsWith(h.paths.config + '/')) ?? null;
  const rt = dirs.find((d) => d.startsWith(h.paths.runtime + '/')) ?? null;
  const items = itemFiles(
    h,
    [
      { root: 'config', dir: cfg },
      { root: 'runtime', dir: rt },
    ],
    cid,
  );
  const raw = h.layout.raw && rt ? rawItems(join(rt, 'raw')) : [];
  const problems = s.problems.filter((x) => x.container === cid);
  if (ctx.json) {
    ctx.out(
      JSON.stringify({
        id: c.id,
        name: c.name ?? null,
        sandbox: h.id,
        pod,
        state: c.state,
        pid: c.pid,
        alive: c.alive,
        paths: { config: cfg, runtime: rt },
        items,
        raw,
        problems: problems.map(problemJson),
      }),
    );
    return;
  }
  const p = ctx.paint;
  const shown = view.full ? Infinity : SHOWN;
  const out = [
    `${p.bold('Container')}   ${c.id}`,
    `Name        ${c.name === undefined ? p.dim('(none recorded)') : cell(c.name, shown)}`,
    `Sandbox     ${h.id}`,
    `Pod         ${s.pod ? cell(podText(s.pod), shown) : p.dim('(none recorded)')}`,
    `State       ${p.state(c.state === null ? null : termSafe(c.state))}`,
    `Process     pid ${c.pid ?? '-'}  ${aliveText(ctx, c.alive, true, c.unknown)}`,
    ...problemLines(ctx, s, cid),
    '',
    p.bold('Paths'),
    `  config   ${cfg ?? p.dim('(missing)')}`,
    `  runtime  ${rt ?? p.dim('(missing)')}`,
    '',
    p.bold('Items'),
    ...itemLines(ctx, items),
  ];
  if (raw.length) out.push('', p.bold('Raw items'), ...rawLines(raw));
  const width = widthOf(ctx, view);
  ctx.out(out.map((l) => fitLine(l, width)).join('\n'));
}
