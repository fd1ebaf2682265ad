// Typed errors of the core. The core never prints and never exits: it throws
// one of these, and the CLI's single handler turns it into one line on stderr
// and the exit code it carries.

export const Exit = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  BUSY: 4,
  REFUSED: 5,
  PROBLEMS: 6,
  /** lock SID -- CMD: CMD cannot be run / was not found (the shells' convention). */
  COMMAND_NOT_EXECUTABLE: 126,
  COMMAND_NOT_FOUND: 127,
} as const;
export type ExitCode = (typeof Exit)[keyof typeof Exit];

/** Most severe first: a failure outranks a refusal, a busy lock, a usage error and a missing sandbox. */
const SEVERITY = [Exit.FAILURE, Exit.REFUSED, Exit.BUSY, Exit.USAGE, Exit.NOT_FOUND, Exit.OK] as number[];

/** The exit code of a command that did many things: the most severe of theirs. */
export function worstExit(codes: number[]): number {
  let best = Exit.OK as number;
  for (const c of codes) {
    const rank = SEVERITY.indexOf(c);
    if (rank < 0) return c; // 128+signal and the like outrank everything
    if (rank < SEVERITY.indexOf(best)) best = c;
  }
  return best;
}

export class VcError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

export function isVcError(e: unknown): e is VcError {
  return e instanceof VcError;
}

/** Bad arguments: an invalid ID, an unknown item name, an out-of-range option. */
export class UsageError extends VcError {
  constructor(message: string) {
    super(message, Exit.USAGE);
  }
}

export class NotFoundError extends VcError {
  constructor(message: string) {
    super(message, Exit.NOT_FOUND);
  }
}

export interface Holder {
  pid: number;
  command: string;
  mode: 'exclusive' | 'shared';
  waiting: boolean;
}

/** The lock is held (or the wait ran out). Carries who holds it, when known. */
export class BusyError extends VcError {
  readonly holders: Holder[];
  constructor(message: string, holders: Holder[] = []) {
    super(message, Exit.BUSY);
    this.holders = holders;
  }
}

/** SIGINT/SIGTERM/SIGHUP arrived while waiting or working; 128+signal. */
export class InterruptedError extends VcError {
  constructor(signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`, signal === 'SIGINT' ? 130 : signal === 'SIGHUP' ? 129 : 143);
  }
}

/** The operation would disturb a live sandbox; --force overrides. */
export class RefusedError extends VcError {
  constructor(message: string) {
    super(message, Exit.REFUSED);
  }
}

/** What a StoreError knows besides its message, set once by its constructor. */
export interface StoreErrorFacts {
  path?: string | undefined;
  /** EACCES/EPERM: the handler says which command needs root. */
  permission?: boolean;
  /** The path was a symbolic link that was not followed. */
  symlink?: boolean;
  /** The errno name behind it, when there was one. */
  errno?: string | undefined;
}

/** I/O failure, a corrupt item, a symlink or special file where an item should be. */
export class StoreError extends VcError {
  readonly path: string | undefined;
  readonly permission: boolean;
  readonly symlink: boolean;
  readonly errno: string | undefined;
  constructor(message: string, facts: StoreErrorFacts = {}) {
    super(message, Exit.FAILURE);
    this.path = facts.path;
    this.permission = facts.permission ?? false;
    this.symlink = facts.symlink ?? false;
    this.errno = facts.errno;
  }
}

/** `lock SID -- CMD` could not start CMD: 127 when it is not found, 126 when it cannot be run (the shells' convention). */
export class CommandStartError extends VcError {
  constructor(message: string, reason: 'not-found' | 'not-executable') {
    super(message, reason === 'not-found' ? Exit.COMMAND_NOT_FOUND : Exit.COMMAND_NOT_EXECUTABLE);
  }
}

/** errno names to plain phrases: the one table every OS error goes through. */
const PHRASES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted (an immutable file? see lsattr)',
  ELOOP: 'it is a symbolic link',
  ENOTDIR: 'a path component is not a directory',
  EISDIR: 'it is a directory',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EBUSY: 'resource busy (a mount point?)',
  ENOTEMPTY: 'directory not empty',
  EEXIST: 'already exists',
  EXDEV: 'crosses a file system boundary',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files on the system',
  ENAMETOOLONG: 'path too long',
  EIO: 'input/output error',
  EAGAIN: 'resource temporarily unavailable',
  EWOULDBLOCK: 'resource temporarily unavailable',
  EINTR: 'interrupted system call',
  EINVAL: 'invalid argument',
  ENOLCK: 'no locks available',
  EBADF: 'bad file descriptor',
  ETXTBSY: 'text file busy',
  ESRCH: 'no such process',
  ENXIO: 'no such device or address',
  ENODEV: 'no such device',
  EOPNOTSUPP: 'operation not supported',
  ERR_INVALID_ARG_VALUE: 'the path holds a NUL byte',
  ENOTSUP: 'operation not supported',
};

/** A plain phrase for an errno name or number (never a bare "errno N"). */
export function errnoPhrase(code: string | number | undefined): string {
  if (typeof code === 'number') code = ERRNO_NAMES[code];
  if (code === undefined) return 'unknown error';
  return PHRASES[code] ?? code.toLowerCase();
}

/** Linux errno numbers of the codes above (the flock addon returns numbers). */
const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  3: 'ESRCH',
  4: 'EINTR',
  5: 'EIO',
  6: 'ENXIO',
  9: 'EBADF',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  16: 'EBUSY',
  17: 'EEXIST',
  18: 'EXDEV',
  19: 'ENODEV',
  20: 'ENOTDIR',
  21: 'EISDIR',
  22: 'EINVAL',
  23: 'ENFILE',
  24: 'EMFILE',
  26: 'ETXTBSY',
  28: 'ENOSPC',
  30: 'EROFS',
  36: 'ENAMETOOLONG',
  37: 'ENOLCK',
  39: 'ENOTEMPTY',
  40: 'ELOOP',
  95: 'EOPNOTSUPP',
  122: 'EDQUOT',
};

/**
 * Turn a Node errno error on `path` into one line naming the path once:
 * "cannot <doing> <path>: <phrase>". Permission problems are marked so the
 * handler can name the command that needs root.
 */
export function fromErrno(err: unknown, path: string | undefined, doing: string): VcError {
  if (err instanceof VcError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const where = path ?? (typeof e?.path === 'string' ? e.path : undefined);
  if (code === undefined) return new StoreError(`cannot ${doing}${where ? ` ${where}` : ''}: ${String(e?.message ?? err).split('\n')[0]}`, { path: where });
  if (code === 'ENOENT') return new NotFoundError(`${where ?? 'file'}: no such file or directory`);
  return new StoreError(`cannot ${doing}${where ? ` ${where}` : ''}: ${errnoPhrase(code)}`, {
    path: where,
    errno: code,
    permission: code === 'EACCES' || code === 'EPERM',
    symlink: code === 'ELOOP',
  });
}
