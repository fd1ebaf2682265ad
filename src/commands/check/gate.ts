// What decides check's exit code and what its options select: --fail-on,
// --only, the counts by severity, and the one warning for failed workers.
import type { Ctx } from '../../context.js';
import { CANNOT_TELL, CODES, type Finding, UsageError } from '../../store/index.js';

/** --only CODE[,CODE]: every code must be one of check's. */
export function onlyCodes(v: string | undefined): Set<string> | null {
  if (v === undefined) return null;
  const codes = v.split(',').map((c) => c.trim());
  for (const c of codes)
    if (!Object.hasOwn(CODES, c)) throw new UsageError(`--only: unknown code ${JSON.stringify(c)}; the codes are ${Object.keys(CODES).join(', ')}`);
  return new Set(codes);
}

export function summarize(f: Finding[]) {
  return {
    errors: f.filter((x) => x.severity === 'error').length,
    warnings: f.filter((x) => x.severity === 'warning').length,
    info: f.filter((x) => x.severity === 'info').length,
  };
}

/**
 * Does a finding fail the run, under --fail-on (default warning: errors and
 * warnings; error: errors and what could not be told; never: none)? A gate
 * that could not look (another pid namespace, containerd unreachable) is
 * never green.
 */
export const failsOn =
  (failOn = 'warning') =>
  (f: Finding): boolean =>
    failOn === 'error' ? f.severity === 'error' || CANNOT_TELL.has(f.code) : failOn === 'warning' && f.severity !== 'info';

/** One warning however many workers fail: their halves are checked on this thread. */
export function workerWarning(ctx: Ctx): (e: Error) => void {
  let said = false;
  return (e) => {
    if (!said) ctx.warn(`a check worker failed (${e.message.split('\n')[0]}); checking on this thread instead`);
    said = true;
  };
}
