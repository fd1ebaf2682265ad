// The one place an error becomes the line a person reads: one line, the path
// named once, the command that needs root named on a permission problem, and
// OS errors through the errno table (never a raw "EACCES: …" or "errno N").
import { fromErrno, isVcError } from '../store/base.js';
import { termSafe } from './safe.js';

/** An expected error as one line (without the "vcstore: " prefix); undefined for a bug. */
export function errorText(err: unknown, command: string): string | undefined {
  let e = err;
  // A Node errno error that escaped the core still gets the table's phrase.
  const syscall = (e as NodeJS.ErrnoException | undefined)?.syscall;
  if (!isVcError(e) && typeof (e as NodeJS.ErrnoException | undefined)?.code === 'string' && typeof syscall === 'string') e = fromErrno(e, undefined, syscall);
  if (!isVcError(e)) return undefined;
  const who = (e as { permission?: boolean }).permission ? `; ${command ? `'vcstore ${command}'` : 'vcstore'} needs root or the store's owner` : '';
  return termSafe(`${e.message.split('\n')[0]}${who}`);
}

export function exitCodeOf(err: unknown): number {
  if (isVcError(err)) return err.exitCode;
  return 1;
}
