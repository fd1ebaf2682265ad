// needs: nothing
// What names a sandbox, a container and an item on the command line
// (src/store/inspect/targets.ts): IDs as `ls` prints them (unique prefixes),
// an exact ID over a prefix, ambiguity that never reaches a destructive step,
// and malformed or unknown names refused with exit 2 and one line, touching
// nothing. Pods as targets: test/pods.test.ts.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addSandbox, deadPid, hex64, oneLine, R, scratch, SLOW, snapshot, vci, vcp } from './helpers.js';

const { tmp } = scratch();
const json = async (p: string, args: string[]) => JSON.parse((await vci(p, ['--json', ...args])).stdout);

describe('malformed IDs and names, end to end', () => {
  const bad = ['../x', '../../etc/passwd', '/etc', 'a/b/c', 'A_/b', '.', '..', 'a\nb', 'x'.repeat(4096), 'héllo', '-rf'];
  it('every command refuses a malformed sandbox or container ID with exit 2 and one line, touching nothing', { skip: SLOW }, () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { hypervisor: 'firecracker', pid: deadPid() });
    const before = snapshot(p);
    for (const id of bad) {
      for (const args of [
        ['show', id],
        ['rm', '-f', id],
        ['lock', id],
        ['raw', id],
        ['set', id, '--state', 'stopped'],
        ['path', id],
        ['show', `${R}s1`, id, 'state'],
        ['raw', `${R}s1`, id],
      ]) {
        const r = vcp(p, args);
        if (id === '-rf') {
          assert.ok(r.code === 2, `${args.join(' ')}: ${r.code}`); // an unknown option: still a usage error
          continue;
        }
        oneLine(r, 2, args.join(' '));
      }
    }
    assert.deepEqual(snapshot(p), before);
  });
  it('unknown item names: exit 2', () => {
    const p = tmp();
    addSandbox(p, `${R}s1`);
    for (const n of ['bogus', 'state.json.bak', '../state.json']) oneLine(vcp(p, ['show', `${R}s1`, `${R}s1`, n]), 2, n);
  });
  it('an item name with a typo (show SID stat) is an unknown item: exit 2', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    assert.equal((await vci(p, ['show', `${R}s1`, 'stat'])).code, 2, 'a typo is an unknown item');
  });
  it('uuid free 8 (no such slot) is a usage error, never a sandbox prefix', async () => {
    const p = tmp();
    addSandbox(p, `8${R}`, { state: 'stopped' });
    oneLine(await vci(p, ['uuid', 'free', '8']), 2, 'uuid free 8');
  });
});

/** Two sandboxes sharing a 12-character prefix, one more apart: IDs shaped as the runtime's. */
function prefixStore() {
  const p = tmp();
  const base = hex64(`${R}${Math.random()}`).slice(0, 20);
  const a = `${base}${hex64('a').slice(0, 44)}`;
  const b = `${base}${hex64('b').slice(0, 44)}`;
  const c = hex64(`${R}c${Math.random()}`);
  for (const [sid, state] of [
    [a, 'stopped'],
    [b, 'stopped'],
    [c, 'stopped'],
  ] as const)
    addSandbox(p, sid, {
      state,
      containers: [
        { id: sid, state },
        { id: `${sid.slice(0, 8)}${hex64(sid).slice(0, 56)}`, state },
      ],
    });
  return { p, a, b, c, base };
}

