// A worker thread that inspects a slice of a listing and hands back each
// sandbox as plain data (its record, or check's summary of it), in order;
// the main thread renders. ls and check start it on a second core for
// large stores: see src/store/inspect/listing.ts.
import { parentPort, workerData } from 'node:worker_threads';
import {
  checked,
  type Checked,
  CHUNK,
  HostIndex,
  inspectScanned,
  lazyProcs,
  LockIndex,
  type SandboxInfo,
  scanSandbox,
  useAddon,
  type WorkerData,
} from './store/index.js';

const job = workerData as WorkerData;
useAddon(job.addon);
const locks = new LockIndex();
const host = job.host ? HostIndex.from(job.roots, job.host) : undefined;
const procs = host ? undefined : lazyProcs();
let out: (SandboxInfo | Checked | null)[] = [];
const deep = job.mode === 'check';
let i = 0;
for (const e of job.entries) {
  // Every 128 sandboxes: how far along, for the main thread's progress line.
  if ((++i & 127) === 0) parentPort?.postMessage({ progress: i });
  let item: SandboxInfo | Checked | null;
  try {
    const s = inspectScanned(job.roots, scanSandbox(job.roots, e.id, e.hint), {
      locks,
      host,
      procs,
      deep,
      noSlots: !deep,
      ...(deep ? { stuckAfter: job.stuckAfter } : {}),
    });
    item = deep ? checked(s) : s;
  } catch {
    item = null; // gone meanwhile: the main thread's listing would have skipped it too
  }
  out.push(item);
  if (out.length === CHUNK) {
    job.port.postMessage(out);
    out = [];
  }
}
if (out.length) job.port.postMessage(out);
parentPort?.postMessage({ done: job.entries.length });
