// The core's one entry. Everything outside src/store/ (the wiring, the
// commands, the renderers, the listing worker) reaches the core through
// these names and no others; lint refuses a deep import
// (eslint.config.js). The build bundles this file (with render/ and
// context.ts) as dist/core.cjs, so these are also the bundle's exports.
// Grouped by job, as ARCHITECTURE.md describes the folders.

// Errors and exit codes.
export { BusyError, Exit, fromErrno, InterruptedError, isVcError, NotFoundError, RefusedError, UsageError, VcError, worstExit } from './fs/errors.js';
export type { Holder } from './fs/errors.js';

// Where things are, and reading and writing single files.
export { requirePrefix, requireSomeRoot, resolveRoots, type Roots } from './fs/roots.js';
export { containerPaths, sandboxPaths } from './fs/paths.js';
export { isValidId, validateId } from './fs/ids.js';
export { lstatOrUndef, onPath, readInput, readTextIfAny } from './fs/read.js';
export { atomicWrite, removeFileIfAny } from './fs/write.js';
export { ageSecs, humanAge, humanSize, parseDuration } from './fs/units.js';
export { field } from './fs/gojson.js';
export { litText, litValue, type Lit } from './fs/jsonlit.js';
export { addonTarget, lockBackend, useAddon } from './fs/addon.js';

// The host: locks, processes, mounts, the container manager.
export { runHolding, withLock } from './host/guard.js';
export { describeHolders, LockIndex, type LockReport } from './host/locks.js';
export { HostIndex, type HostPicture } from './host/picture.js';
export { lazyProcs } from './host/procs.js';
export { DEFAULT_CONTAINERD_SOCKET } from './host/containerd.js';
export { criKnown, type CriView } from './host/cri.js';
export { askCri, type CriWhere } from './host/cri-endpoint.js';

// Reading the store.
export { CANNOT_TELL, CODES, type Code, type Problem } from './read/problems.js';
export { rootListing, scanSandbox, trashIndex } from './read/scan.js';
export { STATES } from './layouts/items.js';
export type { ItemRef } from './layouts/index.js';
export type { Pod } from './layouts/pod.js';

// Whole sandboxes: finding them, listing them, checking them.
export {
  containerIds,
  isPodName,
  isPodTarget,
  matchContainer,
  openTarget,
  parseTarget,
  resolveContainer,
  resolveOne,
  resolveSandbox,
  type Resolved,
} from './inspect/targets.js';
export { itemFiles, itemOf, openSandbox, requireContainer, requireLockTarget, requireSandbox, type ItemFile, type SandboxHandle } from './inspect/handle.js';
export { inspectScanned, podsOf, type SandboxInfo } from './inspect/inspect.js';
export { listSandboxes } from './inspect/list.js';
export { CHUNK, type ListingSettings, type WorkerData } from './inspect/listing.js';
export { HYPERVISORS, selection } from './inspect/select.js';
export { check, checked, removedWhole, settleFixable, WHOLE, type Checked, type CheckOptions, type CheckReport, type Finding } from './inspect/check.js';
export { parseSlot, readUuidStore } from './inspect/uuid.js';

// Changing the store.
export { createRaw, rawDir, rawItems, setItem, type RawItem } from './ops/edit.js';
export { removeContainer, removeSandboxes, type Planned, type RemoveOptions, type RemoveResult } from './ops/remove.js';
export { actionKey, fix, type FixAction } from './ops/fix.js';
export { freeUuidSlot } from './ops/uuid.js';
