// Option values shared by the commands: lock waits.
import { UsageError } from './store/errors.js';

/** Default lock waits in seconds, documented in --help, the man page and README. */
export const DEFAULT_WAIT = { read: 3, change: 10 } as const;

/** check: a lock holder or waiter older than this many seconds is stuck. */
export const DEFAULT_STUCK_AFTER = 60;

export function parseWait(value: string): number {
  if (value === 'inf' || value === 'infinity' || value === 'forever') return Infinity;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`invalid --wait ${JSON.stringify(value)}: seconds >= 0, or "inf"`);
  return n;
}

export interface WaitOpts {
  wait?: number;
  nonblock?: boolean;
}

export function waitOf(o: WaitOpts, dflt: number): number {
  if (o.nonblock && o.wait !== undefined) throw new UsageError('--nonblock and --wait exclude each other');
  if (o.nonblock) return 0;
  return o.wait ?? dflt;
}

