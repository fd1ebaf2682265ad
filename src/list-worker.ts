// A worker thread that inspects a slice of a listing and hands back each
// sandbox rendered (the JSON text, or a table row's plain fields), in order.
// ls starts one on a second core for large stores: see src/commands/ls.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { HostIndex } from './store/host/picture.js';
import { inspectScanned } from './store/inspect/inspect.js';
import { LockIndex } from './store/host/locks.js';
import { scanSandbox } from './store/read/scan.js';
import type { ListJob } from './store/inspect/listing.js';
import { sandboxJson } from './render/json.js';
import { rowFields } from './render/rows.js';
import { checked, type Checked } from './store/inspect/check.js';

const job = workerData as ListJob;
const locks = new LockIndex();
const host = job.host ? HostIndex.from(job.roots, job.host) : undefined;
const out: (string | string[] | Checked | null)[] = [];
const deep = job.mode === 'check';
let i = 0;
for (const e of job.entries) {
  // Every 128 sandboxes: how far along, for the main thread's progress line.
  if ((++i & 127) === 0) parentPort!.postMessage({ progress: i });
  let item: string | string[] | Checked | null = null;
  try {
    const s = inspectScanned(job.roots, scanSandbox(job.roots, e.id, e.hint), { locks, host, deep, ...(deep ? { stuckAfter: job.stuckAfter } : {}) });
    const keep = !job.state || (job.state === 'none' ? s.state === null : s.state === job.state);
    if (deep) item = checked(s);
    else if (keep) item = job.mode === 'json' ? JSON.stringify(sandboxJson(s)) : rowFields(s, job.trunc === true);
  } catch {
    item = null; // gone meanwhile: the main thread's listing would have skipped it too
  }
  out.push(item);
}
parentPort!.postMessage({ result: out });
