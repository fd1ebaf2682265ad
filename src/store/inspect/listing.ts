// Listing on a second core: when to, how to start the worker thread
// (src/list-worker.ts), and letting signals through between two pieces of
// synchronous work. One place for ls and check.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostSnapshot } from '../host/picture.js';
import type { Roots } from '../fs/roots.js';
import type { Hint } from '../read/scan.js';

/** From this many sandboxes on, a second core takes half (a worker's start-up costs ~35 ms). */
const PARALLEL_MIN = 2000;

/** Should a listing of `count` sandboxes use worker threads? VCSTORE_WORKERS=0 says never. */
export function parallelListing(count: number): boolean {
  if (count < PARALLEL_MIN || process.env.VCSTORE_WORKERS === '0') return false;
  return os().availableParallelism() > 1;
}

/** Let a pending SIGINT/SIGTERM be delivered: the work in between is synchronous. */
export const yieldToSignals = () => new Promise<void>((r) => setImmediate(r));

export interface ListJob {
  roots: Roots;
  entries: { id: string; hint: Hint }[];
  mode: 'json' | 'row' | 'check';
  /** The host picture's reads (/proc, mountinfo), shared rather than read again; none: no host picture. */
  host?: HostSnapshot;
  trunc?: boolean;
  state?: string;
  /** check: a lock holder or waiter older than this many seconds is stuck. */
  stuckAfter?: number;
}

// Built-in modules loaded only when a worker is started: an empty or small
// listing, and every other command, never pay for them.
type Builtins = { getBuiltinModule(id: 'node:worker_threads'): typeof import('node:worker_threads'); getBuiltinModule(id: 'node:os'): typeof import('node:os') };
const builtin = process as unknown as Builtins;
const os = () => builtin.getBuiltinModule('node:os');

function workerPath(): string {
  // dist/core.cjs, and dist/src/store/workers.js under tsc, both beside or below the worker.
  return typeof __filename === 'string' ? join(dirname(__filename), 'list-worker.cjs') : fileURLToPath(new URL('../list-worker.js', import.meta.url));
}

/**
 * Run `job` in a worker thread; resolves with one result per entry (null:
 * filtered out or gone), in order. The worker is created before this
 * returns: a caller whose own half is synchronous would otherwise start it
 * only afterwards. Aborting terminates it.
 */
export function runListWorker<T>(job: ListJob, o: { signal?: AbortSignal; onProgress?: (done: number) => void; youngMb?: number } = {}): Promise<(T | null)[]> {
  const { Worker } = builtin.getBuiltinModule('node:worker_threads');
  return new Promise((resolve, reject) => {
    const w = new Worker(workerPath(), { workerData: job, ...(o.youngMb ? { resourceLimits: { maxYoungGenerationSizeMb: o.youngMb } } : {}) });
    const stop = () => void w.terminate();
    o.signal?.addEventListener('abort', stop, { once: true });
    w.on('message', (m: { progress?: number; result?: (T | null)[] }) => {
      if (m.progress !== undefined) return o.onProgress?.(m.progress);
      o.signal?.removeEventListener('abort', stop);
      resolve(m.result!);
    });
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(o.signal?.aborted ? o.signal.reason : new Error(`listing worker exited ${code}`)));
  });
}
