// The core's start-up entry: what every command needs before it touches a
// sandbox (errors, roots, the addon switch, units), and what an empty
// listing needs (the root listing, the selection options). The build makes
// it, with the context and the renderers that need nothing more, a small
// bundle of its own (dist/core-base.cjs), so `ls` on an empty store never
// compiles the rest of the core. Everything here is also in the façade
// (index.ts); import from here only what must load before a sandbox is seen.
export { BusyError, Exit, fromErrno, InterruptedError, isVcError, NotFoundError, RefusedError, UsageError, VcError, worstExit } from './fs/errors.js';
export type { Holder } from './fs/errors.js';
export { requirePrefix, requireSomeRoot, resolveRoots, type Roots } from './fs/roots.js';
export { addonTarget, lockBackend, useAddon } from './fs/addon.js';
export { ageSecs, humanAge, humanSize, parseDuration } from './fs/units.js';
export { field } from './fs/gojson.js';
export { rootListing } from './read/scan.js';
export { HYPERVISORS, selection } from './inspect/select.js';
export type { ListingSettings } from './inspect/listing.js';
export type { Problem } from './read/problems.js';
export type { Pod } from './layouts/pod.js';
export type { SandboxInfo } from './inspect/inspect.js';
export type { HostPicture } from './host/picture.js';
