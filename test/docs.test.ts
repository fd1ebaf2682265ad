// --help, the man page and the README must agree: every command and option
// of the commander program has help text and stands in man/vcstore.1 and
// the README; every exit code in the help is in the man page.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import { buildProgram } from '../src/cli.js';
import { CODES } from '../src/store/read/problems.js';
import { ROOT, vc } from './helpers.js';

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
