// What every command gets: the resolved roots, output functions (to the
// process's fds, or to a test's buffers), colour decided for stdout, one way
// to report an error, and a way to become interruptible (SIGINT/SIGTERM/
// SIGHUP abort a lock wait or stop bulk work between two sandboxes).
import { InterruptedError, type ListingSettings, type Roots } from './store/base.js';
import { makePaint, type Paint } from './render/paint.js';
import { errorText } from './render/errors.js';
import { Progress } from './render/progress.js';

/** Where output goes: fds 1 and 2 for the binary, buffers for in-process tests. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Is stdout a terminal? */
  isTty(fd: 1 | 2): Promise<boolean>;
  /** The width of stdout's terminal in columns; absent: the process's own (process.stdout.columns). */
  columns?(): number | undefined;
  /** Ask a person on the terminal; null where there is none to ask (stdin or stderr no terminal). */
  ask?(question: string, signal?: AbortSignal): Promise<string | null>;
}

export interface Ctx {
  roots: Roots;
  /** What the wiring read from the environment for listings (workers, the addon). */
  settings: ListingSettings;
  json: boolean;
  /** $PATH as the wiring was given it (which tools a next step may name). */
  /** Where crictl's endpoint rules look in the environment: CONTAINER_RUNTIME_ENDPOINT, CRI_CONFIG_FILE. */
  criEnv: { CONTAINER_RUNTIME_ENDPOINT?: string; CRI_CONFIG_FILE?: string };
  searchPath: string;
  /** The command word(s), for messages ("uuid free"). */
  command: string;
  /** Colours for stdout (identity functions when off). */
  paint: Paint;
  /** Is stdout a terminal? Off one, output is for a program (`show SID ITEM | jq`): only what it asked for. */
  stdoutTty: boolean;
  /**
   * How wide a line may be: the terminal's columns when stdout is one (tables
   * are cut to fit it); undefined off a terminal, where nothing is ever cut.
   * Read when first asked for (only commands that draw a table pay for it).
   */
  readonly width: number | undefined;
  /** Write text to stdout as is. */
  write(text: string): void;
  /** One line to stdout. */
  out(line?: string): void;
  /** Text to stderr as is. */
  err(text: string): void;
  warn(msg: string): void;
  /** An error's one line, as the handler would print it. */
  errorText(e: unknown): string;
  /** Print an error's one line on stderr (for per-item failures of a bulk command). */
  fail(e: unknown): void;
  /** Has anything been written to stdout? (--json: then the document is out.) */
  readonly wrote: boolean;
  /** Install signal handlers (once) and return a signal that aborts on SIGINT/SIGTERM/SIGHUP. */
  interruptible(): AbortSignal;
  /** Extra listeners for a running child (lock -- CMD forwards signals). */
  onSignal(fn: (sig: NodeJS.Signals) => void): void;
  /** Remove the signal handlers again and clear any progress line. */
  dispose(): void;
  /**
   * A progress line for `total` units on stderr, or null where none may be
   * drawn: stderr not a terminal, --json, --no-progress, VCSTORE_NO_PROGRESS,
   * NO_COLOR or TERM=dumb.
   */
  progress(total: number, unit: string): Progress | null;
  /** Clear the progress line, if one is drawn (before writing anything else). */
  quiet(): void;
  /**
   * What a lock wait says on a terminal once it lasts longer than a moment:
   * who holds `what` and how not to wait (`how`); undefined off a terminal
   * or under --json, where nothing is said.
   */
  waitNotice(what: string, how: string): ((holders: string) => void) | undefined;
  /**
   * Ask once before changing anything: true to go ahead, false when the
   * person says no; null when there is no terminal to ask (go ahead, as
   * scripts always did).
   */
  confirm(question: string, signal?: AbortSignal): Promise<boolean | null>;
}

export interface CtxOptions {
  roots: Roots;
  settings: ListingSettings;
  json: boolean;
  color: boolean | undefined;
  env: NodeJS.ProcessEnv;
  io: Io;
  command: string;
  /** --no-progress */
  noProgress?: boolean;
}

