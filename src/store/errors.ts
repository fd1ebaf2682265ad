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
} as const;
export type ExitCode = (typeof Exit)[keyof typeof Exit];

export class VcError extends Error {
  readonly exitCode: number;
  /** Brand: commands are bundled apart from the CLI, so instanceof cannot cross them. */
  readonly vcstore = true;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

export function isVcError(e: unknown): e is VcError {
  return typeof e === 'object' && e !== null && (e as { vcstore?: unknown }).vcstore === true && typeof (e as { exitCode?: unknown }).exitCode === 'number';
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

/** I/O failure, a corrupt item, a symlink or special file where an item should be. */
export class StoreError extends VcError {
  readonly path: string | undefined;
  /** Set for EACCES/EPERM: the handler says which command needs root. */
  permission = false;
  constructor(message: string, path?: string) {
    super(message, Exit.FAILURE);
    this.path = path;
  }
}

/** Turn a Node errno error on `path` into a one-line StoreError/NotFoundError. */
export function fromErrno(err: unknown, path: string, doing: string): VcError {
  if (err instanceof VcError) return err;
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return new NotFoundError(`${path}: no such file or directory`);
    case 'EACCES':
    case 'EPERM': {
      const err = new StoreError(`cannot ${doing} ${path}: permission denied`, path);
      err.permission = true;
      return err;
    }
    case 'ELOOP':
      return new StoreError(`refusing to ${doing} ${path}: it is a symbolic link`, path);
    case 'ENOTDIR':
      return new StoreError(`cannot ${doing} ${path}: a path component is not a directory`, path);
    case 'EISDIR':
      return new StoreError(`cannot ${doing} ${path}: it is a directory`, path);
    case 'ENOSPC':
      return new StoreError(`cannot ${doing} ${path}: no space left on device`, path);
    case 'EROFS':
      return new StoreError(`cannot ${doing} ${path}: read-only file system`, path);
    default:
      return new StoreError(`cannot ${doing} ${path}: ${e?.message ?? String(err)}`, path);
  }
}
