// `vcstore __complete WORD...`: the completion engine both shell scripts
// call with the words typed so far (the last one is being completed). It
// prints one candidate per line, after an optional directive line the
// script acts on: `:dirs` (complete directories), `:files`. Sandbox IDs come
// from one readdir per root, never a listing; pods only when the word could
// be one, from each sandbox's pod alone (one readdir and one read each). Errors complete nothing, silently.
import { homedir } from 'node:os';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { Ctx } from '../context.js';
import {
  CODES,
  containerIds,
  HYPERVISORS,
  isPodName,
  lstatOrUndef,
  openSandbox,
  podsOf,
  resolveOne,
  resolveRoots,
  rootListing,
  type Roots,
  STATES,
} from '../store/index.js';

const ID_COMMANDS = new Set(['show', 'lock', 'rm', 'raw', 'set', 'path']);

/** Values of options that take one, per command where they differ. */
function optionValues(cmd: string, flag: string): string[] | ':dirs' | ':files' | 'namespaces' | 'pods' | 'containers' {
  switch (flag) {
    case '--prefix':
      return ':dirs';
    case '--textfile':
      return ':files';
    case '--state':
      // set writes a state; "none" only selects.
      return cmd === 'set' ? [...STATES] : [...STATES, 'none'];
    case '-o':
    case '--output':
    case '--format':
      return cmd === 'ls' || cmd === 'show' ? ['table', 'wide', 'json'] : cmd === 'check' ? ['table', 'json', 'prometheus'] : ['table', 'json'];
    case '--sort':
      return ['age', 'id', 'state', 'pod'];
    case '--layout':
      return ['legacy', 'persist', 'runtime-rs'];
    case '--hypervisor':
      return [...HYPERVISORS];
    case '--problem':
    case '--only':
      return Object.keys(CODES);
    case '--fail-on':
      return ['error', 'warning', 'never'];
    case '-n':
    case '--namespace':
      return cmd === 'ls' || cmd === 'check' ? 'namespaces' : [];
    case '--pod':
      return 'pods';
    case '-c':
    case '--container':
      return 'containers';
    default:
      return [];
  }
}

interface Parsed {
  prefix?: string;
  cmd?: string;
  sub?: string;
  positionals: string[];
  /** The option whose value is being completed, if any. */
  valueFor?: string;
  cur: string;
  afterDashes: boolean;
}

function parse(words: string[], program: CommandUnknownOpts): Parsed {
  // bash splits `--prefix=DIR` at `=`: join the pieces again.
  const ws: string[] = [];
  for (const w of words) {
    const last = ws.length - 1;
    if (w === '=' && ws[last]?.startsWith('-')) ws[last] += '=';
    else if (ws[last]?.endsWith('=') && ws[last]?.startsWith('-') && !ws[last]?.slice(0, -1).includes('=')) ws[last] += w;
    else ws.push(w);
  }
  const cur = ws.pop() ?? '';
  const takes = new Set<string>();
  const walk = (c: CommandUnknownOpts) => {
    for (const o of c.options) if (o.required || o.optional) for (const f of [o.short, o.long]) if (f) takes.add(f);
    c.commands.forEach(walk);
  };
  walk(program);
  const p: Parsed = { positionals: [], cur, afterDashes: false };
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i] ?? '';
    if (p.afterDashes) {
      p.positionals.push(w);
      continue;
    }
    if (w === '--') p.afterDashes = true;
    else if (w.startsWith('--prefix=')) p.prefix = w.slice('--prefix='.length);
    else if (w.startsWith('-') && w.includes('=')) continue;
    else if (w.startsWith('-')) {
      if (!takes.has(w)) continue;
      if (i === ws.length - 1) p.valueFor = w;
      else if (w === '--prefix') p.prefix = ws[i + 1];
      i++;
    } else if (p.cmd === undefined) p.cmd = w;
    else if (p.cmd === 'uuid' && p.sub === undefined && p.positionals.length === 0 && w === 'free') p.sub = w;
    else p.positionals.push(w);
  }
  return p;
}

const home = (dir: string) => (dir === '~' ? homedir() : dir.startsWith('~/') ? `${homedir()}/${dir.slice(2)}` : dir);

/** The sandbox IDs of the store: one readdir per root. */
const sandboxIds = (roots: Roots) => rootListing(roots).map((e) => e.id);

/** Pods as targets take them: annotation text that is no Kubernetes name is never offered (nor typed into a shell). */
function pods(roots: Roots): string[] {
  const out = new Set<string>();
  for (const p of podsOf(roots)) if (p.namespace && p.name && isPodName(p.namespace, p.name)) out.add(`${p.namespace}/${p.name}`);
  return [...out].sort();
}

