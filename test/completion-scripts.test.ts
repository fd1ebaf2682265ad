// needs: nothing
// The generated completion scripts (vcstore completion bash|zsh), run for
// real: bash sources the script and calls _vcstore with COMP_WORDS set; zsh
// parses its script. Interactive shells in tmux: test/completion.test.ts.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addSandbox, BIN, R, scratch, vc } from './helpers.js';

const { tmp } = scratch();
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** A PATH dir where `vcstore` is the real bin/vcstore. */
function pathWithVcstore(): string {
  const d = tmp();
  symlinkSync(BIN, join(d, 'vcstore'));
  return `${d}:${process.env.PATH}`;
}

function complete(script: string, line: string, env: NodeJS.ProcessEnv = {}): string[] {
  const words = line.split(' ');
  const prog = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _vcstore; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', prog], { encoding: 'utf8', env: { ...process.env, PATH: pathWithVcstore(), ...env } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('bash', () => {
  const bash = vc(['completion', 'bash']).stdout;
  it('bash: the script registers _vcstore and completes command names', () => {
    assert.match(bash, /complete -F _vcstore vcstore/);
    assert.deepEqual(complete(bash, 'vcstore r'), ['raw', 'rm']);
    assert.deepEqual(complete(bash, 'vcstore uuid f'), ['free']);
  });
  it('bash: options', () => {
    assert.deepEqual(complete(bash, 'vcstore ls --s'), ['--sort', '--state']);
    assert.ok(complete(bash, 'vcstore rm --').includes('--dry-run'));
  });
  it('bash: --state values', () => {
    assert.deepEqual(complete(bash, 'vcstore ls --state r'), ['ready', 'running']);
  });
  /** Sandboxes alpha1, alpha2 and beta in a new store. */
  function store(): string {
    const p = tmp();
    addSandbox(p, `${R}alpha1`);
    addSandbox(p, `${R}alpha2`);
    addSandbox(p, `${R}beta`);
    return p;
  }
  it('bash: sandbox IDs from the store named by --prefix', () => {
    const p = store();
    const env = { PATH: pathWithVcstore() };
    assert.deepEqual(complete(bash, `vcstore --prefix ${p} show ${R}al`, env), [`${R}alpha1`, `${R}alpha2`]);
    assert.deepEqual(complete(bash, `vcstore --prefix ${p} rm ${R}alpha1 ${R}b`, env), [`${R}beta`]);
  });
  it('bash: item names after a sandbox ID', () => {
    const p = store();
    const env = { PATH: pathWithVcstore() };
    assert.deepEqual(complete(bash, `vcstore --prefix ${p} show ${R}alpha1 Sta`, env), ['State']);
  });
});

describe('zsh and the rest', () => {
  it('zsh: the script parses', { skip: has('zsh') ? false : 'zsh not installed' }, () => {
    const f = join(tmp(), '_vcstore');
    writeFileSync(f, vc(['completion', 'zsh']).stdout);
    const r = spawnSync('zsh', ['-n', f], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
  it('unknown shell: exit 2', () => {
    const r = vc(['completion', 'fish']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'vcstore: unknown shell "fish": bash or zsh\n');
  });
});
