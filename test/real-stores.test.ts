// needs: nothing
// Stores the real Kata 1.x runtime wrote (npm run test:kata kept them, see
// keepStore in test/kata/harness.ts): 1.9 and 1.13, the CLI and containerd
// paths, a running sandbox and one killed with -9. Each is unpacked under a
// fresh ID (two suites side by side never name the same sandbox), its
// sockets made again, and, for a running one, stand-ins started with the
// argv the runtime launched its processes with. vcstore must judge them as
// it judged the real ones.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { namedProc, oneLine, ROOT, scratch, snapshot, vci } from './helpers.js';

const { tmp } = scratch();
const DIR = join(ROOT, 'test/fixtures/real-kata');
const json = async (p: string, args: string[]) => JSON.parse((await vci(p, ['--json', ...args])).stdout);

interface Manifest {
  id: string;
  variant: 'abec' | 'head';
  path: 'cli' | 'ctr';
  kind: 'running' | 'leaked';
  roots: string[];
  sockets: string[];
  processes: { role: string; argv: string[] }[];
  netns: string | null;
}

const manifests = existsSync(DIR)
  ? readdirSync(DIR)
      .filter((n) => n.endsWith('.json'))
      .sort()
      .map((n) => ({ name: n.slice(0, -5), m: JSON.parse(readFileSync(join(DIR, n), 'utf8')) as Manifest }))
  : [];

/** Unpack a kept store under `p` with `id` in place of the runtime's, in names and in every file. */
function unpack(p: string, name: string, m: Manifest, id: string): void {
  const r = spawnSync('tar', ['-xzf', join(DIR, `${name}.tar.gz`), '-C', p], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const walk = (dir: string) => {
    for (const n of readdirSync(dir, { withFileTypes: true })) {
      const at = join(dir, n.name);
      if (n.isDirectory()) walk(at);
      else if (n.isFile()) {
        const text = readFileSync(at, 'latin1');
        if (text.includes(m.id)) writeFileSync(at, text.replaceAll(m.id, id), 'latin1');
      }
      if (n.name.includes(m.id)) renameSync(at, join(dir, n.name.replaceAll(m.id, id)));
    }
  };
  walk(p);
  // Sockets are not kept: bound again by name from their directory (a prefix makes paths too long for sun_path).
  for (const s of m.sockets) {
    const at = join(p, s.replaceAll(m.id, id));
    mkdirSync(dirname(at), { recursive: true });
    const b = spawnSync('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', basename(at)], { cwd: dirname(at) });
    assert.equal(b.status, 0, String(b.stderr));
  }
}

describe('stores the real runtime wrote', () => {
  it('are kept for every version and path, running and killed', () => {
    const names = new Set(manifests.map((x) => x.name));
    for (const v of ['abec', 'head'])
      for (const path of ['cli', 'ctr'])
        for (const kind of ['running', 'leaked']) assert.ok(names.has(`${v}-${path}-${kind}`), `${v}-${path}-${kind} (npm run test:kata keeps it)`);
  });

  for (const { name, m } of manifests)
    it(`${name}: ${m.kind === 'running' ? 'alive while the runtime processes run (argv as launched), refused; dead once they are gone, and fixed' : 'dead, and check --fix leaves nothing of it'}`, async () => {
      const p = tmp();
      const id = randomBytes(32).toString('hex');
      unpack(p, name, m, id);
      const layout = m.variant === 'abec' ? 'legacy' : 'persist';
      if (m.kind === 'running') {
        assert.ok(
          m.processes.some((x) => x.role === 'qemu'),
          'the qemu argv was kept',
        );
        const kids = [];
        for (const x of m.processes) {
          const [argv0 = '', ...args] = x.argv.map((a) => a.replaceAll(m.id, id));
          kids.push(await namedProc(argv0, args));
        }
        const [s] = await json(p, ['ls']);
        assert.deepEqual([s.id, s.layout, s.state, s.hypervisor.type, s.hypervisor.alive], [id, layout, 'running', 'qemu', true]);
        const c = await json(p, ['check']);
        assert.deepEqual(
          c.findings.filter((f: any) => f.id === id && f.severity !== 'info').map((f: any) => f.code),
          [],
        );
        const before = snapshot(p);
        oneLine(await vci(p, ['rm', id]), 5, 'rm');
        oneLine(await vci(p, ['set', id, '--state', 'stopped']), 5, 'set');
        await vci(p, ['check', '--fix']);
        assert.deepEqual(snapshot(p), before);
        for (const k of kids) k.kill('SIGKILL');
        await Promise.all(kids.map((k) => new Promise((r) => (k.exitCode !== null || k.signalCode !== null ? r(null) : k.once('exit', r)))));
      }
      const c = await json(p, ['check']);
      const codes = c.findings.filter((f: any) => f.id === id).map((f: any) => f.code);
      assert.ok(codes.includes('hypervisor-dead'), JSON.stringify(codes));
      const fix = await vci(p, ['check', '--fix']);
      assert.equal(fix.code, 0, fix.stdout);
      for (const r of m.roots) assert.equal(existsSync(join(p, r.replaceAll(m.id, id))), false, `${r} is gone`);
    });
});