/** What a candidate may be: IDs, names, values and paths of these characters only, never a directive. */
const SAFE = /^[A-Za-z0-9_.,/=+@%-][A-Za-z0-9_.,/=+@%:-]{0,299}$/;

/** Sandbox targets for the word: IDs, and pods when the word could only be one. */
function targets(roots: Roots, cur: string): string[] {
  const ids = sandboxIds(roots).filter((id) => id.startsWith(cur));
  if (ids.length && !cur.includes('/')) return ids;
  return cur === '' ? ids : pods(roots).filter((x) => x.startsWith(cur));
}

/** What follows `SANDBOX`: its containers and its items (sections in persist), or a container's items. */
function afterSandbox(roots: Roots, p: Parsed): string[] {
  const [sid, second] = p.positionals;
  if (sid === undefined) return [];
  const h = openSandbox(roots, resolveOne(roots, sid).id);
  // Only the items this sandbox has (set may write one anew, so it is offered every name).
  const here = (cid: string | undefined) => (name: string) => {
    if (p.cmd === 'set') return true;
    const ref = h.layout.item(roots, h.id, cid, name);
    return ref !== null && lstatOrUndef(ref.path) !== undefined;
  };
  if (second === undefined) return [...containerIds(h), ...h.layout.itemNames(false).filter(here(undefined))];
  const cid = containerIds(h).find((c) => c === second) ?? containerIds(h).find((c) => c.startsWith(second));
  if (p.positionals.length === 2 && cid !== undefined) return h.layout.itemNames(true).filter(here(cid));
  return [];
}

function candidates(ctx: Ctx, program: CommandUnknownOpts, words: string[]): string[] {
  const p = parse(words, program);
  const roots = p.prefix
    ? resolveRoots({ prefix: home(p.prefix), env: { VCSTORE_ROOTLESS: ctx.roots.rootlessDir ? '1' : '0', XDG_RUNTIME_DIR: ctx.roots.rootlessDir } })
    : ctx.roots;
  const cmd = p.cmd === undefined ? undefined : program.commands.find((c) => c.name() === p.cmd);
  const eq = /^(--?[A-Za-z-]+)=(.*)$/.exec(p.cur);
  const valueFlag = eq?.[1] ?? p.valueFor;
  if (valueFlag !== undefined) {
    const v = optionValues(p.cmd ?? '', valueFlag);
    if (v === ':dirs' || v === ':files') return [v];
    const list =
      v === 'namespaces'
        ? [...new Set(pods(roots).map((x) => x.split('/')[0] ?? ''))]
        : v === 'pods'
          ? pods(roots)
          : v === 'containers'
            ? p.positionals[0] === undefined
              ? []
              : containerIds(openSandbox(roots, resolveOne(roots, p.positionals[0]).id))
            : v;
    return list;
  }
  const flags = (c: CommandUnknownOpts) => c.options.flatMap((o) => [o.short, o.long].filter((x): x is string => Boolean(x)));
  if (p.cur.startsWith('-') && !p.afterDashes) {
    const sub = p.sub && cmd ? cmd.commands.find((c) => c.name() === p.sub) : undefined;
    return [...(sub ? flags(sub) : cmd ? flags(cmd) : []), ...flags(program), '--help'];
  }
  if (!cmd) return program.commands.map((c) => c.name()).filter((n) => n !== 'help' && !n.startsWith('__'));
  const n = p.positionals.length;
  switch (cmd.name()) {
    case 'uuid':
      if (!p.sub) return n === 0 ? ['free'] : [];
      return n === 0 ? ['0', '1', '2', '3', '4', '5', '6', '7', ...targets(roots, p.cur)] : [];
    case 'completion':
      return n === 0 ? ['bash', 'zsh'] : [];
    default:
      if (!ID_COMMANDS.has(cmd.name()) || p.afterDashes) return [];
      if (n === 0 || cmd.name() === 'rm') return targets(roots, p.cur);
      if (cmd.name() === 'lock' || cmd.name() === 'raw') return [];
      if (cmd.name() === 'set' && n >= 2 && !afterSandbox(roots, { ...p, positionals: p.positionals.slice(0, 2) }).length) return [':files'];
      return afterSandbox(roots, p);
  }
}

export function run(ctx: Ctx, words: string[], _o: unknown, self: CommandUnknownOpts): number {
  const program = self.parent;
  if (!program) return 0;
  let out: string[];
  try {
    out = candidates(ctx, program, words);
  } catch {
    out = []; // a TAB never prints an error
  }
  const cur = words.at(-1) ?? '';
  const word = /^--?[A-Za-z-]+=(.*)$/.exec(cur)?.[1] ?? cur;
  const shown = out[0] === ':dirs' || out[0] === ':files' ? out.slice(0, 1) : out.filter((c) => SAFE.test(c) && c.startsWith(word));
  if (shown.length) ctx.write(`${shown.join('\n')}\n`);
  return 0;
}
