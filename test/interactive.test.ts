// needs: nothing
// The interactive paths in process, through the Io seam (gh's mock prompter
// in spirit): a fake person who answers the one question, terminals that are
// or are not, and colour (the progress line's drawing is held to a fake clock
// in test/progress.test.ts). The real-terminal tests in tmux
// (progress, completion, width) stay on top of these; these run anywhere,
// without root and without a terminal.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addSandbox, deadPid, R, scratch, snapshot } from './helpers.js';

const { tmp } = scratch();

interface Person {
  answer: string | null;
  asked: string[];
}

/** vcstore in this process; `tty`: stdout and stderr are terminals; `person`: who answers a question (none: no terminal to ask). */
async function vc(
  args: string[],
  o: { tty?: boolean; person?: Person; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../src/cli.js');
  let stdout = '';
  let stderr = '';
  const person = o.person;
  const io = {
    stdout: (t: string) => void (stdout += t),
    stderr: (t: string) => void (stderr += t),
    isTty: () => Promise.resolve(o.tty === true),
    columns: () => (o.tty ? 200 : undefined),
    ...(person
      ? {
          ask: (q: string) => {
            person.asked.push(q);
            return Promise.resolve(person.answer);
          },
        }
      : {}),
  };
  const addon = process.env.VCSTORE_ADDON === undefined ? {} : { VCSTORE_ADDON: process.env.VCSTORE_ADDON };
  const code = await main(['node', 'vcstore', ...args], io, { PATH: process.env.PATH, ...addon, ...o.env });
  return { code, stdout, stderr };
}

function deadStore(n: number): { p: string; ids: string[] } {
  const p = tmp();
  const ids = Array.from({ length: n }, (_, i) => `${R}i${i}${Math.random().toString(36).slice(2, 6)}`);
  for (const id of ids) addSandbox(p, id, { state: 'running', pid: deadPid() });
  return { p, ids };
}

describe('asking a person (in process)', () => {
  for (const [answer, goes] of [
    ['y', true],
    ['yes', true],
    ['n', false],
    ['', false],
    ['yep', false],
  ] as const)
    it(`check --fix asks once with the plan; "${answer}" ${goes ? 'goes ahead' : "changes nothing (a dry run's exit status)"}`, async () => {
      const { p, ids } = deadStore(2);
      const before = snapshot(p);
      const person = { answer, asked: [] as string[] };
      const r = await vc(['--prefix', p, 'check', '--fix'], { tty: true, person });
      assert.equal(person.asked.length, 1, r.stderr);
      assert.match(person.asked[0] ?? '', /^check --fix will:\n/);
      for (const id of ids) assert.ok(person.asked[0]?.includes(id.slice(0, 12)), person.asked[0]);
      assert.match(person.asked[0] ?? '', /Go ahead\? \[y\/N\] $/);
      if (goes) for (const id of ids) assert.equal(existsSync(join(p, 'run/vc/sbs', id)), false);
      else {
        // Declined, the exit status is a dry run's (the man page): problems remain.
        assert.equal(r.code, 6, r.stderr);
        assert.match(r.stderr, /nothing changed/);
        assert.deepEqual(snapshot(p), before);
      }
    });

  it('rm of more than one sandbox asks once, listing each; no answers no', async () => {
    const { p, ids } = deadStore(2);
    const before = snapshot(p);
    const person = { answer: 'no', asked: [] as string[] };
    const r = await vc(['--prefix', p, 'rm', ...ids], { tty: true, person });
    assert.equal(r.code, 5);
    assert.equal(person.asked.length, 1);
    assert.match(person.asked[0] ?? '', /^rm will:\n/);
    assert.match(person.asked[0] ?? '', /Remove 2 sandboxes\? \[y\/N\] $/);
    assert.match(r.stderr, /nothing changed/);
    assert.deepEqual(snapshot(p), before);
  });

  it('no terminal to ask (a script), or -y, or --json: nobody is asked and the change goes ahead', async () => {
    for (const extra of [[], ['-y'], ['--json']]) {
      const { p, ids } = deadStore(2);
      const person = { answer: 'n', asked: [] as string[] };
      const scripted = extra.length === 0;
      const r = await vc(['--prefix', p, ...(extra[0] === '--json' ? ['--json'] : []), 'rm', ...(extra[0] === '-y' ? ['-y'] : []), ...ids], {
        tty: !scripted,
        ...(scripted ? {} : { person }),
      });
      assert.equal(r.code, 0, `${extra.join(' ')}: ${r.stderr}`);
      assert.equal(person.asked.length, 0, extra.join(' '));
      for (const id of ids) assert.equal(existsSync(join(p, 'run/vc/sbs', id)), false);
    }
  });
});

describe('terminals and colour (in process)', () => {
  it('colour on a terminal, none off one, none with NO_COLOR, some with FORCE_COLOR off one', async () => {
    const { p } = deadStore(1);
    const esc = (s: string) => s.includes('\u001b[');
    assert.equal(esc((await vc(['--prefix', p, 'ls'], { tty: true })).stdout), true);
    assert.equal(esc((await vc(['--prefix', p, 'ls'])).stdout), false);
    assert.equal(esc((await vc(['--prefix', p, 'ls'], { tty: true, env: { NO_COLOR: '1' } })).stdout), false);
    assert.equal(esc((await vc(['--prefix', p, 'ls'], { env: { FORCE_COLOR: '1' } })).stdout), true);
  });
});

describe('the progress line, on a fake clock', () => {
  it('drawn only after half a second, at most ten times a second, and cleared when asked', async () => {
    const { Progress } = await import('../src/render/progress.js');
    let t = 1_000;
    const out: string[] = [];
    const bar = new Progress(
      (s) => out.push(s),
      10_000,
      'sandboxes',
      () => t,
    );
    bar.update(100);
    t += 499;
    bar.update(200);
    assert.deepEqual(out, [], 'nothing within the first half second');
    t += 1;
    bar.update(5_000);
    assert.equal(out.length, 1);
    assert.equal(out[0], '\r5,000/10,000 sandboxes  10,000/s  ETA 1s\u001b[K');
    t += 50;
    bar.update(5_100);
    assert.equal(out.length, 1, 'not again within 100 ms');
    bar.clear();
    assert.equal(out.at(-1), '\r\u001b[K');
    bar.clear();
    assert.equal(out.length, 2, 'a cleared line is not cleared twice');
  });
});
