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

/** The lock-wait options of a command that waits for a lock. */
export interface WaitOpts {
  wait?: number;
  nonblock?: boolean;
}

/** Seconds to wait for a lock: 0 with --nonblock (which commander refuses beside --wait), --wait's, or the command's default. */
export function waitOf(o: WaitOpts, dflt: number): number {
  if (o.nonblock) return 0;
  return o.wait ?? dflt;
}

/** check: a lock holder or waiter older than this many seconds is stuck. */
export const DEFAULT_STUCK_AFTER = 60;

/** --wait: seconds or a duration (10s, 2m, 1h30m, as --older-than and --every take them), or "inf"; anything else is a usage error (exit 2). */
export function parseWait(value: string): number {
  if (value === 'inf' || value === 'infinity' || value === 'forever') return Infinity;
  return durationOption('--wait', 'such as 10s, 2m, 1h30m, or "inf"')(value);
}

/** An option's seconds or duration, through the one duration parser; anything else is a usage error (exit 2). */
export function durationOption(flag: string, examples = 'such as 90s, 10m, 1h30m'): (value: string) => number {
  return (value) => {
    const n = parseDuration(value);
    // commander reports an error with this code as a usage error (exit 2); no commander import needed.
    if (n === null)
      throw Object.assign(new Error(`invalid ${flag} ${JSON.stringify(value)}: seconds or a duration ${examples}`), { code: 'commander.invalidArgument' });
    return n;
  };
}

const UNIT_SECS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * A duration as Go writes one, with days and weeks too: 90s, 10m, 1h30m,
 * 2d, 1.5h; a bare number is seconds. Null when it is none.
 */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(t)) return null;
  let secs = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) secs += Number(m[1]) * (UNIT_SECS[m[2] ?? 's'] ?? 1);
  return secs;
}
