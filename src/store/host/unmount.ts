// Unmounting what a dead sandbox leaked, deepest first, lazily (umount -l:
// MNT_DETACH), through util-linux umount(8). Runs only after every other
// precondition holds; what it could not unmount is named in the error.
import { StoreError } from '../fs/errors.js';
import { MountTable } from './mounts.js';

const depth = (p: string) => p.split('/').length;

const deepestFirst = (a: string, b: string) => depth(b) - depth(a) || b.length - a.length || (a < b ? -1 : 1);

/** Deepest first, so a mount is never detached while one below it is still there. */
export function unmountOrder(points: string[]): string[] {
  return [...new Set(points)].sort(deepestFirst);
}

/**
 * Every mount to detach, one entry per layer (stacked mounts share a
 * point), deepest first: what a plan lists, so that a layer stacked on a
 * planned point after the plan was shown is more than it said.
 */
export function unmountLayers(points: string[]): string[] {
  return [...points].sort(deepestFirst);
}

/** How many mounts (layers: stacked mounts share a point) each wanted point still has. */
function layers(wanted: Set<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of new MountTable().mounts ?? []) if (wanted.has(m.mountPoint)) out.set(m.mountPoint, (out.get(m.mountPoint) ?? 0) + 1);
  return out;
}

/** Mount points per umount(8) run: small enough that SIGINT is seen within a fraction of a second. */
const BATCH = 64;

/**
 * Detach every mount at `points`, deepest first; stacked mounts need one
 * umount per layer, so it goes round while layers go away. Stops between two
 * batches when `signal` aborts (with its reason). Gives up, naming what is
 * left, when a whole round detached nothing.
 */
export async function unmountAll(points: string[], signal?: AbortSignal): Promise<string[]> {
  const wanted = new Set(points);
  const done = new Set<string>();
  let left = layers(wanted);
  while (left.size) {
    const order = unmountOrder([...left.keys()]);
    for (let i = 0; i < order.length; i += BATCH) {
      // Unmounting is bulk work like any other: a pending signal gets its turn between batches.
      await new Promise<void>((r) => setImmediate(r));
      if (signal?.aborted) throw signal.reason;
      // node:child_process is loaded on first use: every other command starts without it.
      const r = process.getBuiltinModule('node:child_process').spawnSync('umount', ['-l', ...order.slice(i, i + BATCH)], { encoding: 'utf8' });
      if (r.error)
        throw new StoreError(
          `cannot run umount(8): ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed (util-linux mount)' : r.error.message}`,
        );
    }
    const now = layers(wanted);
    let before = 0;
    let after = 0;
    for (const [p, n] of left) {
      before += n;
      after += now.get(p) ?? 0;
      if (!now.has(p)) done.add(p);
    }
    if (after >= before) {
      const rest = [...now.keys()];
      throw new StoreError(`could not unmount ${after} mount${after > 1 ? 's' : ''}: ${rest.slice(0, 3).join(', ')}${rest.length > 3 ? ', …' : ''}`);
    }
    left = now;
  }
  return [...done];
}