/**
 * The terminal's width: what the terminal says (TIOCGWINSZ, through Node's
 * tty stream); where it says nothing (0: a serial console), $COLUMNS; else
 * undefined, and nothing is cut.
 */
export function terminalWidth(io: Io, env: NodeJS.ProcessEnv): number | undefined {
  const said = io.columns ? io.columns() : process.stdout.columns;
  if (said !== undefined && Number.isInteger(said) && said > 0) return said;
  const columns = Number(env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : undefined;
}

/** Colour only on a TTY, never with NO_COLOR or --no-color; FORCE_COLOR forces it. */
export async function colorWanted(io: Io, flag: boolean | undefined, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return io.isTty(1);
}

export async function makeCtx(o: CtxOptions): Promise<Ctx> {
  const color = !o.json && (await colorWanted(o.io, o.color, o.env));
  const env = o.env;
  const stderrTty = await o.io.isTty(2);
  const progressAllowed =
    !o.json &&
    !o.noProgress &&
    !(env.VCSTORE_NO_PROGRESS && env.VCSTORE_NO_PROGRESS !== '0') &&
    !(env.NO_COLOR !== undefined && env.NO_COLOR !== '') &&
    env.TERM !== 'dumb' &&
    stderrTty;
  let bar: Progress | null = null;
  let controller: AbortController | undefined;
  const extra: ((sig: NodeJS.Signals) => void)[] = [];
  let wrote = false;
  let handler: ((sig: NodeJS.Signals) => void) | undefined;
  const stdoutTty = await o.io.isTty(1);
  let width: number | undefined | null = null;
  const write = (text: string) => {
    bar?.clear();
    wrote = true;
    o.io.stdout(text);
  };
  const stderr = (text: string) => {
    bar?.clear();
    o.io.stderr(text);
  };
  const ctx: Ctx = {
    roots: o.roots,
    settings: o.settings,
    json: o.json,
    searchPath: o.env.PATH ?? '',
    criEnv: { CONTAINER_RUNTIME_ENDPOINT: o.env.CONTAINER_RUNTIME_ENDPOINT, CRI_CONFIG_FILE: o.env.CRI_CONFIG_FILE },
    command: o.command,
    paint: await makePaint(color),
    stdoutTty,
    get width() {
      if (width === null) width = stdoutTty ? terminalWidth(o.io, env) : undefined;
      return width;
    },
    waitNotice: (what, how) => (stderrTty && !o.json ? (holders) => stderr(`vcstore: waiting for the lock of ${what}, ${holders}; ${how}\n`) : undefined),
    write,
    out(line = '') {
      write(`${line}\n`);
    },
    err: stderr,
    warn(msg: string) {
      stderr(`vcstore: warning: ${msg}\n`);
    },
    errorText: (e) => errorText(e, o.command) ?? String((e as Error)?.message ?? e),
    fail(e) {
      stderr(`vcstore: ${ctx.errorText(e)}\n`);
    },
    get wrote() {
      return wrote;
    },
    interruptible() {
      if (!controller) {
        const c = (controller = new AbortController());
        handler = (sig: NodeJS.Signals) => {
          for (const fn of extra) fn(sig);
          if (!c.signal.aborted) c.abort(new InterruptedError(sig));
        };
        process.on('SIGINT', handler);
        process.on('SIGTERM', handler);
        process.on('SIGHUP', handler);
      }
      return controller.signal;
    },
    async confirm(question, signal) {
      bar?.clear();
      const answer = o.io.ask ? await o.io.ask(`${question} [y/N] `, signal) : null;
      return answer === null ? null : /^\s*y(es)?\s*$/i.test(answer);
    },
    onSignal(fn) {
      ctx.interruptible();
      extra.push(fn);
    },
    progress(total, unit) {
      if (!progressAllowed || ctx.json) return null;
      bar = new Progress((t) => o.io.stderr(t), total, unit);
      return bar;
    },
    quiet() {
      bar?.clear();
    },
    dispose() {
      bar?.clear();
      if (!handler) return;
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      process.off('SIGHUP', handler);
    },
  };
  return ctx;
}
