// What every command gets: the resolved roots, output streams, colour
// decided per stream, and a way to become interruptible (SIGINT/SIGTERM
// abort a lock wait and release what is held).
import type { Writable } from 'node:stream';
import { InterruptedError } from './store/locks.js';
import type { Roots } from './store/roots.js';
import { makePaint, type Paint } from './render/paint.js';

export interface Ctx {
  roots: Roots;
  json: boolean;
  stdout: Writable;
  stderr: Writable;
  /** Colours for stdout (identity functions when off). */
  paint: Paint;
  out(line?: string): void;
  warn(msg: string): void;
  /** Install signal handlers (once) and return a signal that aborts on SIGINT/SIGTERM. */
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

export function colorWanted(stream: Writable & { isTTY?: boolean }, flag: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export async function makeCtx(o: CtxOptions): Promise<Ctx> {
  const stdout = process.stdout;
  const stderr = process.stderr;
  const color = !o.json && colorWanted(stdout, o.color, o.env);
  let controller: AbortController | undefined;
  const extra: ((sig: NodeJS.Signals) => void)[] = [];
  const ctx: Ctx = {
    roots: o.roots,
    json: o.json,
    stdout,
    stderr,
    paint: await makePaint(color),
    out(line = '') {
      stdout.write(`${line}\n`);
    },
    warn(msg: string) {
      stderr.write(`vcstore: warning: ${msg}\n`);
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
