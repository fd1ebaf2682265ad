// One pass over the whole store for leaked and stuck state: what operators
// otherwise find by comparing `ls /run/vc/sbs /var/lib/vc/sbs /run/vc/vm`
// with `ps`. Looking takes no lock (one /proc/locks read for everything);
// fixing takes each sandbox's exclusive lock without waiting and never
// touches a live sandbox or a held lock.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BusyError, NotFoundError, RefusedError, UsageError, VcError, type Holder } from './errors.js';
import { CorruptItemError, listDir, lstatOrUndef, readJsonVia, removeTree, type JsonCache } from './fsutil.js';
import { isValidId } from './ids.js';
import { ITEMS } from './items.js';
import { validateItemValue, removeSandbox } from './mutate.js';
import { field, forEachSandbox, lockTarget, probePid, sandboxPaths, type SandboxInfo } from './sandbox.js';
import { acrnUserOf, freeUuidSlot, readUuidStore, type AcrnUser } from './uuid.js';
import { withLock } from './guard.js';
import type { Roots } from './roots.js';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  code: string;
  severity: Severity;
  id: string;
  container?: string;
  message: string;
  fixable: boolean;
}

export interface CheckOptions {
  /** A lock waiter or holder older than this many seconds is reported as stuck. */
  stuckAfter: number;
}

/** Seconds since boot a process started, and the boot time, from /proc. */
function processAgeSecs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]);
    const uptime = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
    // USER_HZ is 100 on every Linux architecture Kata runs on.
    return Math.max(0, uptime - startTicks / 100);
  } catch {
    return null;
  }
}

function bootTimeMs(): number | null {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
    return m ? Number(m[1]) * 1000 : null;
  } catch {
    return null;
  }
}

const JSON_ITEMS = ITEMS.filter((i) => i.root !== 'uuid' && i.name !== 'Lock' && i.name !== 'DeviceIDs');

/**
 * Read and check one item file (through the sandbox's cache: inspect read
 * most of them already). Absent is fine; anything wrong is a finding.
 */
function checkItem(path: string, validate: (v: unknown) => void, id: string, container: string | undefined, out: Finding[], cache: JsonCache): void {
  if (!cache.has(path) && !lstatOrUndef(path)) return; // absent: fine, and cheaper than a failed open
  const base = { id, ...(container ? { container } : {}), fixable: false };
  try {
    validate(readJsonVia(path, cache));
  } catch (e) {
    if (e instanceof NotFoundError) return;
    if (e instanceof CorruptItemError) out.push({ ...base, code: 'corrupt-item', severity: 'error', message: e.message });
    else if (e instanceof UsageError) out.push({ ...base, code: 'bad-shape', severity: 'error', message: `${path}: ${e.message.replace(/^invalid /, '')}` });
    else if (e instanceof VcError) out.push({ ...base, code: 'unreadable-item', severity: 'error', message: e.message });
    else throw e;
  }
}

function checkItems(dir: string | null, id: string, container: string | undefined, out: Finding[], cache: JsonCache): void {
  if (!dir) return;
  for (const item of JSON_ITEMS) checkItem(join(dir, item.file), (v) => validateItemValue(item, v, container !== undefined), id, container, out, cache);
}

function hypervisorDead(s: SandboxInfo, what: string, extra = ''): Finding {
  const hv = s.hypervisor;
  const why = s.problems.includes('pid-reused') ? `pid ${hv.pid} now belongs to another program` : `pid ${hv.pid} is gone`;
  return { code: 'hypervisor-dead', severity: 'error', id: s.id, message: `${what} ${hv.type ?? 'hypervisor'} is dead: ${why}${extra}`, fixable: true };
}

function deadContainers(s: SandboxInfo, out: Finding[]): void {
  for (const c of s.containers)
    if (c.state === 'running' && c.alive === false)
      out.push({ code: 'container-dead', severity: 'warning', id: s.id, container: c.id, message: `says running but its process pid ${c.pid} is gone`, fixable: false });
}

