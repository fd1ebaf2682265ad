// The command layer's wiring: the declarations of src/program.ts, each
// command loaded lazily from src/commands/<name>.ts, the environment read
// once into the context, and the one error handler that maps errors to a
// line on stderr and an exit code.
import { CommanderError, type Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import type { Ctx, Io } from './context.js';
import { processIo } from './output.js';
import { EXIT_TEXT, VERSION } from './defaults.js';
import * as decl from './program.js';

export { VERSION };

// The core's start-up part (store/base.ts, context, renderers) is loaded only
// when a command runs or fails: --version and --help never pay for it; the
// rest of the core only when a command reaches a sandbox.
const core = async () => {
  const [{ makeCtx }, { UsageError, resolveRoots, requirePrefix, useAddon }, render] = await Promise.all([
    import('./context.js'),
    import('./store/base.js'),
    import('./render/errors.js'),
  ]);
  return { makeCtx, resolveRoots, requirePrefix, useAddon, UsageError, errorText: render.errorText, exitCodeOf: render.exitCodeOf };
};

/** Exit codes, as the core's Exit table has them (kept here so usage errors need no core). */
const EXIT_USAGE = 2;

const EXIT_HELP = `
Exit status:
${Object.entries(EXIT_TEXT)
  .map(([c, t]) => `  ${c.padEnd(7)}  ${t}`)
  .join('\n')}`;

/** A command's run, checked against its declaration: its arguments, its options, then the command. */
type Run<Args extends unknown[], Opts> = (ctx: Ctx, ...args: [...Args, Opts, CommandUnknownOpts]) => number | void | Promise<number | void>;

/** What the wiring reads from the environment, once: the switches the core is given. */
export function settingsFrom(env: NodeJS.ProcessEnv) {
  return {
    workers: env.VCSTORE_WORKERS !== '0',
    youngMb: Number(env.VCSTORE_WORKER_YOUNG_MB) || 6,
    addon: env.VCSTORE_ADDON !== '0',
  };
}

export function buildProgram(io: Io = processIo, env: NodeJS.ProcessEnv = process.env, state: RunState = { code: 0 }) {
  const program = decl.programOf().addHelpText('after', EXIT_HELP);

  const wire = <Args extends unknown[], Opts extends Record<string, unknown>, G extends Record<string, unknown>>(
    cmd: Command<Args, Opts, G>,
    load: () => Promise<NoInfer<Run<Args, Opts>>>,
  ) =>
    cmd.action(async (...args) => {
      const self = args[args.length - 1] as CommandUnknownOpts;
      const opts = self.optsWithGlobals() as { prefix?: string; json?: boolean; color?: boolean; progress?: boolean };
      const { makeCtx, resolveRoots, requirePrefix, useAddon, UsageError } = await core();
      // An empty prefix would silently mean the host's real store: an unset
      // variable in a cleanup script must not get there.
      if (opts.prefix === '') throw new UsageError('empty --prefix (or VCSTORE_PREFIX=): give a directory, or leave it unset for the host store');
      const settings = settingsFrom(env);
      useAddon(settings.addon);
      const parent = self.parent;
      const ctx = await makeCtx({
        roots: resolveRoots({ prefix: opts.prefix, env }),
        settings,
        json: Boolean(opts.json),
        color: opts.color,
        env,
        io,
        noProgress: opts.progress === false,
        command: parent && parent.name() !== 'vcstore' ? `${parent.name()} ${self.name()}` : self.name(),
      });
      state.ctx = ctx;
      // A --prefix that does not exist is an error, not an empty store (path is arithmetic; completion stays quiet).
      if (!['path', 'completion', '__complete'].includes(self.name())) requirePrefix(ctx.roots);
      const run = await load();
      const code = await run(ctx, ...(args as unknown as [...Args, Opts, CommandUnknownOpts]));
      if (typeof code === 'number') state.code = code;
    });

  wire(decl.ls(program), async () => (await import('./commands/ls.js')).run);
  wire(decl.show(program), async () => (await import('./commands/show.js')).run);
  wire(decl.path(program), async () => (await import('./commands/path.js')).run);
  wire(decl.lock(program), async () => (await import('./commands/lock.js')).run);
  wire(decl.rm(program), async () => (await import('./commands/rm.js')).run);
  wire(decl.raw(program), async () => (await import('./commands/raw.js')).run);
  const uuid = decl.uuid(program);
  wire(uuid, async () => (await import('./commands/uuid.js')).run);
  wire(decl.uuidFree(uuid), async () => (await import('./commands/uuid.js')).free);
  wire(decl.set(program), async () => (await import('./commands/set.js')).run);
  wire(decl.check(program), async () => (await import('./commands/check.js')).run);
  wire(decl.completion(program), async () => (await import('./commands/completion.js')).run);
  wire(decl.complete(program), async () => (await import('./commands/complete.js')).run);

  const output = {
    writeOut: (str: string) => io.stdout(str),
    writeErr: (str: string) => io.stderr(str),
    outputError: (str: string, write: (s: string) => void) => {
      state.usage = str.replace(/^error: /, '').trimEnd();
      write(`vcstore: ${state.usage}\n`);
    },
  };
  program.exitOverride();
  program.configureOutput(output);
  const walk = (c: CommandUnknownOpts) => {
    for (const sub of c.commands) {
      sub.exitOverride();
      sub.configureOutput(output);
      walk(sub);
    }
  };
  walk(program);
  return program;
}

export interface RunState {
  code: number;
  ctx?: Ctx;
  /** commander's own usage message, when it printed one. */
  usage?: string;
}

/**
 * The one place errors become messages and exit codes: one line on stderr
 * and, under --json, exactly one JSON document on stdout.
 */
export async function handleError(err: unknown, io: Io, command: string, json: boolean, state: RunState): Promise<number> {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    // commander already printed its one line
    if (json) io.stdout(`${JSON.stringify({ error: { code: EXIT_USAGE, message: state.usage ?? err.message } })}\n`);
    return EXIT_USAGE;
  }
  const { errorText, exitCodeOf } = await core();
  state.ctx?.quiet(); // the error line starts on a clean line
  const text = errorText(err, command);
  const code = exitCodeOf(err);
  if (text === undefined) {
    const e = err as Error;
    io.stderr(
      `vcstore: internal error: ${e?.message ?? String(err)}\n${e?.stack ?? ''}\nThis is a bug in vcstore; please report it with the command you ran.\n`,
    );
  } else io.stderr(`vcstore: ${text}\n`);
  if (json && !state.ctx?.wrote)
    io.stdout(`${JSON.stringify({ error: { code, message: text ?? `internal error: ${(err as Error)?.message ?? String(err)}` } })}\n`);
  return code;
}

