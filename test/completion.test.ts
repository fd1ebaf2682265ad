// needs: root (a mount namespace for the interactive shells)
// Completion where people press TAB: a real interactive bash and zsh in
// tmux, with the generated scripts installed as an operator would (sourced
// from bash's rc, autoloaded from zsh's fpath), on a store the runtime's
// own code wrote (pods in its annotations), never the host's roots.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, ROOT, scratch, sleep, SLOW, unpackFixture, vc } from './helpers.js';

const { tmp } = scratch();
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const needs = (shell: string) =>
  SLOW || (process.env.CI === 'true' || (has('tmux') && has(shell)) ? false : `tmux or ${shell} not installed (.ci/run installs them)`);

const tmux = (...args: string[]) => spawnSync('tmux', ['-L', `vcstore-complete-${process.pid}`, ...args], { encoding: 'utf8' });
after(() => void tmux('kill-server'));
const screen = (s: string) => tmux('capture-pane', '-p', '-J', '-t', s).stdout;

/** Poll the screen until `re` shows (never a fixed sleep); the screen as it is then. */
async function until(s: string, re: RegExp, ms = 10_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const text = screen(s);
    if (re.test(text)) return text;
    if (Date.now() > end) assert.fail(`timed out waiting for ${re}; the screen:\n${text}`);
    await sleep(40);
  }
}

// The kata3 fixture: pods prod/app-0-e051a … in its annotations.
const SID = '39f070a127ca08c1af27ae06a042f1fa1d1378773d794e798ae02beae07d56e1';
const CID = 'b8fafa4e1605d4c9cd7d508b50d05828179ab07f2199db3564b81034b11b4b4a';
let store: string;
let bin: string;
before(() => {
  store = tmp();
  unpackFixture('kata3-persist-store-6.tar.gz', store);
  bin = tmp();
  symlinkSync(BIN, join(bin, 'vcstore'));
});

let n = 0;
/** A fresh interactive shell in tmux; returns its session name once the prompt shows. */
async function shell(kind: 'bash' | 'zsh'): Promise<string> {
  const s = `${kind}${n++}`;
  const home = tmp();
  const env = `env -i HOME=${home} TERM=xterm PATH=${bin}:/usr/bin:/bin`;
  if (kind === 'bash') {
    const script = join(home, 'vcstore.bash');
    writeFileSync(script, vc(['completion', 'bash']).stdout);
    writeFileSync(join(home, 'rc'), `PS1='READY$ '\nsource ${script}\n`);
    tmux('new-session', '-d', '-s', s, '-x', '250', '-y', '50', `${env} bash --noprofile --rcfile ${home}/rc -i`);
  } else {
    // Installed as the zsh docs say: a file named _vcstore in a directory on fpath, autoloaded by compinit.
    const fdir = join(home, 'functions');
    mkdirSync(fdir);
    writeFileSync(join(fdir, '_vcstore'), vc(['completion', 'zsh']).stdout);
    writeFileSync(join(home, '.zshrc'), `fpath=(${fdir} $fpath)\nautoload -Uz compinit\ncompinit -u -d ${home}/.zcompdump\nPS1='READY$ '\n`);
    tmux('new-session', '-d', '-s', s, '-x', '250', '-y', '50', `${env} ZDOTDIR=${home} zsh -i`);
  }
  await until(s, /READY\$ $/m);
  return s;
}

/** Type `line`, press TAB `tabs` times, and wait until the screen matches `re`. */
async function tab(s: string, line: string, re: RegExp, tabs = 1): Promise<string> {
  tmux('send-keys', '-t', s, '-l', line);
  for (let i = 0; i < tabs; i++) tmux('send-keys', '-t', s, 'Tab');
  try {
    return await until(s, re);
  } finally {
    tmux('send-keys', '-t', s, 'C-c');
    await until(s, /READY\$ $/m);
  }
}

