// One sandbox as the plain (uncoloured, terminal-safe) fields of an ls table
// row; colour is added by the caller. Shared by ls and its worker thread.
import { ageSecs, humanAge, type Pod, type SandboxInfo, UsageError } from '../store/base.js';
import { problemTag } from './problems.js';
import { termSafe } from './safe.js';

export function lockCell(s: SandboxInfo): string {
  if (s.lock.path === null) return s.paths.runtime ? 'none' : '-';
  if (!s.lock.visible && !s.lock.held) return '?';
  const holders = s.lock.holders.filter((h) => !h.waiting);
  if (!s.lock.held) return s.lock.holders.length ? `free (${s.lock.holders.length} waiting)` : 'free';
  const h = holders[0];
  const more = holders.length > 1 ? ` +${holders.length - 1}` : '';
  return h ? `${h.pid}/${termSafe(h.command || '?')}${more}` : 'held';
}

/** An ls table row: plain, terminal-safe cells; `state` null for none, `alive` one of yes, no, ?, -. */
export interface Row {
  id: string;
  state: string | null;
  hypervisor: string;
  pid: string;
  alive: 'yes' | 'no' | '?' | '-';
  containers: string;
  lock: string;
  problems: string;
  pod: string;
  age: string;
  layout: string;
  created: string;
}

/**
 * `trunc`: short IDs, and pod names cut at `podCell` characters (default 48;
 * a table cut to a terminal's width passes Infinity and lets the width decide).
 */
export function rowFields(s: SandboxInfo, trunc: boolean, now = Date.now(), podCell = POD_CELL): Row {
  const hv = s.hypervisor;
  const age = ageSecs(s.created, now);
  return {
    pod: s.pod ? (trunc ? cell(podText(s.pod), podCell) : termSafe(podText(s.pod))) : '-',
    age: age === null ? '?' : humanAge(age),
    layout: s.layout,
    created: s.created === null ? '-' : termSafe(s.created),
    id: trunc ? s.id.slice(0, 12) : s.id,
    state: s.state === null ? null : termSafe(s.state),
    hypervisor: termSafe(hv.type ?? '-'),
    pid: hv.pid === null ? '-' : String(hv.pid),
    alive: hv.alive === null ? (hv.unknown ? '?' : '-') : hv.alive ? 'yes' : 'no',
    containers: String(s.containers.length),
    lock: lockCell(s),
    problems: s.problems.length ? s.problems.map((x) => problemTag(x, trunc)).join(',') : '-',
  };
}

/** The longest pod name a table shows whole; JSON always has all of it. */
const POD_CELL = 48;

/** namespace/name as a target takes it; a part not recorded is "?". */
export function podText(p: Pod): string {
  // containerd before 1.4 marks a CRI sandbox without naming its pod.
  if (p.namespace === null && p.name === null && p.uid === null) return '(unnamed pod)';
  return `${p.namespace ?? '?'}/${p.name ?? '?'}`;
}

/** A table cell of store text: terminal-safe, and cut with … past `max` characters. */
export function cell(text: string, max: number): string {
  const safe = termSafe(text);
  return [...safe].length > max ? `${[...safe].slice(0, max - 1).join('')}…` : safe;
}

/** "3h ago (2026-11-29T18:00:00Z, from the runtime's record)" for show. */
export function createdText(s: Pick<SandboxInfo, 'created' | 'createdFrom'>, now = Date.now()): string {
  const age = ageSecs(s.created, now);
  if (s.created === null || age === null) return 'unknown';
  return `${humanAge(age)} ago  (${termSafe(s.created)}, ${s.createdFrom === 'runtime' ? "the runtime's record" : 'the store directory'})`;
}

/** -o FORMAT: one of `allowed`; json turns on the JSON document (as --json does). */
export function outputOption(ctx: { json: boolean }, value: string | undefined, allowed: readonly string[]): string {
  if (value === undefined) return ctx.json ? 'json' : 'table';
  if (!allowed.includes(value)) throw new UsageError(`invalid -o ${JSON.stringify(value)}: one of ${allowed.join(', ')}`);
  if (ctx.json && value !== 'json') throw new UsageError(`--json and -o ${value} exclude each other`);
  if (value === 'json') ctx.json = true;
  return value;
}

/** What a prefix or a pod resolved to, for a command about to change something (stderr); null for an exact ID. */
export function resolvedText(r: { id: string; via: string; given: string }): string | null {
  if (r.via === 'exact') return null;
  return `vcstore: ${termSafe(JSON.stringify(r.given))} is sandbox ${r.id}${r.via === 'pod' ? ' (the only sandbox of that pod)' : ''}\n`;
}
