// needs: nothing
// Progress on long work, in a real terminal: tmux runs vcstore in a
// pseudo-terminal and capture-pane reads the screen. Through pipes, stdout
// is byte for byte what it is without progress, and stderr has none of it.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, ROOT, scratch, sleep, SLOW } from './helpers.js';

const { tmp } = scratch();
const haveTmux = spawnSync('sh', ['-c', 'command -v tmux']).status === 0;
const skip = SLOW || (process.env.CI === 'true' ? false : haveTmux ? false : 'tmux not installed (.ci/run installs it)');

const tmux = (...args: string[]) => spawnSync('tmux', ['-L', `vcstore-test-${process.pid}`, ...args], { encoding: 'utf8' });
// A private tmux server per test process: another run of the suite has its own.
after(() => void tmux('kill-server'));
const screen = (s: string) => tmux('capture-pane', '-p', '-t', s).stdout;

async function until(s: string, re: RegExp, ms: number): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const text = screen(s);
    if (re.test(text) || Date.now() > end) return text;
    await sleep(50);
  }
}

describe('progress in a real terminal', { skip }, () => {
  let store: string;
  before(() => {
    store = tmp('vcstore-progress-', true);
    // A few thousand sandboxes from the bench generator: long enough (over 0.5 s) to draw.
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/bench/bench.js'), 'generate', store, '6000'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
  it('check shows the count, rate and ETA, then a clean screen with the results', async () => {
    const s = 'p1';
    tmux(
      'new-session',
      '-d',
      '-s',
      s,
      '-x',
      '160',
      '-y',
      '50',
      `${process.execPath} ${BIN} --prefix ${store} check | tail -1; echo EXIT=\${PIPESTATUS[0]}; sleep 60`,
    );
    try {
      // stdout is a pipe here, stderr the terminal: the line is drawn on stderr only.
      const during = await until(s, /\/6,000 sandboxes\s+[\d,]+\/s\s+ETA \d+/, 15_000);
      assert.match(during, /^[\d,]+\/6,000 sandboxes\s+[\d,]+\/s\s+ETA \d+[smh]/m);
      const after = await until(s, /EXIT=\d/, 30_000);
      assert.match(after, /6000 sandboxes checked: .*\nEXIT=6/);
      assert.ok(!/ETA|\/6,000 sandboxes/.test(after), `no progress left on the screen:\n${after}`);
    } finally {
      tmux('kill-session', '-t', s);
    }
  });
  it('SIGINT mid-run leaves the terminal clean: the progress line is gone, one error line, exit 130', async () => {
    const s = 'p2';
    tmux('new-session', '-d', '-s', s, '-x', '160', '-y', '50', `${process.execPath} ${BIN} --prefix ${store} check > /dev/null; echo EXIT=$?; sleep 60`);
    try {
      await until(s, /ETA/, 15_000);
      tmux('send-keys', '-t', s, 'C-c');
      const after = await until(s, /EXIT=\d/, 10_000);
      const lines = after.split('\n').filter((l) => l.trim());
      assert.deepEqual(lines, ['vcstore: interrupted by SIGINT', 'EXIT=130'], after);
    } finally {
      tmux('kill-session', '-t', s);
    }
  });
  it('through pipes: stdout byte for byte as without progress, no progress bytes on stderr', async () => {
    const out = join(tmp(), 'o');
    // Both at once: each takes a second or two on this store.
    const run = (env: string, tag: string) =>
      new Promise<void>((res) =>
        spawn('sh', ['-c', `${env} ${process.execPath} ${BIN} --prefix ${store} check > ${out}.${tag}.1 2> ${out}.${tag}.2`]).on('close', () => res()),
      );
    await Promise.all([run('', 'a'), run('VCSTORE_NO_PROGRESS=1', 'b')]);
    const piped = [readFileSync(`${out}.a.1`), readFileSync(`${out}.a.2`)];
    assert.ok(piped[0]!.equals(readFileSync(`${out}.b.1`)), 'stdout identical');
    assert.equal(piped[1]!.length, 0, `stderr empty: ${String(piped[1])}`);
    assert.ok(!piped[0]!.includes('\r') && !piped[0]!.includes('\u001b'), 'no control characters in stdout');
  });
  it('no progress with --json, --no-progress, NO_COLOR, TERM=dumb or metrics, even on a terminal', async () => {
    const cmds = [
      `${process.execPath} ${BIN} --prefix ${store} --json check`,
      `${process.execPath} ${BIN} --prefix ${store} --no-progress check`,
      `NO_COLOR=1 ${process.execPath} ${BIN} --prefix ${store} check`,
      `TERM=dumb ${process.execPath} ${BIN} --prefix ${store} check`,
      `${process.execPath} ${BIN} --prefix ${store} check --format prometheus`,
    ];
    // All at once, each in its own terminal; stderr alone goes to the terminal.
    cmds.forEach((cmd, i) => tmux('new-session', '-d', '-s', `q${i}`, '-x', '160', '-y', '50', `${cmd} > /dev/null; echo EXIT=$?; sleep 60`));
    try {
      // Watched well past the 0.5 s after which a progress line would be drawn.
      for (const t0 = Date.now(); Date.now() - t0 < 1500;) {
        cmds.forEach((cmd, i) => {
          const seen = screen(`q${i}`);
          assert.ok(!/ETA/.test(seen), `${cmd}: progress drawn:\n${seen}`);
        });
        await sleep(25);
      }
    } finally {
      cmds.forEach((_, i) => tmux('kill-session', '-t', `q${i}`));
    }
  });
});
