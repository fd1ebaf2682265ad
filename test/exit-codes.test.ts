// needs: nothing
// Every command's --help lists exactly the exit codes it returns: each
// command is walked through the ways it can end (success, a usage error, a
// target not found, a lock held, a refusal, problems found, a command that
// cannot run), and every code seen must be one its help lists, and every code
// its help lists (but 1, a failure no scenario should provoke, and 130, a
// SIGINT, walked in test/races.test.ts) must be seen.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addSandbox, deadPid, fakeHypervisor, holdFlock, R, run, runLock, scratch, writeUuidStore } from './helpers.js';

const { tmp, track } = scratch();

/** The codes a command's --help lists under "Exit status:". */
async function listed(cmd: string[]): Promise<Set<number>> {
  const help = (await run([...cmd, '--help'])).stdout;
  const section = help.slice(help.indexOf('Exit status:'));
  return new Set([...section.matchAll(/^ {2}(\d+) /gm)].map((m) => Number(m[1])));
}

describe('exit codes: each --help lists exactly what its command returns', () => {
  let p = '';
  let clean = '';
  let dead = '';
  let notExecutable = '';
  const S = `${R}xs`; // stopped
  const D = `${R}xd`; // dead: check finds it, rm removes it
  const L = `${R}xl`; // live: a change refuses
  const H = `${R}xh`; // locked by another process
  let held: Awaited<ReturnType<typeof holdFlock>>;
  let uuidHeld: Awaited<ReturnType<typeof holdFlock>> | undefined;
  before(async () => {
    p = tmp();
    clean = tmp();
    addSandbox(clean, `${R}xc`, { state: 'stopped' });
    dead = tmp();
    addSandbox(dead, `${R}xk`, { state: 'running', pid: deadPid() });
    notExecutable = join(tmp(), 'not-executable');
    writeFileSync(notExecutable, 'true\n', { mode: 0o644 });
    addSandbox(p, S, { state: 'stopped' });
    addSandbox(p, D, { state: 'running', pid: deadPid() });
    const vm = track(fakeHypervisor(L));
    addSandbox(p, L, { state: 'running', pid: vm.pid });
    addSandbox(p, H, { state: 'stopped' });
    writeUuidStore(p, [0, 0, 0, 1, 0, 0, 0, 0]);
    held = await holdFlock(runLock(p, H));
  });
  after(async () => {
    await held.release();
    await uuidHeld?.release();
  });

  const at = (q: string, ...args: string[]) => ['--prefix', q, ...args];
  const missing = `${R}nothere`;
  const empty = () => tmp();
  /** Per command: the scenarios, each the arguments of one run. */
  const walks = (): [string[], string[][]][] => [
    [['ls'], [at(p, 'ls'), at(p, 'ls', '--bogus'), at(empty(), 'ls')]],
    [['show'], [at(p, 'show', S), at(p, 'show', '--bogus', S), at(p, 'show', missing), at(p, 'show', '--nonblock', H)]],
    [['path'], [at(p, 'path'), at(p, 'path', '--bogus'), at(p, 'path', 'prod/nothere')]],
    [
      ['lock'],
      [
        at(p, 'lock', S, '--', 'true'),
        at(p, 'lock', '--bogus', S),
        at(p, 'lock', missing, '--', 'true'),
        at(p, 'lock', '--nonblock', H, '--', 'true'),
        at(p, 'lock', S, '--', notExecutable),
        at(p, 'lock', S, '--', join('/nonexistent', R)),
      ],
    ],
    [['rm'], [at(p, 'rm', '--bogus', D), at(p, 'rm', missing), at(p, 'rm', '--nonblock', H), at(p, 'rm', L), at(p, 'rm', D)]],
    [['raw'], [at(p, 'raw', S, 'made'), at(p, 'raw', '--bogus', S), at(p, 'raw', missing, 'x'), at(p, 'raw', '--nonblock', H, 'x'), at(p, 'raw', L, 'x')]],
    [['uuid'], [at(p, 'uuid'), at(p, 'uuid', '--bogus'), at(empty(), 'uuid')]],
    [
      ['uuid', 'free'],
      [at(p, 'uuid', 'free', '--bogus', '3'), at(empty(), 'uuid', 'free', '3'), at(p, 'uuid', 'free', '--nonblock', '3'), at(p, 'uuid', 'free', '3')],
    ],
    [
      ['set'],
      [
        at(p, 'set', S, 'state', '--state', 'stopped'),
        at(p, 'set', '--bogus', S, 'state'),
        at(p, 'set', missing, 'state', '--state', 'stopped'),
        at(p, 'set', '--nonblock', H, 'state', '--state', 'stopped'),
        at(p, 'set', L, 'state', '--state', 'stopped'),
      ],
    ],
    [['check'], [at(clean, 'check'), at(clean, 'check', '--bogus'), at(empty(), 'check'), at(dead, 'check')]],
    [
      ['completion'],
      [
        ['completion', 'bash'],
        ['completion', 'fish'],
      ],
    ],
  ];
  /** Codes the walk need not provoke: a failure (1), SIGINT (130), and refusals it has no scenario for. */
  const unprovoked: Record<string, number[]> = { 'uuid free': [5] };

  const commands = [['ls'], ['show'], ['path'], ['lock'], ['rm'], ['raw'], ['uuid'], ['uuid', 'free'], ['set'], ['check'], ['completion']];
  for (const cmd of commands)
    it(`${cmd.join(' ')}`, async () => {
      const scenarios = walks().find(([c]) => c.join(' ') === cmd.join(' '))?.[1] ?? [];
      assert.ok(scenarios.length, 'a walk per command');
      const want = await listed(cmd);
      const seen = new Map<number, string>();
      for (const args of scenarios) {
        // uuid free's wait: its store's lock held for that one run.
        const lockUuid = args.includes('--nonblock') && cmd.join(' ') === 'uuid free';
        if (lockUuid) uuidHeld = await holdFlock(join(p, 'var/lib/vc/uuid/lock'));
        const r = await run(args);
        if (lockUuid) {
          await uuidHeld?.release();
          uuidHeld = undefined;
        }
        const code = r.code ?? -1;
        seen.set(code, `${args.join(' ')}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
        assert.ok(want.has(code), `${cmd.join(' ')} exited ${code}, which its --help does not list (${[...want].join(', ')}): ${args.join(' ')}\n${r.stderr}`);
      }
      const exempt = new Set([1, 130, ...(unprovoked[cmd.join(' ')] ?? [])]);
      for (const c of want)
        if (!exempt.has(c)) assert.ok(seen.has(c), `${cmd.join(' ')} --help lists ${c}, which no scenario returned: ${JSON.stringify([...seen])}`);
    });
});

describe('flags are declared: a usage error comes before any store is read', () => {
  const nowhere = join('/nonexistent', R);
  it('conflicting flags and a value outside the choices are exit 2 even where the store would be exit 3', async () => {
    for (const args of [
      ['rm', '--unmount', '-c', 'x', 'y'],
      ['show', '-o', 'yaml', 'x'],
      ['ls', '-o', 'yaml'],
      ['check', '-o', 'yaml'],
      ['show', '--nonblock', '--wait', '1', 'x'],
      ['set', '--nonblock', '--wait', '1', 'x', 'state', '--state', 'stopped'],
    ]) {
      const r = await run(['--prefix', nowhere, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
  it('--wait, --stuck-after, --older-than and --every take one duration syntax; --format still works and says it is deprecated', async () => {
    const p = tmp();
    addSandbox(p, `${R}dur`, { state: 'stopped' });
    for (const args of [
      ['show', '--wait', '1m30s', `${R}dur`],
      ['show', '--wait', '90', `${R}dur`],
      ['check', '--stuck-after', '2m'],
      ['ls', '--older-than', '1s'],
    ]) {
      const r = await run(['--prefix', p, ...args]);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    for (const bad of [
      ['show', '--wait', '10q', `${R}dur`],
      ['check', '--stuck-after', 'soon'],
    ])
      assert.equal((await run(['--prefix', p, ...bad])).code, 2, bad.join(' '));
    const old = await run(['--prefix', p, 'check', '--format', 'json']);
    assert.equal(old.code, 0, old.stderr);
    assert.ok(JSON.parse(old.stdout).summary);
    assert.match(old.stderr, /--format is deprecated: use -o/);
  });
});
