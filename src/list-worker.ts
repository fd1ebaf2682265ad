// A worker thread that inspects a slice of a listing and hands back each
// sandbox rendered (the JSON text, or a table row's plain fields), in order.
// ls starts one on a second core for large stores: see src/commands/ls.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { HostIndex } from './store/host.js';
import { inspectScanned } from './store/inspect.js';
import { LockIndex } from './store/locks.js';
import type { Roots } from './store/roots.js';
import { scanSandbox, type Hint } from './store/scan.js';
import { sandboxJson } from './render/json.js';
import { rowFields } from './render/rows.js';
import { checked, type Checked } from './store/check.js';

interface Job {
  roots: Roots;
  entries: { id: string; hint: Hint }[];
  mode: 'json' | 'row' | 'check';
  host: boolean;
  trunc: boolean;
  state?: string;
  /** check: a lock holder or waiter older than this many seconds is stuck. */
  stuckAfter?: number;
}

const job = workerData as Job;
const locks = new LockIndex();
const host = job.host ? new HostIndex(job.roots) : undefined;
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
    else if (keep) item = job.mode === 'json' ? JSON.stringify(sandboxJson(s)) : rowFields(s, job.trunc);
  } catch {
    item = null; // gone meanwhile: the main thread's listing would have skipped it too
  }
  out.push(item);
}
parentPort!.postMessage({ result: out });
