// Everything a destructive step must know before the first byte changes:
// the hypervisor and container liveness (three-valued), the processes that
// name the sandbox, and the mounts below what would be removed. For all of
// them, "cannot tell" means "no"; --force overrides liveness and processes,
// never mounts.
import { RefusedError } from '../fs/errors.js';
import type { SandboxInfo } from '../inspect/inspect.js';
import type { MountTable } from '../host/mounts.js';
import { procText, splitByRole, type ProcTable } from '../host/procs.js';

/** Refuse (exit 5) when the hypervisor or a container process is alive, or whether it is cannot be told. */
export function refuseIfLive(info: SandboxInfo, what: string, cid?: string): void {
  const hv = info.hypervisor;
  const whom = cid ? `container ${cid} of sandbox ${info.id}` : `sandbox ${info.id}`;
  if (cid === undefined) {
    if (hv.alive === true)
      throw new RefusedError(`refusing to ${what} ${whom}: its hypervisor (${hv.type ?? '?'}, pid ${hv.pid}) is alive; stop it first or use --force`);
    if (hv.alive === null && hv.unknown)
      throw new RefusedError(`refusing to ${what} ${whom}: cannot tell whether its hypervisor is alive (${hv.unknown}); use --force if you know it is stopped`);
  }
  for (const c of info.containers) {
    if (cid !== undefined && c.id !== cid) continue;
    if (c.alive === true) throw new RefusedError(`refusing to ${what} ${whom}: container ${c.id} process pid ${c.pid} is alive; use --force`);
    if (c.alive === null && c.unknown)
      throw new RefusedError(`refusing to ${what} ${whom}: cannot tell whether container ${c.id} process is alive (${c.unknown}); use --force`);
  }
}

/**
 * Processes naming `id`: a runtime process (hypervisor, virtiofsd, proxy,
 * shim) refuses; any other process refuses when `others` is 'refuse' (check
 * --fix), else comes back as a warning (rm, set).
 */
export function refuseIfNamed(procs: ProcTable, id: string, whom: string, what: string, others: 'refuse' | 'warn'): string[] {
  const blind = procs.blind;
  if (blind) throw new RefusedError(`refusing to ${what} ${whom}: cannot tell which processes use it (${blind}); use --force`);
  const { runtime, other } = splitByRole(procs.naming(id));
  if (runtime.length)
    throw new RefusedError(
      `refusing to ${what} ${whom}: runtime process ${runtime.map(procText).slice(0, 1).join('')} names it${runtime.length > 1 ? ` (+${runtime.length - 1} more)` : ''}; use --force`,
    );
  if (!other.length) return [];
  const text = other.map(procText).join(', ');
  if (others === 'refuse') throw new RefusedError(`leaving ${whom}: process ${text} names it`);
  return [`process ${text} names ${whom}; going ahead`];
}

/** Refuse when a mount lies at or below any path to remove, or mounts cannot be read. */
export function refuseIfMounted(mounts: MountTable, paths: string[], whom: string): void {
  if (mounts.mounts === null) throw new RefusedError(`refusing to remove ${whom}: /proc/self/mountinfo cannot be read, so mounts below it cannot be ruled out`);
  const under = paths.flatMap((p) => mounts.under(p));
  if (!under.length) return;
  const shown = under
    .slice(0, 5)
    .map((m) => m.mountPoint)
    .join(', ');
  throw new RefusedError(
    `refusing to remove ${whom}: ${under.length} mount${under.length > 1 ? 's' : ''} below it (${shown}${under.length > 5 ? ', …' : ''}); unmount them first or use rm --unmount; nothing was changed`,
  );
}