describe('unique-prefix sandbox IDs', () => {
  it('every command takes the 12 characters ls prints', async () => {
    const { p, c } = prefixStore();
    const short = c.slice(0, 12);
    assert.ok((await vci(p, ['ls'])).stdout.includes(`${short} `), 'ls prints 12 characters');
    const show = await vci(p, ['show', short]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`^Sandbox\\s+${c}$`, 'm'));
    assert.equal((await json(p, ['show', short])).id, c);
    assert.equal((await vci(p, ['path', short])).stdout.split('\n')[0], `config ${join(p, 'var/lib/vc/sbs', c)}`);
    assert.equal((await vci(p, ['lock', short])).code, 0);
    assert.match((await vci(p, ['show', short, 'state'])).stdout, /"state": "stopped"/);
  });
  it('an ambiguous prefix is exit 2 listing the matches, in every command, with nothing read or changed', async () => {
    const { p, a, b, base } = prefixStore();
    const before = snapshot(p);
    for (const cmd of [['show'], ['rm'], ['set', '--state', 'ready'], ['lock'], ['raw'], ['path']]) {
      const r = await vci(p, [...cmd.slice(0, 1), ...cmd.slice(1), base.slice(0, 14)]);
      oneLine(r, 2, cmd.join(' '));
      assert.ok(r.stderr.includes(a) && r.stderr.includes(b), r.stderr);
    }
    assert.deepEqual(snapshot(p), before);
  });
  it('under --force a prefix names nothing at all: not found (3), whatever it would match', async () => {
    const { p, base } = prefixStore();
    const before = snapshot(p);
    oneLine(await vci(p, ['rm', '-f', base.slice(0, 14)]), 3, 'rm -f of a prefix');
    assert.deepEqual(snapshot(p), before);
  });
  it('a prefix of no sandbox is not found (3)', async () => {
    const { p } = prefixStore();
    oneLine(await vci(p, ['show', 'ffffffffffff0']), 3, 'show of a prefix of nothing');
  });
  it('an exact ID wins over being a prefix of another', async () => {
    const q = tmp();
    addSandbox(q, `${R}x`, { state: 'stopped' });
    addSandbox(q, `${R}xy`, { state: 'stopped' });
    assert.equal((await json(q, ['show', `${R}x`])).id, `${R}x`);
  });
  it('--force and --ignore-not-found never resolve a prefix: rm changes nothing (3 and 0)', async () => {
    const { p, c } = prefixStore();
    const before = snapshot(p);
    for (const flag of ['--force', '--ignore-not-found']) {
      const no = await vci(p, ['rm', flag, c.slice(0, 12)]);
      assert.equal(no.code, flag === '--force' ? 3 : 0, no.stderr);
      assert.deepEqual(snapshot(p), before, `${flag} never resolves a prefix`);
    }
  });
  it('rm of a short ID removes the sandbox it names', async () => {
    const { p, c } = prefixStore();
    const r = await vci(p, ['rm', c.slice(0, 12)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^sandbox ${c}: removed `));
    assert.equal(existsSync(join(p, 'run/vc/sbs', c)), false);
  });
  it('rm --ignore-not-found of the short ID of a removed sandbox says it was not found and ignored', async () => {
    const { p, c } = prefixStore();
    assert.equal((await vci(p, ['rm', c.slice(0, 12)])).code, 0);
    const gone = await vci(p, ['rm', '--ignore-not-found', c.slice(0, 12)]);
    assert.equal(gone.code, 0);
    assert.equal(gone.stdout, `sandbox ${c.slice(0, 12)}: not found, ignored\n`);
  });
  it('an ID and its prefix in one rm remove the sandbox once', async () => {
    const { p, a } = prefixStore();
    const twice = await json(p, ['rm', a, a.slice(0, 24)]);
    assert.deepEqual(
      twice.map((x: { id: string; status: string }) => [x.id, x.status]),
      [[a, 'removed']],
    );
  });
  it('an argument of 64 characters is only ever exact: a gone full ID never names a longer one', async () => {
    const p = tmp();
    const full = hex64(`${R}full`);
    addSandbox(p, `${full}-later`, { state: 'stopped' });
    const r = await vci(p, ['rm', '--ignore-not-found', full]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `sandbox ${full}: not found, ignored\n`);
    assert.ok(existsSync(join(p, 'run/vc/sbs', `${full}-later`)));
    oneLine(await vci(p, ['show', full]), 3, 'show of a gone full ID');
  });
});

describe('unique-prefix container IDs', () => {
  const container = (c: string) => `${c.slice(0, 8)}${hex64(c).slice(0, 56)}`;
  it('show takes a container, and its items, by prefix', async () => {
    const { p, c } = prefixStore();
    const cid = container(c);
    const r = await vci(p, ['show', c.slice(0, 12), cid.slice(0, 12)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Container\\s+${cid}$`, 'm'));
    assert.match((await vci(p, ['show', c.slice(0, 12), cid.slice(0, 12), 'process'])).stdout, /"Pid"/);
  });
  it('an ambiguous container prefix is exit 2', async () => {
    const { p, c } = prefixStore();
    // c and its container share 8 characters: a container prefix of 8 matches both containers.
    oneLine(await vci(p, ['show', c.slice(0, 12), c.slice(0, 8), 'state']), 2, 'ambiguous container prefix');
  });
  it('a container prefix of nothing is exit 3', async () => {
    const { p, c } = prefixStore();
    oneLine(await vci(p, ['show', c.slice(0, 12), 'ffff0000', 'state']), 3, 'container prefix of nothing');
  });
  it('set takes a container by prefix and says what the sandbox prefix resolved to', async () => {
    const { p, c } = prefixStore();
    const set = await vci(p, ['set', c.slice(0, 12), container(c).slice(0, 12), '--state', 'ready']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stderr, new RegExp(`"${c.slice(0, 12)}" is sandbox ${c}`), 'says what the prefix resolved to');
  });
  it('rm -c takes a container by prefix and removes that container only', async () => {
    const { p, c } = prefixStore();
    const cid = container(c);
    const rm = await vci(p, ['rm', '-c', cid.slice(0, 12), c.slice(0, 12)]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(existsSync(join(p, 'run/vc/sbs', c, cid)), false);
    assert.equal(existsSync(join(p, 'run/vc/sbs', c, c)), true);
  });
});

