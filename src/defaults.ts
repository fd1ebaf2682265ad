// Option defaults and parsers the CLI wiring needs before any command runs.
// No store code here: `vcstore --version` and `--help` load nothing else.

/** The version (package.json's; a docs test keeps them equal). */
export const VERSION = '0.1.0';

/** Default lock waits in seconds, documented in --help, the man page and README. */
export const DEFAULT_WAIT = { read: 3, change: 10 } as const;

/**
 * Exit codes, as the core's Exit table has them (kept here so --help needs
 * no core), each with the line --help and the man page give it.
 */
export const EXIT_TEXT = {
  0: 'success',
  1: 'failure (I/O error, corrupt item, refusing a symlink or special file)',
  2: 'usage error, invalid or ambiguous ID',
  3: 'not found (sandbox, container, item, the --prefix directory)',
  4: 'busy: the lock is held, or the wait ran out',
  5: 'refused: a live sandbox, liveness that cannot be told, a runtime process naming it, or mounts below it',
  6: 'check found problems',
  126: 'lock -- CMD: CMD cannot be run',
  127: 'lock -- CMD: CMD not found',
  130: 'interrupted by SIGINT (143: SIGTERM, 129: SIGHUP)',
} as const;

/** check: a lock holder or waiter older than this many seconds is stuck. */
export const DEFAULT_STUCK_AFTER = 60;

/** --wait SECS: seconds >= 0, or "inf"; anything else is a usage error (exit 2). */
export function parseWait(value: string): number {
  if (value === 'inf' || value === 'infinity' || value === 'forever') return Infinity;
  const n = Number(value);
  // commander reports an error with this code as a usage error (exit 2); no commander import needed.
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw Object.assign(new Error(`invalid --wait ${JSON.stringify(value)}: seconds >= 0, or "inf"`), { code: 'commander.invalidArgument' });
  return n;
}
