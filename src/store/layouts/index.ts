// The dispatcher: one Scan decides a sandbox's layout, and the layout module
// does the rest. Adding a layout means adding a module here.
import type { Roots } from '../fs/roots.js';
import type { Scan } from '../read/scan.js';
import { legacy } from './legacy.js';
import { persist } from './persist.js';
import { runtimeRs } from './runtime-rs.js';
import type { LayoutModule } from './types.js';

export type { ContainerInfo, Inspected, ItemRef, LayoutModule, LayoutName } from './types.js';

/** Asked in this order; legacy takes whatever is left. */
const ORDER: readonly LayoutModule[] = [persist, runtimeRs, legacy];

export function layoutOf(sc: Scan, roots: Roots): LayoutModule {
  return ORDER.find((l) => l.detect(sc, roots)) ?? legacy;
}