const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('completion in a real bash', { skip: needs('bash') }, () => {
  it('--prefix=DIR (split at "=" by bash) completes a sandbox ID prefix to the whole ID', async () => {
    const s = await shell('bash');
    await tab(s, `vcstore --prefix=${store} show 39f`, new RegExp(`show ${SID} ?$`, 'm'));
  });
  it('after a sandbox ID: its container IDs and its persist sections', async () => {
    const s = await shell('bash');
    const t = await tab(s, `vcstore --prefix ${store} show 39f0 `, /hypervisor/, 2);
    assert.match(t, new RegExp(CID));
    assert.match(t, /\bdevices\b/);
    await tab(s, `vcstore --prefix ${store} show 39f0 b8f`, new RegExp(`${CID} ?$`, 'm'));
    await tab(s, `vcstore --prefix ${store} show 39f0 b8fa roo`, /rootfs ?$/m);
  });
  it('option values: check --format, set --state without "none", a pod target', async () => {
    const s = await shell('bash');
    await tab(s, `vcstore --prefix ${store} check --format prom`, /--format prometheus ?$/m);
    const t = await tab(s, `vcstore --prefix ${store} set 39f0 --state `, /stopped/, 2);
    assert.ok(!/\bnone\b/.test(t.split('\n').slice(-6).join('\n')), t);
    await tab(s, `vcstore --prefix ${store} show prod/app-0`, /show prod\/app-0-e051a ?$/m);
  });
});

describe('completion in a real zsh', { skip: needs('zsh') }, () => {
  it('the first TAB of a fresh shell completes, with --prefix DIR typed', async () => {
    const s = await shell('zsh');
    await tab(s, `vcstore --prefix ${store} show 39f`, new RegExp(`show ${SID} ?$`, 'm'));
  });
  it('containers after a sandbox ID, sections after a container, option values, pods', async () => {
    const s = await shell('zsh');
    await tab(s, `vcstore --prefix ${store} show 39f0 b8f`, new RegExp(`${CID} ?$`, 'm'));
    await tab(s, `vcstore --prefix ${store} show 39f0 ${CID} mou`, /mounts ?$/m);
    await tab(s, `vcstore --prefix=${store} check --format prom`, /--format prometheus ?$/m);
    await tab(s, `vcstore --prefix ${store} show kube-system/`, new RegExp(`show ${esc('kube-system/app-4-f7361')} ?$`, 'm'));
  });
});

describe(
  'completion installed exactly as the README says',
  { skip: needs('bash') || needs('zsh') || (process.geteuid?.() !== 0 && 'needs root for a mount namespace') },
  () => {
    // The README's install lines, as an operator pastes them (root here, so without sudo), in a mount namespace of
    // this test's with tmpfs over the two system directories they write: the host's stay as they were.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /Install, from any shell[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const lines = block
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/\bsudo /g, ''));
    const fresh = (kind: 'bash' | 'zsh', home: string) => {
      const dirs = ['/etc/bash_completion.d', '/usr/local/share/zsh/site-functions'].map(
        (d) => `mkdir -p ${d} && mount -t tmpfs -o mode=755 vcstore-test ${d}`,
      );
      // A login bash reads /etc/profile.d/bash_completion.sh (the bash-completion package); zsh reads ~/.zshrc.
      const shell = kind === 'bash' ? 'bash -l -i' : 'zsh -i';
      return `env -i HOME=${home} TERM=xterm PATH=${bin}:/usr/bin:/bin unshare -m --propagation private sh -c '${[...dirs, ...lines].join(' && ').replace(/'/g, `'\\''`)} && exec ${shell}'`;
    };
    it('has the three lines', () => assert.equal(lines.length, 3, block));
    for (const kind of ['bash', 'zsh'] as const)
      it(`a fresh ${kind} completes after them`, async () => {
        const s = `readme-${kind}`;
        const home = tmp();
        // vcstore on PATH as an installed one is (a login shell's /etc/profile sets PATH anew).
        writeFileSync(join(home, kind === 'bash' ? '.bash_profile' : '.zshrc'), `PATH=${bin}:$PATH\nPS1='READY$ '\n`);
        tmux('new-session', '-d', '-s', s, '-x', '250', '-y', '50', fresh(kind, home));
        await until(s, /READY\$ $/m, 20_000);
        await tab(s, `vcstore --prefix ${store} show 39f`, new RegExp(`show ${SID} ?$`, 'm'));
      });
  },
);