/** The command word(s) of argv, for messages ("uuid free", "ls"). */
function commandName(program: decl.Program, argv: string[]): string {
  const names = new Set(program.commands.map((c) => c.name()));
  const i = argv.findIndex((a, j) => j >= 2 && names.has(a));
  if (i < 0) return '';
  const word = argv[i] ?? '';
  return word === 'uuid' && argv[i + 1] === 'free' ? 'uuid free' : word;
}

/** Run vcstore on argv (node, script, args...); returns the exit code. */
export async function main(argv: string[], io: Io = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const state: RunState = { code: 0 };
  const args = argv.slice(2, argv.includes('--') ? argv.indexOf('--') : undefined);
  const version = args.includes('--version') || args.includes('-V');
  if (version && (args.includes('--verbose') || args.includes('--json'))) {
    // --json: one JSON document, as every other command prints (a bare 0.1.0 is no JSON).
    if (!args.includes('--verbose')) {
      io.stdout(`${JSON.stringify({ version: VERSION })}\n`);
      return 0;
    }
    const { lockBackend, addonTarget, useAddon } = await import('./store/base.js');
    useAddon(settingsFrom(env).addon);
    const info = { version: VERSION, lockBackend: lockBackend(), target: addonTarget(), node: process.version };
    io.stdout(
      args.includes('--json') ? `${JSON.stringify(info)}\n` : `${VERSION}\nlock backend: ${info.lockBackend}\ntarget: ${info.target}, node ${info.node}\n`,
    );
    return 0;
  }
  const program = buildProgram(io, env, state);
  try {
    await program.parseAsync(argv);
    return state.code;
  } catch (err) {
    const end = argv.indexOf('--');
    const json = state.ctx?.json ?? argv.slice(2, end < 0 ? undefined : end).includes('--json');
    return await handleError(err, io, commandName(program, argv), json, state);
  } finally {
    state.ctx?.dispose();
  }
}
