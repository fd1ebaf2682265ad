// The command layer's wiring: commander setup in one place, every command
// loaded lazily from src/commands/<name>.ts, and the one error handler that
// maps errors to a line on stderr and an exit code.
import { Command, CommanderError, Option } from 'commander';
import type { Ctx, Io } from './context.js';
import { processIo } from './output.js';
import { DEFAULT_STUCK_AFTER, DEFAULT_WAIT, parseWait, VERSION } from './defaults.js';

export { VERSION };

// The core (store, render, context) is one bundle loaded only when a command
// runs or fails: --version and --help never pay for it.
const core = async () => {
  const [{ makeCtx }, errors, { resolveRoots }, render] = await Promise.all([import('./context.js'), import('./store/fs/errors.js'), import('./store/fs/roots.js'), import('./render/errors.js')]);
  return { makeCtx, resolveRoots, UsageError: errors.UsageError, errorText: render.errorText, exitCodeOf: render.exitCodeOf };
};

/** Exit codes, as the core's Exit table has them (kept here so usage errors need no core). */
const EXIT_USAGE = 2;


const EXIT_HELP = `
Exit status:
  0  success
  1  failure (I/O error, corrupt item, refusing a symlink or special file)
  2  usage error or invalid ID
  3  not found (sandbox, container, item)
  4  busy: the lock is held, or the wait ran out
  5  refused: a live sandbox, liveness that cannot be told, a runtime process
     naming it, or mounts below it (--force overrides all but mounts)
  6  check found problems
  130/143  interrupted by SIGINT/SIGTERM (lock -- CMD exits with CMD's status)`;

function waitOptions(cmd: Command, dflt: number, what = 'the sandbox lock'): Command {
  return cmd
    .addOption(new Option('-w, --wait <secs>', `seconds to wait for ${what} ("inf": no limit; default ${dflt})`).argParser(parseWait))
    .option('-n, --nonblock', 'fail at once (exit 4) if the lock is held');
}

type Loader = () => Promise<{ run: (ctx: Ctx, ...args: any[]) => Promise<number | void> }>;

