// Every command's declaration: its arguments, options and exit codes, in one
// place the wiring loads at start-up (no core, no command code). Option types
// follow from these declarations (@commander-js/extra-typings), and each
// command's `run` is checked against them where src/cli.ts wires it.
import { Command, Option, type OptionValues } from '@commander-js/extra-typings';
import { DEFAULT_STUCK_AFTER, DEFAULT_WAIT, durationOption, EXIT_TEXT, parseWait, VERSION } from './defaults.js';

/** The exit codes a command can return, as its --help lists them. */
export function exitHelp(codes: readonly (keyof typeof EXIT_TEXT)[]): string {
  return `\nExit status:\n${codes.map((c) => `  ${String(c).padEnd(7)}  ${EXIT_TEXT[c]}`).join('\n')}`;
}

function waitOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>, dflt: number, what = 'the sandbox lock') {
  return cmd
    .addOption(
      new Option('-w, --wait <duration>', `how long to wait for ${what}: seconds or a duration (10s, 2m, 1h30m; "inf": no limit; default ${dflt}s)`).argParser(
        parseWait,
      ),
    )
    .addOption(
      new Option('--nonblock', 'fail at once (exit 4) if the lock is held (long only: -n is --namespace, as in kubectl and crictl)').conflicts('wait'),
    );
}

export function programOf() {
  return new Command('vcstore')
    .description(
      'Inspect and repair the sandbox stores of Kata Containers: 1.x (/var/lib/vc/sbs, /run/vc/sbs), the persist layout of 1.11 to 3.x (/run/vc/sbs/<sid>/persist.json) and runtime-rs (/run/kata).',
    )
    .version(VERSION, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help')
    .addOption(new Option('--prefix <dir>', 'join DIR in front of every store root (like the Go VCStorePrefix)').env('VCSTORE_PREFIX'))
    .option('--json', 'machine output: one JSON document on stdout')
    .option('--no-color', 'no colour (also NO_COLOR=1; colour is only ever used on a TTY)')
    .option('--no-progress', 'no progress line on stderr (also VCSTORE_NO_PROGRESS=1; only ever drawn on a terminal)')
    .option('--verbose', 'with --version: also print the lock backend in use (addon or flock(1)) and the target')
    .showHelpAfterError(false);
}

export type Program = ReturnType<typeof programOf>;

/** The selection options ls and check share: which sandboxes, by pod, state, hypervisor, layout, age. */
function selectOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .option('-n, --namespace <ns>', 'only sandboxes of pods in this Kubernetes namespace')
    .option('--pod <name>', 'only sandboxes of this pod (NAME, or NAMESPACE/NAME)')
    .option('--state <state>', 'only sandboxes in this state (ready, running, paused, stopped, or "none")')
    .option('--hypervisor <type>', 'only sandboxes of this hypervisor (qemu, clh, firecracker, acrn, dragonball, or "none")')
    .option('--layout <layout>', 'only sandboxes in this store layout (legacy, persist, runtime-rs)')
    .option('--older-than <duration>', 'only sandboxes created longer ago than DURATION (90s, 10m, 2h, 3d, 1h30m); an unknown age never matches');
}

export const ls = (p: Program) =>
  selectOptions(
    p
      .command('ls')
      .description('list sandboxes with pod, state, hypervisor liveness, containers, age and lock holders (never blocks, never writes)')
      .option('-q, --quiet', 'print sandbox IDs only (full), one per line'),
  )
    .option('--problem <code>', 'only sandboxes with this problem code (see check)')
    .option('--sort <key>', 'order: age (default: newest first, as crictl), id, state or pod')
    .option('--no-trunc', 'do not truncate IDs to 12 characters, long pod names, nor columns to fit the terminal')
    .addOption(
      new Option('-o, --output <format>', 'table (default), wide (full IDs, layout, creation time) or json (same as --json)').choices([
        'table',
        'wide',
        'json',
      ]),
    )
    .addHelpText('after', exitHelp([0, 1, 2, 3, 130]));