describe('names that are not runtime IDs (each failed before its fix)', () => {
  it('an exact ID wins in every root: a VM dir alone named "web" is not "web2"', async () => {
    const p = tmp();
    addSandbox(p, `${R}web2`, { state: 'stopped' });
    mkdirSync(join(p, 'run/vc/vm', `${R}web`), { recursive: true });
    writeFileSync(join(p, 'run/vc/vm', `${R}web`, 'pid'), String(deadPid()));
    const r = await vci(p, ['rm', `${R}web`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(join(p, 'run/vc/vm', `${R}web`)), false);
    assert.ok(existsSync(join(p, 'run/vc/sbs', `${R}web2`)), 'web2 untouched');
  });
  /** web and web2, then web removed: what an rm run twice meets. */
  async function webRemoved(): Promise<string> {
    const p = tmp();
    addSandbox(p, `${R}web`, { state: 'stopped' });
    addSandbox(p, `${R}web2`, { state: 'stopped' });
    assert.equal((await vci(p, ['rm', `${R}web`])).code, 0);
    return p;
  }
  it('rm of a name run twice never reaches its neighbour: only 64-hex IDs are reached by a prefix to change something', async () => {
    const p = await webRemoved();
    const before = snapshot(p);
    for (const args of [
      ['rm', `${R}web`],
      ['set', `${R}web`, '--state', 'ready'],
      ['lock', `${R}web`, '--', 'true'],
      ['raw', `${R}web`],
    ]) {
      const r = await vci(p, args);
      oneLine(r, 2, args.join(' '));
      assert.match(r.stderr, new RegExp(`${R}web2 starts with it`));
    }
    assert.deepEqual(snapshot(p), before);
  });
  it('reading still takes a prefix of a name that is no runtime ID, and path says what it resolved to', async () => {
    const p = await webRemoved();
    assert.equal((await json(p, ['show', `${R}web`])).id, `${R}web2`);
    const path = await vci(p, ['path', `${R}web`]);
    assert.match(path.stderr, new RegExp(`is sandbox ${R}web2`));
  });
});
