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

/** ID, STATE, HYPERVISOR, PID, ALIVE, CONTAINERS, LOCK, PROBLEMS; STATE is '' for none. */
export function rowFields(s: SandboxInfo, trunc: boolean): string[] {
  const hv = s.hypervisor;
  return [
    trunc ? s.id.slice(0, 12) : s.id,
    s.state === null ? '' : termSafe(s.state),
    termSafe(hv.type ?? '-'),
    hv.pid === null ? '-' : String(hv.pid),
    hv.alive === null ? (hv.unknown ? '?' : '-') : hv.alive ? 'yes' : 'no',
    String(s.containers.length),
    lockCell(s),
    s.problems.length ? s.problems.map((x) => problemTag(x, trunc)).join(',') : '-',
  ];
}