export const show = (p: Program) =>
  waitOptions(
    p
      .command('show')
      .description('summary of a sandbox or container, or one item as JSON (takes the shared lock)')
      .argument('<sandbox>', 'sandbox ID, a unique prefix of one, or a pod as NAMESPACE/NAME')
      .argument('[cid]', 'container ID or unique prefix')
      .argument('[item]', 'item: Go enum name, file name or short form (State, state.json, state)')
      .option('--no-lock', 'read without the lock (warns: a runtime write may be half-way)')
      .option('--no-trunc', 'do not cut long values to fit the terminal, nor store text past 256 characters')
      .addOption(
        new Option('-o, --output <format>', 'table (default), wide (the same as --no-trunc) or json (same as --json)').choices(['table', 'wide', 'json']),
      ),
    DEFAULT_WAIT.read,
  ).addHelpText('after', exitHelp([0, 1, 2, 3, 4, 130]));

export const path = (p: Program) =>
  p
    .command('path')
    .description('print the store roots, or the paths of a sandbox, container or item')
    .argument('[sandbox]', 'sandbox ID, unique prefix or NAMESPACE/NAME (any ID: the paths it would have)')
    .argument('[cid]', 'container ID or unique prefix')
    .argument('[item]', 'item name')
    .addHelpText('after', exitHelp([0, 1, 2, 3]));

export const lock = (p: Program) =>
  waitOptions(
    p
      .command('lock')
      .description('report who holds a sandbox lock, or run CMD while holding it')
      .argument('<sandbox>', 'sandbox ID, unique prefix or NAMESPACE/NAME')
      .argument('[cmd...]', 'command to run under the lock (after --); it inherits the lock as fd 3')
      .option('-s, --shared', 'take the shared lock (as readers do) instead of the exclusive one'),
    DEFAULT_WAIT.change,
  ).addHelpText('after', `${exitHelp([0, 1, 2, 3, 4, 126, 127, 130])}\n  with CMD: CMD's own exit status once it ran`);

export const rm = (p: Program) =>
  waitOptions(
    p
      .command('rm')
      .description('remove sandboxes: config root, VM dir, shared dir and run-time root (takes the exclusive lock)')
      .argument('<sandbox...>', 'sandbox IDs, unique prefixes or pods as NAMESPACE/NAME')
      .option('-f, --force', 'remove even if the hypervisor or a runtime process is alive (whole IDs only)')
      .option('--ignore-not-found', 'a sandbox that is not there is not an error (exit 0; whole IDs only)')
      .option('--dry-run', 'print what would be removed, change nothing')
      .option('-c, --container <cid>', "remove only this container's stores (one sandbox; ID or unique prefix)")
      .addOption(new Option('--unmount', 'unmount (lazily, deepest first) what is mounted below the sandbox instead of refusing').conflicts('container'))
      .option('-y, --yes', 'do not ask before removing more than one sandbox (only a terminal is ever asked)')
      .option(
        '--cri <endpoint>',
        "ask the CRI at ENDPOINT (a path, or crictl's unix:///path) whether it still has the pod, and refuse if it does (default, without --prefix: as crictl finds it)",
      )
      .option('--no-cri', 'do not ask the container manager'),
    DEFAULT_WAIT.change,
  ).addHelpText('after', exitHelp([0, 1, 2, 3, 4, 5, 130]));

export const raw = (p: Program) =>
  waitOptions(
    p
      .command('raw')
      .description('create a raw item under raw/ and print its file:// URL, or list raw items')
      .argument('<sandbox>', 'sandbox ID, unique prefix or NAMESPACE/NAME')
      .argument('[name]', 'item name (default: raw-<random>, created 0600)')
      .option('-c, --container <cid>', "use the container's raw/ directory")
      .option('-l, --list', 'list raw items with their sizes'),
    DEFAULT_WAIT.change,
  ).addHelpText('after', exitHelp([0, 1, 2, 3, 4, 130]));

export const uuid = (p: Program) =>
  p
    .command('uuid')
    .description('show the 8 ACRN VM UUID slots: busy, free, the sandbox using each, leaked ones')
    .addHelpText('after', exitHelp([0, 1, 2, 3]));