/** Only `lock` and an empty `raw/`: what the Go store leaves when it opens a store and writes nothing. */
function isShell(dir: string | null): boolean {
  if (!dir) return true;
  const names = listDir(dir).map((d) => d.name);
  if (names.some((n) => n !== 'lock' && n !== 'raw')) return false;
  const raw = join(dir, 'raw');
  return !lstatOrUndef(raw) || listDir(raw).length === 0;
}

function holderText(h: Holder): string {
  return `pid ${h.pid} (${h.command || '?'})`;
}

/** Findings for a persist or runtime-rs sandbox. */
function checkOther(s: SandboxInfo, out: Finding[], cache: JsonCache): void {
  const id = s.id;
  const file = s.layout === 'persist' ? 'persist.json' : 'state.json';
  if (s.paths.runtime) {
    const path = join(s.paths.runtime, file);
    checkItem(
      path,
      (doc) => {
        if (s.layout === 'persist' && typeof field(doc, 'State') !== 'string') throw new UsageError('no "State" string');
      },
      id,
      undefined,
      out,
      cache,
    );
    for (const c of s.containers) checkItem(join(s.paths.runtime, c.id, 'persist.json'), () => {}, id, c.id, out, cache);
    deadContainers(s, out);
  }
  if (s.problems.includes('hypervisor-dead')) out.push(hypervisorDead(s, s.layout === 'runtime-rs' ? 'runtime-rs sandbox' : `state says ${s.state}, but the`));
  // Kata 1.11/1.12 left an empty /var/lib/vc/sbs/<sid> shell for every pod (runtime#2921).
  if (s.layout === 'persist' && s.paths.config && isShell(s.paths.config))
    out.push({ code: 'config-shell', severity: 'warning', id, message: `${s.paths.config} holds only lock and raw/: debris of Kata 1.11/1.12`, fixable: true });
}

export interface CheckReport {
  sandboxes: number;
  findings: Finding[];
  /** Sandboxes holding an ACRN UUID slot (all --fix needs to redo the UUID check). */
  acrnUsers: AcrnUser[];
}

/** Findings for one sandbox. */
function checkSandbox(s: SandboxInfo, o: CheckOptions, boot: number | null, findings: Finding[], cache: JsonCache): void {
  const add = (f: Finding) => findings.push(f);
  const id = s.id;
  const hv = s.hypervisor;
  const active = s.state === 'ready' || s.state === 'running' || s.state === 'paused';
  const symlinked = s.problems.filter((p) => p.startsWith('symlink:') || p.startsWith('not-a-dir:'));
  for (const p of symlinked)
    add({ code: 'not-a-store-dir', severity: 'error', id, message: `${p.split(':')[1]} root is ${p.startsWith('symlink') ? 'a symbolic link' : 'not a directory'}; vcstore will not follow it`, fixable: false });

  if (s.layout !== 'legacy') {
    checkOther(s, findings, cache);
    checkLockHolders(s, o, findings);
    return;
  }
  const shell = (s.paths.config !== null || s.paths.runtime !== null) && isShell(s.paths.config) && isShell(s.paths.runtime) && s.containers.length === 0;
  if (shell) {
    add({ code: 'empty-shell', severity: 'warning', id, message: `only lock and an empty raw/ in ${[s.paths.config, s.paths.runtime].filter(Boolean).join(' and ')}: debris of an earlier run`, fixable: true });
    return;
  }

  if (active && hv.alive === false) {
    const lockNote = s.lock.held ? ` (lock ${s.lock.holders.filter((h) => !h.waiting).map(holderText).join(', ')}: will be left)` : '';
    add(hypervisorDead(s, `state says ${s.state} but the`, lockNote));
  }
  if (s.paths.runtime && !s.paths.config && !symlinked.length)
    add({ code: 'config-missing', severity: 'warning', id, message: `run-time root ${s.paths.runtime} has no config root`, fixable: false });
  if (s.paths.config && !s.paths.runtime && !symlinked.length) {
    const st = lstatOrUndef(s.paths.config);
    const before = boot !== null && st !== undefined && st.mtimeMs < boot;
    add({
      code: 'runtime-missing',
      severity: before ? 'info' : 'warning',
      id,
      message: before
        ? `config root without run-time root, older than the last boot: normal after a reboot (vcstore rm ${id} once its pod is gone)`
        : `config root without run-time root since the last boot: left by a failed create or delete`,
      fixable: false,
    });
  }
  checkItems(s.paths.config, id, undefined, findings, cache);
  checkItems(s.paths.runtime, id, undefined, findings, cache);
  for (const c of s.containers) {
    if (s.paths.runtime) checkItems(join(s.paths.runtime, c.id), id, c.id, findings, cache);
    if (s.paths.config) checkItems(join(s.paths.config, c.id), id, c.id, findings, cache);
  }
  deadContainers(s, findings);
  checkLockHolders(s, o, findings);
}

