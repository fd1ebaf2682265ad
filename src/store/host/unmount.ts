// Unmounting what a dead sandbox leaked, deepest first, lazily (umount -l:
// MNT_DETACH), through util-linux umount(8). Runs only after every other
// precondition holds; what it could not unmount is named in the error.
import { spawnSync } from 'node:child_process';
import { StoreError } from '../fs/errors.js';
import { MountTable } from './mounts.js';

const depth = (p: string) => p.split('/').length;

/** Deepest first, so a mount is never detached while one below it is still there. */
export function unmountOrder(points: string[]): string[] {
  return [...new Set(points)].sort((a, b) => depth(b) - depth(a) || b.length - a.length || (a < b ? -1 : 1));
}

export function unmountAll(points: string[]): string[] {
  const wanted = new Set(points);
  const done: string[] = [];
  // Stacked mounts need one umount per layer: go round until none is left or nothing moves.
  for (let round = 0; round < 16; round++) {
    const still = (new MountTable().mounts ?? []).map((m) => m.mountPoint).filter((p) => wanted.has(p));
    if (!still.length) return done;
    const order = unmountOrder(still);
    for (let i = 0; i < order.length; i += 256) {
      const batch = order.slice(i, i + 256);
      const r = spawnSync('umount', ['-l', ...batch], { encoding: 'utf8' });
      if (r.error)
        throw new StoreError(
          `cannot run umount(8): ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed (util-linux mount)' : r.error.message}`,
        );
    }
    const after = new Set((new MountTable().mounts ?? []).map((m) => m.mountPoint));
    const moved = still.filter((p) => !after.has(p));
    done.push(...moved);
    if (!moved.length && still.every((p) => after.has(p))) {
      // A stacked mount may have lost a layer without disappearing; only give up when nothing changed at all.
      const before = still.length;
      const now = still.filter((p) => after.has(p)).length;
      if (now === before && round > 0)
        throw new StoreError(`could not unmount ${now} mount${now > 1 ? 's' : ''}: ${still.slice(0, 3).join(', ')}${now > 3 ? ', …' : ''}`);
    }
  }
  return done;
}
