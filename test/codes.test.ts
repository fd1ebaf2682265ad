// needs: root (the zoo plants its mount, cgroup and network-namespace codes only as root)
// Every problem code, through every command that shows problems: what ls
// shows for a sandbox, check finds for it, and show shows exactly what check
// finds. One store holds one example of each code (test/zoo.ts).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { CODES } from '../src/store/read/problems.js';
import { scratch, vci } from './helpers.js';
import { buildZoo, type Zoo } from './zoo.js';

const { tmp, track } = scratch();

describe('every problem code through ls, show and check', () => {
  let zoo: Zoo;
  before(async () => {
    zoo = await buildZoo(tmp(), tmp(), track);
  });
  after(async () => zoo.release());
  const key = (x: { code: string; container?: string }) => `${x.code}${x.container ? `/${x.container}` : ''}`;

  it('the zoo plants every code it can, and check finds each where it was planted', async () => {
    const j = JSON.parse((await vci(zoo.p, ['--json', 'check', '--stuck-after', '0'])).stdout);
    for (const code of Object.keys(CODES)) {
      if (zoo.missing[code]) continue;
      const sid = zoo.ids[code];
      assert.ok(sid, `the zoo plants ${code}`);
      assert.ok(
        j.findings.some((f: any) => f.code === code && f.id === sid),
        `${code} on ${sid}: ${JSON.stringify(j.findings.filter((f: any) => f.id === sid))}`,
      );
    }
  });
  it('each sandbox ls lists: its problems are check findings; show shows exactly the findings check has for it', async () => {
    const ls = JSON.parse((await vci(zoo.p, ['--json', 'ls'])).stdout);
    const ck = JSON.parse((await vci(zoo.p, ['--json', 'check', '--stuck-after', '0'])).stdout).findings;
    assert.ok(ls.length >= 15);
    for (const s of ls) {
      const mine = ck.filter((f: any) => f.id === s.id).map(key);
      for (const p of s.problems) assert.ok(mine.includes(key(p)), `ls shows ${key(p)} on ${s.id}; check has ${mine.join(' ')}`);
      const show = await vci(zoo.p, ['--json', 'show', '--no-lock', s.id]);
      const shown = (JSON.parse(show.stdout).problems ?? []).map(key);
      // lock ages are judged by check's --stuck-after only
      const judged = mine.filter((k: string) => !k.startsWith('lock-'));
      assert.deepEqual(shown.filter((k: string) => !k.startsWith('lock-')).sort(), judged.sort(), `show ${s.id}`);
    }
  });
});