/** Lock holders and waiters that have been there too long, or are gone. */
function checkLockHolders(s: SandboxInfo, o: CheckOptions, findings: Finding[]): void {
  const add = (f: Finding) => findings.push(f);
  const id = s.id;
  for (const h of s.lock.holders) {
    const age = processAgeSecs(h.pid);
    if (age === null) {
      if (!h.waiting) add({ code: 'lock-holder-gone', severity: 'error', id, message: `lock is held but its holder ${holderText(h)} is gone from /proc`, fixable: false });
      continue;
    }
    if (age > o.stuckAfter)
      add({
        code: h.waiting ? 'lock-waiter-stuck' : 'lock-held-long',
        severity: 'warning',
        id,
        message: `${holderText(h)} has ${h.waiting ? 'waited for' : 'held'} the lock (${h.mode}) and is ${Math.round(age)}s old${h.waiting ? `; holders: ${s.lock.holders.filter((x) => !x.waiting).map(holderText).join(', ') || 'unknown'}` : ''}`,
        fixable: false,
      });
  }
}

/** One streaming pass over every sandbox, then the VM dirs and the UUID store. */
export function check(roots: Roots, o: CheckOptions): CheckReport {
  const findings: Finding[] = [];
  const boot = bootTimeMs();
  const add = (f: Finding) => findings.push(f);
  const known = new Set<string>();
  const users: AcrnUser[] = [];
  const count = forEachSandbox(roots, (s, items) => {
    known.add(s.id);
    const u = acrnUserOf(s);
    if (u) users.push(u);
    checkSandbox(s, o, boot, findings, items);
  });

  // VM dirs with no sandbox.
  for (const d of listDir(roots.vm)) {
    if (!isValidId(d.name) || known.has(d.name)) continue;
    const dir = join(roots.vm, d.name);
    let live = false;
    let pid: number | null = null;
    try {
      pid = Number(readFileSync(join(dir, 'pid'), 'latin1').trim()) || null;
      live = probePid(pid, `sandbox-${d.name}`).alive === true;
    } catch {
      /* no pid file */
    }
    if (live) add({ code: 'orphan-vm-live', severity: 'error', id: d.name, message: `VM dir ${dir} has no sandbox store but its hypervisor pid ${pid} is alive`, fixable: false });
    else add({ code: 'orphan-vm-dir', severity: 'warning', id: d.name, message: `VM dir ${dir} has no sandbox store`, fixable: true });
  }

  // Leaked ACRN UUID slots.
  try {
    const u = readUuidStore(roots, users);
    for (const slot of u.slots.filter((x) => x.leaked))
      add({ code: 'uuid-leaked', severity: 'warning', id: `slot-${slot.slot}`, message: `ACRN UUID slot ${slot.slot} (${slot.uuid}) is busy but no sandbox uses it`, fixable: true });
  } catch (e) {
    if (!(e instanceof NotFoundError)) {
      add({ code: 'uuid-store-bad', severity: 'error', id: 'uuid', message: (e as Error).message, fixable: false });
    }
  }
  return { sandboxes: count, findings, acrnUsers: users };
}

export interface FixAction {
  code: string;
  id: string;
  container?: string;
  action: 'removed' | 'freed' | 'would-remove' | 'would-free' | 'left';
  paths: string[];
  reason: string;
}