export function buildProgram(io: Io = processIo, env: NodeJS.ProcessEnv = process.env, state: RunState = { code: 0 }): Command {
  const program = new Command('vcstore');
  program
    .description('Inspect and repair the sandbox stores of Kata Containers (/var/lib/vc/sbs, /run/vc/sbs).')
    .version(VERSION, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help')
    .addOption(new Option('--prefix <dir>', 'join DIR in front of every store root (like the Go VCStorePrefix)').env('VCSTORE_PREFIX'))
    .option('--json', 'machine output: one JSON document on stdout')
    .option('--no-color', 'no colour (also NO_COLOR=1; colour is only ever used on a TTY)')
    .option('--no-progress', 'no progress line on stderr (also VCSTORE_NO_PROGRESS=1; only ever drawn on a terminal)')
    .option('--verbose', 'with --version: also print the lock backend in use (addon or flock(1)) and the target')
    .showHelpAfterError(false)
    .addHelpText('after', EXIT_HELP);

  const action =
    (load: Loader) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const opts = cmd.optsWithGlobals();
      const { makeCtx, resolveRoots, UsageError } = await core();
      // An empty prefix would silently mean the host's real store: an unset
      // variable in a cleanup script must not get there.
      if (opts.prefix === '') throw new UsageError('empty --prefix (or VCSTORE_PREFIX=): give a directory, or leave it unset for the host store');
      const ctx = await makeCtx({
        roots: resolveRoots({ prefix: opts.prefix, env }),
        json: Boolean(opts.json),
        color: opts.color,
        env,
        io,
        noProgress: opts.progress === false,
        command: cmd.parent && cmd.parent.name() !== 'vcstore' ? `${cmd.parent.name()} ${cmd.name()}` : cmd.name(),
      });
      state.ctx = ctx;
      const mod = await load();
      const code = await mod.run(ctx, ...args.slice(0, -2), cmd.opts(), cmd);
      if (typeof code === 'number') state.code = code;
    };

  program
    .command('ls')
    .description('list sandboxes with state, hypervisor liveness, containers and lock holders (never blocks, never writes)')
    .option('-q, --quiet', 'print sandbox IDs only, one per line')
    .option('--state <state>', 'only sandboxes in this state (ready, running, paused, stopped, or "none")')
    .option('--no-trunc', 'do not truncate IDs to 12 characters')
    .action(action(() => import('./commands/ls.js')));

  waitOptions(
    program
      .command('show')
      .description('summary of a sandbox or container, or one item as JSON (takes the shared lock)')
      .argument('<sid>', 'sandbox ID')
      .argument('[cid]', 'container ID')
      .argument('[item]', 'item: Go enum name, file name or short form (State, state.json, state)')
      .option('--no-lock', 'read without the lock (warns: a runtime write may be half-way)'),
    DEFAULT_WAIT.read,
  ).action(action(() => import('./commands/show.js')));

  program
    .command('path')
    .description('print the store roots, or the paths of a sandbox, container or item')
    .argument('[sid]', 'sandbox ID')
    .argument('[cid]', 'container ID')
    .argument('[item]', 'item name')
    .action(action(() => import('./commands/path.js')));

  waitOptions(
    program
      .command('lock')
      .description('report who holds a sandbox lock, or run CMD while holding it')
      .argument('<sid>', 'sandbox ID')
      .argument('[cmd...]', 'command to run under the lock (after --); it inherits the lock as fd 3')
      .option('-s, --shared', 'take the shared lock (as readers do) instead of the exclusive one'),
    DEFAULT_WAIT.change,
  ).action(action(() => import('./commands/lock.js')));

  waitOptions(
    program
      .command('rm')
      .description('remove sandboxes: config root, VM dir, shared dir and run-time root (takes the exclusive lock)')
      .argument('<sid...>', 'sandbox IDs')
      .option('-f, --force', 'remove even if the hypervisor is alive; a missing sandbox is not an error')
      .option('--dry-run', 'print what would be removed, change nothing')
      .option('-c, --container <cid>', "remove only this container's stores (one sandbox ID)")
      .option('--unmount', 'unmount (lazily, deepest first) what is mounted below the sandbox instead of refusing'),
    DEFAULT_WAIT.change,
  ).action(action(() => import('./commands/rm.js')));

  waitOptions(
    program
      .command('raw')
      .description('create a raw item under raw/ and print its file:// URL, or list raw items')
      .argument('<sid>', 'sandbox ID')
      .argument('[name]', 'item name (default: raw-<random>, created 0600)')
      .option('-c, --container <cid>', "use the container's raw/ directory")
      .option('-l, --list', 'list raw items with their sizes'),
    DEFAULT_WAIT.change,
  ).action(action(() => import('./commands/raw.js')));

  const uuid = program
    .command('uuid')
    .description('show the 8 ACRN VM UUID slots: busy, free, the sandbox using each, leaked ones')
    .action(action(() => import('./commands/uuid.js')));
  waitOptions(
    uuid
      .command('free')
      .description('mark an ACRN UUID slot free (atomically, under the UUID store lock)')
      .argument('<slot>', 'slot number 0-7, or the slot\'s UUID')
      .option('-f, --force', 'free it even if a live sandbox uses it')
      .option('--dry-run', 'say what would change, change nothing'),
    DEFAULT_WAIT.change,
    'the UUID store lock',
  ).action(action(async () => ({ run: (await import('./commands/uuid.js')).free })));

  waitOptions(
    program
      .command('set')
      .description('replace one item with JSON from FILE or standard input, or rewrite the state (exclusive lock)')
      .argument('<sid>', 'sandbox ID')
      .argument('[args...]', '[CID] ITEM [FILE|-]')
      .option('--state <state>', "rewrite only state.json's state: ready, running, paused or stopped")
      .option('-f, --force', 'write even if the hypervisor is alive')
      .option('--dry-run', 'validate and say what would be written, change nothing'),
    DEFAULT_WAIT.change,
  ).action(action(() => import('./commands/set.js')));

  program
    .command('check')
    .description('find leaked and stuck state in one pass; exit 6 when problems are found')
    .option('--fix', 'remove what is safe: dead sandboxes, empty shells, orphan VM dirs, leaked UUID slots')
    .option('--dry-run', 'with --fix: print the plan, change nothing')
    .option('--stuck-after <secs>', 'report a lock holder or waiter older than this as stuck', String(DEFAULT_STUCK_AFTER))
    .option('--format <format>', 'table (default), json (same as --json) or prometheus (text exposition format on stdout)')
    .option('--textfile <file>', "write the prometheus metrics to FILE.prom atomically (temp file + rename), for node_exporter's textfile collector")
    .action(action(() => import('./commands/check.js')));

  program
    .command('completion')
    .description('print a shell completion script (commands, options, sandbox IDs from the store)')
    .argument('<shell>', 'bash or zsh')
    .action(action(() => import('./commands/completion.js')));

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
  const walk = (c: Command) => {
    for (const sub of c.commands) {
      sub.exitOverride();
      sub.configureOutput(output);
      sub.addHelpText('after', EXIT_HELP);
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
    io.stderr(`vcstore: internal error: ${e?.message ?? String(err)}\n${e?.stack ?? ''}\nThis is a bug in vcstore; please report it with the command you ran.\n`);
  } else io.stderr(`vcstore: ${text}\n`);
  if (json && !state.ctx?.wrote) io.stdout(`${JSON.stringify({ error: { code, message: text ?? `internal error: ${(err as Error)?.message ?? String(err)}` } })}\n`);
  return code;
}

/** The command word(s) of argv, for messages ("uuid free", "ls"). */
function commandName(program: Command, argv: string[]): string {
  const names = new Set(program.commands.map((c) => c.name()));
  const i = argv.findIndex((a, j) => j >= 2 && names.has(a));
  if (i < 0) return '';
  return argv[i] === 'uuid' && argv[i + 1] === 'free' ? 'uuid free' : argv[i]!;
}

/** Run vcstore on argv (node, script, args...); returns the exit code. */
export async function main(argv: string[], io: Io = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const state: RunState = { code: 0 };
  const args = argv.slice(2, argv.includes('--') ? argv.indexOf('--') : undefined);
  if (args.includes('--verbose') && (args.includes('--version') || args.includes('-V'))) {
    const { lockBackend, addonTarget } = await import('./store/host/locks.js');
    io.stdout(`${VERSION}\nlock backend: ${lockBackend()}\ntarget: ${addonTarget()}, node ${process.version}\n`);
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
