// Listing on a second core: when to, how to start the worker thread
// (src/list-worker.ts), and letting signals through between two pieces of
// synchronous work. One place for ls and check.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import type { HostSnapshot } from '../host/picture.js';
import type { Roots } from '../fs/roots.js';
import type { Hint } from '../read/scan.js';

/** From this many sandboxes on, a second core takes half (a worker's start-up costs ~35 ms). */
const PARALLEL_MIN = 2000;

/** What the wiring read from the environment for listings: worker threads or not, and their young generation. */
export interface ListingSettings {
  /** VCSTORE_WORKERS=0 keeps every listing on one thread. */
  workers: boolean;
  /** A check worker's young generation, in MiB (VCSTORE_WORKER_YOUNG_MB; default 6). */
  youngMb: number;
  /** The addon's fast paths, as the main thread has them (a worker loads its own). */
  addon: boolean;
}

/** Should a listing of `count` sandboxes use worker threads? */
export function parallelListing(count: number, s: ListingSettings): boolean {
  if (count < PARALLEL_MIN || !s.workers) return false;
  return os().availableParallelism() > 1;
}

/** Let a pending SIGINT/SIGTERM be delivered: the work in between is synchronous. */
export const yieldToSignals = () => new Promise<void>((r) => setImmediate(r));

export interface ListJob {
  roots: Roots;
  entries: { id: string; hint: Hint }[];
  /** list: each sandbox's record (ls); check: check's summary of it. */
  mode: 'list' | 'check';
  /** The host picture's reads (/proc, mountinfo), shared rather than read again; none: no host picture. */
  host?: HostSnapshot;
  /** check: a lock holder or waiter older than this many seconds is stuck. */
  stuckAfter?: number;
  /** The addon on or off, as on the main thread. */
  addon: boolean;
}

/** What a worker is given: the job, and the port it hands its results over on. */
export type WorkerData = ListJob & { port: MessagePort };

// Built-in modules loaded only when a worker is started: an empty or small
// listing, and every other command, never pay for them.
const os = () => process.getBuiltinModule('node:os');

function workerPath(): string {
  // dist/core.cjs beside dist/list-worker.cjs; under tsc, dist/src/store/inspect/listing.js below dist/src/list-worker.js.
  return typeof __filename === 'string' ? join(dirname(__filename), 'list-worker.cjs') : fileURLToPath(new URL('../../list-worker.js', import.meta.url));
}

/** How many results a worker hands over in one message. */
export const CHUNK = 256;

/**
 * Run `job` in a worker thread; resolves, once the worker is done, with its
 * results (one per entry, null: filtered out or gone), in order. The worker
 * posts them a chunk at a time to a port nobody listens on, so they wait
 * there in their compact serialized form (neither thread's heap holds them
 * all), and iterating takes one chunk off the port at a time. The worker is
 * created before this returns: a caller whose own half is synchronous would
 * otherwise start it only afterwards. Aborting terminates it.
 */
export function runListWorker<T>(
  job: ListJob,
  o: { signal?: AbortSignal; onProgress?: (done: number) => void; youngMb?: number } = {},
): Promise<Iterable<T | null>> {
  const { Worker, MessageChannel, receiveMessageOnPort } = process.getBuiltinModule('node:worker_threads');
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve, reject) => {
    const w = new Worker(workerPath(), {
      workerData: { ...job, port: port2 },
      transferList: [port2],
      ...(o.youngMb ? { resourceLimits: { maxYoungGenerationSizeMb: o.youngMb } } : {}),
    });
    const stop = () => void w.terminate();
    o.signal?.addEventListener('abort', stop, { once: true });
    w.on('message', (m: { progress?: number; done?: number }) => {
      if (m.progress !== undefined) return o.onProgress?.(m.progress);
      o.signal?.removeEventListener('abort', stop);
      const total = m.done ?? 0;
      resolve({
        *[Symbol.iterator]() {
          for (let got = 0; got < total;) {
            const chunk = receiveMessageOnPort(port1)?.message as (T | null)[] | undefined;
            if (!chunk) throw new Error(`listing worker handed over ${got} of ${total} results`);
            got += chunk.length;
            yield* chunk;
          }
          port1.close();
        },
      });
    });
    w.once('error', reject);
    // Any exit before it said it was done fails the listing (its half is then listed here), exit 0 too.
    w.once('exit', (code) => reject(o.signal?.aborted ? o.signal.reason : new Error(`listing worker exited ${code} before it was done`)));
  });
}
