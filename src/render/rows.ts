// One sandbox as the plain (uncoloured, terminal-safe) fields of an ls table
// row; colour is added by the caller. Shared by ls and its worker thread.
import type { SandboxInfo } from '../store/inspect/inspect.js';
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
}

export function rowFields(s: SandboxInfo, trunc: boolean): Row {
  const hv = s.hypervisor;
  return {
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