/** Remove what is safe: dead sandboxes, empty shells, orphan VM dirs, leaked UUID slots. */
export async function fix(roots: Roots, report: CheckReport, o: { dryRun: boolean; signal?: AbortSignal }): Promise<FixAction[]> {
  const actions: FixAction[] = [];
  const removedSandboxes = new Set<string>();
  for (const f of report.findings) {
    if (!f.fixable || f.code === 'uuid-leaked') continue;
    if (f.code === 'orphan-vm-dir') {
      const dir = join(roots.vm, f.id);
      const p = sandboxPaths(roots, f.id);
      if (lstatOrUndef(p.config) || lstatOrUndef(p.runtime)) {
        actions.push({ code: f.code, id: f.id, action: 'left', paths: [dir], reason: 'a sandbox store appeared meanwhile' });
        continue;
      }
      if (lstatOrUndef(dir)?.isSymbolicLink()) {
        actions.push({ code: f.code, id: f.id, action: 'left', paths: [dir], reason: 'it is a symbolic link' });
        continue;
      }
      if (!o.dryRun) removeTree(dir);
      actions.push({ code: f.code, id: f.id, action: o.dryRun ? 'would-remove' : 'removed', paths: [dir], reason: 'no sandbox store, hypervisor not running' });
      continue;
    }
    if (f.code === 'config-shell') {
      const p = sandboxPaths(roots, f.id);
      try {
        await withLock(lockTarget(roots, f.id), { mode: 'exclusive', wait: 0, signal: o.signal, label: `sandbox ${f.id}` }, () => {
          if (!o.dryRun) removeTree(p.config);
        });
        actions.push({ code: f.code, id: f.id, action: o.dryRun ? 'would-remove' : 'removed', paths: [p.config], reason: 'empty config shell next to a persist sandbox' });
      } catch (e) {
        if (o.signal?.aborted) throw e;
        actions.push({ code: f.code, id: f.id, action: 'left', paths: [p.config], reason: (e as Error).message });
      }
      continue;
    }
    // hypervisor-dead, empty-shell: remove the whole sandbox, under its
    // exclusive lock taken without waiting; removeSandbox re-checks liveness.
    if (removedSandboxes.has(f.id)) continue;
    try {
      const r = await removeSandbox(roots, f.id, { wait: 0, dryRun: o.dryRun, signal: o.signal });
      removedSandboxes.add(f.id);
      actions.push({ code: f.code, id: f.id, action: o.dryRun ? 'would-remove' : 'removed', paths: r.paths, reason: f.code === 'empty-shell' ? 'empty shell' : 'hypervisor dead' });
    } catch (e) {
      if (o.signal?.aborted) throw e;
      const reason = e instanceof BusyError ? e.message : e instanceof RefusedError ? e.message : e instanceof NotFoundError ? 'already gone' : (e as Error).message;
      actions.push({ code: f.code, id: f.id, action: 'left', paths: [], reason });
    }
  }
  // UUID slots: the leaked ones, plus (after removals) those whose only users were removed.
  try {
    const u = readUuidStore(roots, report.acrnUsers.filter((x) => !removedSandboxes.has(x.id)));
    for (const slot of u.slots.filter((x) => x.leaked)) {
      try {
        const r = await freeUuidSlot(roots, slot.slot, { wait: 0, dryRun: o.dryRun, signal: o.signal });
        if (r.changed) actions.push({ code: 'uuid-leaked', id: `slot-${slot.slot}`, action: o.dryRun ? 'would-free' : 'freed', paths: [u.path], reason: 'no live sandbox uses it' });
      } catch (e) {
        actions.push({ code: 'uuid-leaked', id: `slot-${slot.slot}`, action: 'left', paths: [u.path], reason: (e as Error).message });
      }
    }
  } catch (e) {
    if (!(e instanceof NotFoundError) && !(e instanceof VcError)) throw e;
  }
  for (const f of report.findings) {
    if (f.fixable || f.severity === 'info' || removedSandboxes.has(f.id)) continue;
    const a: FixAction = { code: f.code, id: f.id, action: 'left', paths: [], reason: 'needs a person: not safe to fix automatically' };
    if (f.container) a.container = f.container;
    actions.push(a);
  }
  return actions;
}
