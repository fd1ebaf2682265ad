// Option defaults and parsers the CLI wiring needs before any command runs.
// No store code here: `vcstore --version` and `--help` load nothing else.

/** The version (package.json's; a docs test keeps them equal). */
export const VERSION = '0.1.0';

/** Default lock waits in seconds, documented in --help, the man page and README. */
export const DEFAULT_WAIT = { read: 3, change: 10 } as const;

/** check: a lock holder or waiter older than this many seconds is stuck. */
export const DEFAULT_STUCK_AFTER = 60;

/** --wait SECS: seconds >= 0, or "inf"; anything else is a usage error (exit 2). */
export function parseWait(value: string): number {
  if (value === 'inf' || value === 'infinity' || value === 'forever') return Infinity;
  const n = Number(value);
  // commander reports an error with this code as a usage error (exit 2); no commander import needed.
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw Object.assign(new Error(`invalid --wait ${JSON.stringify(value)}: seconds >= 0, or "inf"`), { code: 'commander.invalidArgument' });
  return n;
}
