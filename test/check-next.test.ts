// needs: root (the zoo plants its mount, cgroup and network-namespace codes only as root)
// Every finding says what to do next (src/render/next.ts), runnable as
// printed: against the zoo of every code (test/zoo.ts), and on a store whose
// path needs quoting.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { addPersistSandbox, addSandbox, BIN, cleanup, deadPid, R, scratch, vci, writeUuidStore } from './helpers.js';
import { buildZoo } from './zoo.js';

const { tmp, track } = scratch();

/** A store whose path has a space and a quote in it: every printed command must still run. */
function oddPrefix(): string {
  const d = mkdtempSync(join(tmpdir(), "vcstore test o'k "));
  after(() => cleanup(d));
  return d;
}

describe('every finding says what to do next', () => {
  it('every code the zoo plants carries a next step, and the man page lists one per code', async () => {
    const zoo = await buildZoo(tmp(), tmp(), track);
    try {
      const j = JSON.parse((await vci(zoo.p, ['--json', 'check', '--stuck-after', '0'])).stdout);
      for (const f of j.findings) {
        assert.equal(typeof f.next, 'string', f.code);
        assert.ok(f.next.length > 10, `${f.code}: ${f.next}`);
        if (f.next.startsWith('vcstore ')) assert.ok(f.next.startsWith(`vcstore --prefix ${zoo.p} `), f.next);
      }
      const table = (await vci(zoo.p, ['check', '--stuck-after', '0'])).stdout;
      assert.equal((table.match(/^\s+next: /gm) ?? []).length, j.findings.length);
    } finally {
      await zoo.release();
    }
  });

  it('every vcstore command a finding prints runs as printed against the store it came from: it succeeds or refuses with a documented code, never a usage error', async () => {
    const zoo = await buildZoo(tmp(), tmp(), track);
    try {
      const j = JSON.parse((await vci(zoo.p, ['--json', 'check', '--stuck-after', '0'])).stdout);
      const commands = [...new Set<string>(j.findings.map((f: any) => f.next).filter((n: string) => n.startsWith('vcstore ')))];
      assert.ok(commands.length >= 8, commands.join('\n'));
      for (const cmd of commands) {
        const r = spawnSync('sh', ['-c', `${cmd.replace(/^vcstore /, `${process.execPath} ${BIN} `)} </dev/null`], { encoding: 'utf8' });
        assert.ok([0, 1, 3, 4, 5, 6].includes(r.status ?? -1), `${cmd}: exit ${r.status} ${r.stderr}`);
        assert.notEqual(r.status, 2, `${cmd}: a usage error: ${r.stderr}`);
      }
    } finally {
      await zoo.release();
    }
  });

  it('the commands it prints run as printed, quoting and all, and do what they say', async () => {
    const p = oddPrefix();
    const dead = `${R}n1`;
    const box = `${R}n2`;
    addSandbox(p, dead, { state: 'running', pid: deadPid() });
    addSandbox(p, box, { state: 'stopped', containers: [{ id: `${R}c1`, state: 'running', pid: deadPid() }] });
    writeUuidStore(p, [0, 0, 1, 0, 0, 0, 0, 0]);
    const j = JSON.parse((await vci(p, ['--json', 'check'])).stdout);
    const next = (code: string) => j.findings.find((f: any) => f.code === code).next as string;
    const sh = (cmd: string) => spawnSync('sh', ['-c', cmd.replace(/^vcstore /, `${process.execPath} ${BIN} `)], { encoding: 'utf8' });
    for (const code of ['hypervisor-dead', 'container-dead', 'uuid-leaked']) {
      const r = sh(next(code));
      assert.equal(r.status, 0, `${next(code)}: ${r.stderr}`);
    }
    assert.equal(existsSync(join(p, 'run/vc/sbs', dead)), false);
    assert.match(readFileSync(join(p, 'run/vc/sbs', box, `${R}c1`, 'state.json'), 'utf8'), /"state":"stopped"/);
    const after = JSON.parse((await vci(p, ['--json', 'check'])).stdout);
    assert.deepEqual(after.findings, []);
  });

  it('the next step of liveness-unknown (hypervisor pid 0) never says ps -p 0', async () => {
    const r = tmp();
    addPersistSandbox(r, `${R}u1`, { state: 'running', pid: 0 });
    const u = JSON.parse((await vci(r, ['--json', 'check'])).stdout).findings.find((f: any) => f.code === 'liveness-unknown');
    assert.doesNotMatch(u.next, /-p 0\b/);
  });
});
