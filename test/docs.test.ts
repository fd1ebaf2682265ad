// needs: nothing
// --help, the man page and the README must agree: every command and option
// of the commander program has help text and stands in man/vcstore.1 and
// the README; every exit code in the help is in the man page.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import { buildProgram } from '../src/cli.js';
import { CODES } from '../src/store/read/problems.js';
import { BIN, ROOT, scratch, vc } from './helpers.js';

const { tmp } = scratch();

const man = readFileSync(join(ROOT, 'man/vcstore.1'), 'utf8');
const manText = man.replace(/\\-/g, '-').replace(/\\f[BIRP]/g, '');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

function commands(c: Command, path: string[] = []): [string[], Command][] {
  const out: [string[], Command][] = [];
  for (const sub of c.commands) {
    const p = [...path, sub.name()];
    out.push([p, sub], ...commands(sub, p));
  }
  return out;
}

describe('docs agree with the program', () => {
  const program = buildProgram();
  const all = commands(program);
  it('every command has help text, a man page entry and a README mention', () => {
    assert.ok(all.length >= 9);
    for (const [path, cmd] of all) {
      const name = path.join(' ');
      assert.ok(cmd.description().length > 10, `${name}: help text`);
      assert.ok(new RegExp(`^\\.B ${name}$`, 'm').test(man), `${name}: man COMMANDS entry`);
      assert.ok(readme.includes(`vcstore ${name}`), `${name}: README`);
    }
  });
  it('every option has help text and stands in the man page and README', () => {
    for (const [path, cmd] of [[['(global)'], program] as [string[], Command], ...all]) {
      for (const opt of cmd.options) {
        const flag = opt.long ?? opt.short!;
        assert.ok(opt.description.length > 5, `${path.join(' ')} ${flag}: help text`);
        assert.ok(manText.includes(flag), `${path.join(' ')} ${flag}: man page`);
        assert.ok(readme.includes(flag), `${path.join(' ')} ${flag}: README`);
        if (opt.short) assert.ok(manText.includes(`${opt.short}, ${opt.long}`) || manText.includes(opt.short), `${flag} short form in man`);
      }
    }
  });
  it('exit codes: --help, man EXIT STATUS and README list the same codes', () => {
    const help = vc(['--help']).stdout;
    const exitSection = manText.slice(manText.indexOf('.SH EXIT STATUS'), manText.indexOf('.SH ENVIRONMENT'));
    for (const code of ['0', '1', '2', '3', '4', '5', '6']) {
      assert.match(help, new RegExp(`^  ${code}  `, 'm'), `help ${code}`);
      assert.match(exitSection, new RegExp(`^\\.B ${code}$`, 'm'), `man ${code}`);
      assert.match(readme, new RegExp(`^\\| ${code} \\|`, 'm'), `README ${code}`);
    }
  });
  it('every problem and finding code stands in the README and the man page', () => {
    for (const code of Object.keys(CODES)) {
      assert.ok(readme.includes(`\`${code}\``), `README ${code}`);
      assert.ok(new RegExp(`^\\.B ${code.replace(/-/g, '\\\\-')}$`, 'm').test(man), `man ${code}`);
    }
  });
  it('--help of each command runs and names its options', () => {
    for (const [path, cmd] of all) {
      const r = vc([...path, '--help']);
      assert.equal(r.code, 0, path.join(' '));
      for (const opt of cmd.options) assert.ok(r.stdout.includes(opt.long ?? opt.short!), `${path.join(' ')} --help shows ${opt.long}`);
    }
  });
  it('the man page renders without warnings', { skip: spawnSync('groff', ['--version']).status !== 0 ? 'groff not installed' : false }, () => {
    const r = spawnSync('groff', ['-ww', '-man', '-z', join(ROOT, 'man/vcstore.1')], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
  });
  it('--version matches package.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(vc(['--version']).stdout, `${pkg.version}\n`);
    assert.ok(man.includes(`vcstore ${pkg.version}`));
  });
});

/**
 * The README's console examples, block by block: each `$ ` line runs in one
 * bash per block, in a temp dir holding a copy of examples/store, with
 * `vcstore` the built binary. Its exit status must be 0, or the one a
 * trailing `# exit N` names; every output line the README shows (except `…`
 * lines) must be in what it printed, numbers matching any number.
 */
/**
 * A background step of the tour, and a wait until it has taken hold: a
 * `flock FILE cmd &` holder until /proc/locks shows a lock on FILE's inode
 * (polled, never a fixed sleep).
 */
function background(cmd: string): string {
  const file = /^flock\s+(?:-\S+\s+)*(\S+)/.exec(cmd)?.[1];
  const wait = file ? `i=0; ino=$(stat -c %i ${file}); until grep -q ":$ino " /proc/locks; do i=$((i+1)); [ $i -gt 500 ] && break; sleep 0.02; done` : '';
  return `${cmd} >/dev/null 2>&1 &\n${wait}`;
}

