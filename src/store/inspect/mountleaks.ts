// Mounts under a live sandbox's shared dir that no current container
// accounts for (runtime#2816: ~20,000 mounts under one container's mounts/
// in two hours, the pod alive). The Go runtime shares a container's rootfs
// as mounts/<cid>/… and its volumes as mounts/<cid>-<hex>-<name> (and
// mounts/watchable/…), bound read-only into shared/. Reported, never fixed:
// nothing under a live sandbox is unmounted by vcstore.
import type { Mount } from '../host/mounts.js';
import { realish } from '../host/mounts.js';
import { problem, type Problem } from '../read/problems.js';

/** More mounts than this for one container is far above any pod's norm (a rootfs and its volumes). */
export const EXCESSIVE_MOUNTS = 1000;

/** The container an entry of mounts/ or shared/ belongs to: `<cid>` or `<cid>-<hex>-<name>`. */
function ownerOf(entry: string, containers: readonly string[]): string | null {
  for (const c of containers) if (entry === c || entry.startsWith(`${c}-`)) return c;
  return null;
}

/** The name a removed container's entry carries: the part before its first `-<16 hex>-`, or the entry. */
const leftBy = (entry: string) => /^(.+?)-[0-9a-f]{16}-/.exec(entry)?.[1] ?? entry;

export function containerMountLeaks(shared: string, mounts: readonly Mount[], containers: readonly string[]): Problem[] {
  const base = `${realish(shared)}/`;
  const orphans = new Map<string, string[]>();
  const perContainer = new Map<string, number>();
  for (const m of mounts) {
    if (!m.mountPoint.startsWith(base)) continue;
    const parts = m.mountPoint.slice(base.length).split('/');
    if (parts[0] !== 'mounts' && parts[0] !== 'shared') continue;
    const entry = parts[1] === 'watchable' ? parts[2] : parts[1];
    if (!entry) continue;
    const owner = ownerOf(entry, containers);
    if (owner) perContainer.set(owner, (perContainer.get(owner) ?? 0) + 1);
    else {
      const who = leftBy(entry);
      const list = orphans.get(who) ?? [];
      list.push(m.mountPoint);
      orphans.set(who, list);
    }
  }
  const out: Problem[] = [];
  for (const [who, points] of orphans)
    out.push(
      problem('mounts-leaked', { count: points.length, live: true, removedContainer: who, mountPoints: points.slice(0, 5), shared }, { severity: 'warning' }),
    );
  for (const [cid, n] of perContainer)
    if (n > EXCESSIVE_MOUNTS)
      out.push(problem('mounts-leaked', { count: n, live: true, excessive: true, mountPoints: [], shared }, { severity: 'warning', container: cid }));
  return out;
}
