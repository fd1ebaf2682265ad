// What every command gets: the resolved roots, output functions, colour
// decided for stdout, and a way to become interruptible (SIGINT/SIGTERM/
// SIGHUP abort a lock wait and release what is held).
import { isTty, writeErr, writeOut } from './output.js';
import { InterruptedError } from './store/errors.js';
import type { Roots } from './store/roots.js';
import { makePaint, type Paint } from './render/paint.js';

export interface Ctx {
  roots: Roots;
  json: boolean;
  /** Colours for stdout (identity functions when off). */
  paint: Paint;
  /** Write text to stdout as is. */
  write(text: string): void;
  /** One line to stdout. */
  out(line?: string): void;
  /** Text to stderr as is. */
  err(text: string): void;
  warn(msg: string): void;
  /** Install signal handlers (once) and return a signal that aborts on SIGINT/SIGTERM/SIGHUP. */
  interruptible(): AbortSignal;
  /** Extra listeners for a running child (lock -- CMD forwards signals). */
  onSignal(fn: (sig: NodeJS.Signals) => void): void;
}

export interface CtxOptions {
  roots: Roots;
  json: boolean;
  color: boolean | undefined;
  env: NodeJS.ProcessEnv;
}

/** Colour only on a TTY, never with NO_COLOR or --no-color; FORCE_COLOR forces it. */
export async function colorWanted(fd: number, flag: boolean | undefined, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return isTty(fd);
}

export async function makeCtx(o: CtxOptions): Promise<Ctx> {
  const color = !o.json && (await colorWanted(1, o.color, o.env));
  let controller: AbortController | undefined;
  const extra: ((sig: NodeJS.Signals) => void)[] = [];
  const ctx: Ctx = {
    roots: o.roots,
    json: o.json,
    paint: await makePaint(color),
    write: writeOut,
    out(line = '') {
      writeOut(`${line}\n`);
    },
    err: writeErr,
    warn(msg: string) {
      writeErr(`vcstore: warning: ${msg}\n`);
    },
    interruptible() {
      if (!controller) {
        const c = (controller = new AbortController());
        const on = (sig: NodeJS.Signals) => {
          for (const fn of extra) fn(sig);
          if (!c.signal.aborted) c.abort(new InterruptedError(sig));
        };
        process.on('SIGINT', on);
        process.on('SIGTERM', on);
        process.on('SIGHUP', on);
      }
      return controller.signal;
    },
    onSignal(fn) {
      ctx.interruptible();
      extra.push(fn);
    },
  };
  return ctx;
}
