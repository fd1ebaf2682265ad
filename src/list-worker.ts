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

interface Job {
  roots: Roots;
  entries: { id: string; hint: Hint }[];
  mode: 'json' | 'row';
  host: boolean;
  trunc: boolean;
  state?: string;
}

const job = workerData as Job;
const locks = new LockIndex();
const host = job.host ? new HostIndex(job.roots) : undefined;
const out: (string | string[] | null)[] = [];
for (const e of job.entries) {
  let item: string | string[] | null = null;
  try {
    const s = inspectScanned(job.roots, scanSandbox(job.roots, e.id, e.hint), { locks, host });
    const keep = !job.state || (job.state === 'none' ? s.state === null : s.state === job.state);
    if (keep) item = job.mode === 'json' ? JSON.stringify(sandboxJson(s)) : rowFields(s, job.trunc);
  } catch {
    item = null; // gone meanwhile: the main thread's listing would have skipped it too
  }
  out.push(item);
}
parentPort!.postMessage(out);