export const uuidFree = (u: ReturnType<typeof uuid>) =>
  waitOptions(
    u
      .command('free')
      .description('mark an ACRN UUID slot free (atomically, under the UUID store lock)')
      .argument('<slot>', "slot number 0-7, the slot's UUID, or the sandbox using it (ID, unique prefix or NAMESPACE/NAME)")
      .option('-f, --force', 'free it even if a live sandbox uses it (a sandbox by its whole ID only)')
      .option('--dry-run', 'say what would change, change nothing'),
    DEFAULT_WAIT.change,
    'the UUID store lock',
  ).addHelpText('after', exitHelp([0, 1, 2, 3, 4, 5, 130]));

export const set = (p: Program) =>
  waitOptions(
    p
      .command('set')
      .description('replace one item with JSON from FILE or standard input, or rewrite the state (exclusive lock)')
      .argument('<sandbox>', 'sandbox ID, unique prefix or NAMESPACE/NAME')
      .argument('[args...]', '[CID] ITEM [FILE|-]')
      .option('--state <state>', 'rewrite only the state: ready, running, paused or stopped')
      .option('-f, --force', 'write even if the hypervisor is alive, or without a lock the runtime could be kept out with (whole IDs only)')
      .option('--allow-unknown-keys', "write keys the runtime's types do not have (it ignores them; by default such a key is refused as a likely typo)")
      .option('--dry-run', 'validate and say what would be written, change nothing'),
    DEFAULT_WAIT.change,
  ).addHelpText('after', exitHelp([0, 1, 2, 3, 4, 5, 130]));

export const check = (p: Program) =>
  selectOptions(p.command('check').description('find leaked and stuck state in one pass; exit 6 when problems are found'))
    .option('--fix', 'remove what is safe: dead sandboxes, empty shells, orphan VM dirs, leaked UUID slots')
    .option('--dry-run', 'with --fix: print the plan, change nothing')
    .option('-y, --yes', 'with --fix: do not ask before changing anything (only a terminal is ever asked)')
    .option('--only <codes>', 'only findings with these codes (CODE[,CODE]): what is reported and what --fix acts on')
    .option(
      '--cri [endpoint]',
      "ask the CRI (containerd, CRI-O) at ENDPOINT (a path or crictl's unix:///path; alone: as crictl finds it) which pod sandboxes it has; on by default without --prefix when crictl would find one",
    )
    .option('--no-cri', 'do not ask the container manager')
    .addOption(
      new Option(
        '--fail-on <level>',
        'exit 6 when a finding of this severity or worse remains: error (with what could not be told), warning (default) or never',
      ).choices(['error', 'warning', 'never']),
    )
    .addOption(
      new Option(
        '--stuck-after <duration>',
        `report a lock holder or waiter older than this as stuck: seconds or a duration (90s, 5m; default ${DEFAULT_STUCK_AFTER}s)`,
      ).argParser(durationOption('--stuck-after')),
    )
    .addOption(
      new Option('-o, --output <format>', 'table (default), json (same as --json) or prometheus (text exposition format on stdout)').choices([
        'table',
        'json',
        'prometheus',
      ]),
    )
    .option('--no-trunc', 'on a terminal, print the table whole with each next step under its finding (default: fit the width, next steps listed below)')
    .addOption(new Option('--format <format>', 'deprecated: the same as -o (kept for scripts; warns)').choices(['table', 'json', 'prometheus']))
    .option('--textfile <file>', "write the prometheus metrics to FILE.prom atomically (temp file + rename), for node_exporter's textfile collector")
    .option(
      '--every <duration>',
      "with --textfile: check again every DURATION (60s, 5m) until SIGTERM or SIGINT, which end it with exit 0 (a DaemonSet's loop)",
    )
    .addHelpText('after', exitHelp([0, 1, 2, 3, 6, 130]));

export const completion = (p: Program) =>
  p
    .command('completion')
    .description('print a shell completion script (commands, options, sandbox IDs from the store)')
    .argument('<shell>', 'bash or zsh')
    .addHelpText('after', exitHelp([0, 2]));

export const complete = (p: Program) =>
  p
    .command('__complete', { hidden: true })
    .description('the completion engine the scripts call: vcstore __complete -- WORD... prints candidates for the last WORD')
    .argument('[words...]', 'the words typed after vcstore, the last one being completed')
    .addHelpText('after', exitHelp([0]));

/** Options of a declared command, as its `run` receives them. */
export type OptsOf<F extends (p: never) => { opts(): OptionValues }> = ReturnType<ReturnType<F>['opts']>;
