// Option values shared by the commands: lock waits.
import { UsageError } from './store/fs/errors.js';

export { DEFAULT_STUCK_AFTER, DEFAULT_WAIT } from './defaults.js';

export interface WaitOpts {
  wait?: number;
  nonblock?: boolean;
}

export function waitOf(o: WaitOpts, dflt: number): number {
  if (o.nonblock && o.wait !== undefined) throw new UsageError('--nonblock and --wait exclude each other');
  if (o.nonblock) return 0;
  return o.wait ?? dflt;
}