describe('the README tour runs as written', () => {
  const blocks = [...readme.matchAll(/```console\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const bin = tmp('vcstore-tour-bin-');
  writeFileSync(join(bin, 'vcstore'), `#!/bin/sh\nexec ${process.execPath} ${BIN} "$@"\n`, { mode: 0o755 });
  it('has examples to run', () => assert.ok(blocks.length >= 5));
  blocks.forEach((block, b) => {
    it(`block ${b + 1}: ${block.split('\n')[0]}`, () => {
      const dir = tmp('vcstore-tour-');
      cpSync(join(ROOT, 'examples/store'), join(dir, 'examples/store'), { recursive: true });
      const steps: { cmd: string; exit: number; shown: string[] }[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('$ ')) {
          const m = /^\$ (.*?)(?:\s+#\s*(.*))?$/.exec(line);
          const note = m?.[2] ?? '';
          steps.push({ cmd: m?.[1] ?? '', exit: Number(/^exit (\d+)/.exec(note)?.[1] ?? 0), shown: [] });
        } else if (line.trim() && !/^(…|\.\.\.)$/.test(line.trim())) steps.at(-1)?.shown.push(line);
      }
      // Markers no other process's command line holds: another run of the
      // tour names the same sandboxes, and show lists processes naming them.
      const mark = `@@${Math.random().toString(36).slice(2, 10)}`;
      const script = [
        // Run under setsid: at the end the whole group goes, background holders included.
        "trap 'kill -KILL -- -$$' EXIT",
        ...steps.map((s, i) => (s.cmd.endsWith('&') ? background(s.cmd.slice(0, -1)) : `echo ${mark}${i}; ${s.cmd} 2>&1; echo "${mark}exit $?"`)),
      ].join('\n');
      const r = spawnSync('setsid', ['bash', '-c', script], { cwd: dir, encoding: 'utf8', env: { PATH: `${bin}:${process.env.PATH}` } });
      steps.forEach((s, i) => {
        if (s.cmd.endsWith('&')) return;
        // Paths are absolute in the output: shown relative to the directory the tour runs in.
        const out = (r.stdout.split(`${mark}${i}\n`)[1]?.split(`${mark}exit `)[0] ?? '').replaceAll(`${dir}/`, '');
        const code = Number(r.stdout.split(`${mark}${i}\n`)[1]?.split(`${mark}exit `)[1]?.split('\n')[0]);
        assert.equal(code, s.exit, `$ ${s.cmd}: exit ${code}\n${out}`);
        // Ages drift with the clock ("45h" becomes "2d"): any age is an age.
        const norm = (t: string) =>
          t
            .replace(/\b\d+[smhdy]\b/g, 'AGE')
            .replace(/\d+/g, '#')
            .replace(/\s+/g, ' ')
            .trim();
        const got = out.split('\n').map(norm);
        for (const want of s.shown) {
          const w = norm(want.replace(/…$/, ''));
          assert.ok(
            got.some((g) => g.startsWith(w) || g.includes(w)),
            `$ ${s.cmd}: README shows\n  ${want}\nbut it printed\n${out}`,
          );
        }
      });
    });
  });
});

describe('the runtime process table', () => {
  it('README and man page list every family the code knows, with its forms and the launch code they come from', async () => {
    const { RUNTIME_PROCESSES } = await import('../src/store/host/procs.js');
    for (const r of RUNTIME_PROCESSES) {
      assert.ok(readme.includes(`| \`${r.role}\` | ${r.names} | ${r.forms} | ${r.source} |`), `README: ${r.role} ${r.names}`);
      assert.ok(manText.includes(r.role), `man: ${r.role}`);
      assert.ok(r.source.length > 10 && r.forms.includes('<id'), `${r.names}: a form and its source`);
    }
  });
});

// ---------------------------------------------------------------------------
// The JSON shapes of the README's JSON section, held to real output.

type Shape =
  { kind: 'leaf' } | { kind: 'obj'; keys: Map<string, { optional: boolean; shape: Shape }> } | { kind: 'arr'; of: Shape } | { kind: 'alt'; of: Shape[] };

/** `{id, hypervisor: {type, pid}, containers: [{id}], shared: {path} | null}` as a tree. */
function parseShape(src: string): Shape {
  const toks = src.match(/\.\.\.|[{}[\],:|]|[A-Za-z_][A-Za-z0-9_]*\??/g) ?? [];
  let i = 0;
  const value = (): Shape => {
    const alts = [one()];
    while (toks[i] === '|') {
      i++;
      alts.push(one());
    }
    return alts.length === 1 ? alts[0]! : { kind: 'alt', of: alts };
  };
  const one = (): Shape => {
    const t = toks[i++];
    if (t === '{') {
      const keys = new Map<string, { optional: boolean; shape: Shape }>();
      while (toks[i] !== '}') {
        const k = toks[i++]!;
        let shape: Shape = { kind: 'leaf' };
        if (toks[i] === ':') {
          i++;
          shape = value();
        }
        keys.set(k.replace('?', ''), { optional: k.endsWith('?'), shape });
        if (toks[i] === ',') i++;
      }
      i++;
      return { kind: 'obj', keys };
    }
    if (t === '[') {
      const of = toks[i] === '...' ? (i++, { kind: 'leaf' } as Shape) : value();
      i++; // ]
      return { kind: 'arr', of };
    }
    return { kind: 'leaf' };
  };
  return value();
}

/** Every key of `v` is documented, every documented non-optional key is there. */
function conforms(v: unknown, s: Shape, at: string): void {
  if (s.kind === 'alt') {
    const errs: string[] = [];
    for (const o of s.of)
      try {
        conforms(v, o, at);
        return;
      } catch (e) {
        errs.push((e as Error).message);
      }
    if (v === null) return; // `… | null`
    throw new Error(errs.join('; '));
  }
  if (s.kind === 'leaf') return;
  if (s.kind === 'arr') {
    if (!Array.isArray(v)) throw new Error(`${at}: want an array`);
    v.forEach((x, i) => conforms(x, s.of, `${at}[${i}]`));
    return;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${at}: want an object, got ${JSON.stringify(v)}`);
  for (const k of Object.keys(v)) if (!s.keys.has(k)) throw new Error(`${at}.${k}: in the output, not in the README`);
  for (const [k, d] of s.keys) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined) {
      if (!d.optional) throw new Error(`${at}.${k}: in the README, not in the output`);
      continue;
    }
    conforms(x, d.shape, `${at}.${k}`);
  }
}

describe('the JSON section of the README matches the output', () => {
  const section = readme.slice(readme.indexOf('\n## JSON\n'), readme.indexOf('### Problem and finding codes'));
  /** The shape documented after `marker`: the first {…} or [{…}] that follows it, up to its closing bracket. */
  const shapeAfter = (marker: string): Shape => {
    const at = section.indexOf(marker);
    assert.ok(at >= 0, marker);
    const rest = section
      .slice(at + marker.length)
      .replace(/`\s*\n\s*`?/g, ' ')
      .replace(/`/g, '');
    const start = rest.search(/[[{]/);
    let depth = 0;
    let end = start;
    for (; end < rest.length; end++) {
      if ('{['.includes(rest[end]!)) depth++;
      if ('}]'.includes(rest[end]!) && --depth === 0) break;
    }
    return parseShape(rest.slice(start, end + 1));
  };
  const example = () => {
    const p = tmp();
    cpSync(join(ROOT, 'examples/store'), p, { recursive: true });
    return p;
  };
  const json = (p: string, args: string[]) => JSON.parse(vc(['--prefix', p, '--json', ...args]).stdout);
  it('ls, show, lock, rm, uuid and check', () => {
    const p = example();
    const list = json(p, ['ls']);
    const ls = shapeAfter('`vcstore ls --json`: an array of');
    const host = shapeAfter('`host` is the sandbox beside\n  its store:');
    if (ls.kind === 'obj') ls.keys.set('host', { optional: true, shape: host });
    for (const s of list) conforms(s, ls, `ls ${s.id}`);
    const show = shapeAfter('`vcstore show SANDBOX --json`: the same object plus');
    const shown = json(p, ['show', list[0].id]);
    const base = ls.kind === 'obj' ? new Map(ls.keys) : new Map();
    if (show.kind === 'obj') for (const [k, v] of show.keys) base.set(k, v);
    // `show` lists `items` and `raw` after "plus": both documented as arrays.
    base.set('items', { optional: false, shape: shapeAfter('plus `items: ') });
    base.set('raw', { optional: false, shape: shapeAfter('and `raw: ') });
    conforms(shown, { kind: 'obj', keys: base }, 'show');
    assert.ok(shown.items.length > 0 && shown.items.every((i: { name: string }) => i.name));
    // A pod target: always an array, one document per sandbox of the pod.
    const podded = list.find((s: { pod: unknown }) => s.pod);
    const byPod = json(p, ['show', `${podded.pod.namespace}/${podded.pod.name}`]);
    assert.ok(Array.isArray(byPod) && byPod.length === 1);
    conforms(byPod[0], { kind: 'obj', keys: base }, 'show NAMESPACE/NAME');
    conforms(json(p, ['show', podded.id, podded.containers[0].id]), shapeAfter('with a CID, '), 'show SANDBOX CID');
    const lockable = list.find((s: { paths: { lock: string | null } }) => s.paths.lock);
    conforms(json(p, ['lock', lockable.id]), shapeAfter('`vcstore lock SID --json`:'), 'lock');
    conforms(json(p, ['uuid']), shapeAfter('`vcstore uuid --json`:'), 'uuid');
    conforms(json(p, ['check']), shapeAfter('`vcstore check --json`:'), 'check');
    const rm = shapeAfter('`vcstore rm --json`:');
    conforms(json(p, ['rm', '--dry-run', '--force', list[0].id]), rm, 'rm');
    conforms(json(p, ['show', 'nosuchsandbox']), parseShape('{error: {code, message}}'), 'error');
    assert.deepEqual(JSON.parse(vc(['--json', '--version']).stdout), { version: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version });
  });
});
