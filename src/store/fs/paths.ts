// Path arithmetic for sandboxes, containers and items. Every ID is checked
// before a path is built from it, so no path can lead out of its root.
import { validateId } from './ids.js';
import type { Roots } from './roots.js';

export interface SandboxPaths {
  config: string;
  runtime: string;
  vm: string;
  lock: string;
}

export function sandboxPaths(roots: Roots, sid: string): SandboxPaths {
  validateId(sid);
  // Roots are normalized absolute paths and IDs are validated: plain
  // concatenation is exact, and path.join is measurably slow in a listing.
  const runtime = `${roots.run}/${sid}`;
  return { config: `${roots.config}/${sid}`, runtime, vm: `${roots.vm}/${sid}`, lock: `${runtime}/lock` };
}

export function containerPaths(roots: Roots, sid: string, cid: string): { config: string; runtime: string } {
  validateId(sid);
  validateId(cid, 'container ID');
  return { config: `${roots.config}/${sid}/${cid}`, runtime: `${roots.run}/${sid}/${cid}` };
}
