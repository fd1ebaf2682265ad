// needs: nothing
// The store written by the runtime's own Go store code: vcstore must read
// every item of it and write back what the Go code reads.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanup, ROOT, SLOW, snapshot, tempDir, vcp } from './helpers.js';

let p: string;
before(() => {
  p = tempDir();
  const r = spawnSync('tar', ['xzf', join(ROOT, 'test/fixtures/kata-1.x-store.tar.gz'), '-C', p]);
  assert.equal(r.status, 0);
});
after(() => cleanup(p));

describe('Go-written fixture', () => {
  it('ls reads 4 sandboxes with 8 containers, no corrupt items, and writes nothing', () => {
    const before = snapshot(p);
    const list = JSON.parse(vcp(p, ['ls', '--json']).stdout);
    assert.equal(list.length, 4);
    assert.equal(
      list.reduce((n: number, s: any) => n + s.containers.length, 0),
      8,
    );
    assert.deepEqual(list.map((s: any) => s.state).sort(), ['paused', 'ready', 'running', 'stopped']);
    assert.deepEqual(list.map((s: any) => s.hypervisor.type).sort(), ['acrn', 'firecracker', 'qemu', 'qemu']);
    for (const s of list) assert.ok(!s.problems.some((x: string) => /corrupt|unreadable|bad-shape/.test(x)), s.problems.join());
    assert.deepEqual(snapshot(p), before);
  });
  it('every item of every sandbox and container shows as JSON', { skip: SLOW }, () => {
    const list = JSON.parse(vcp(p, ['ls', '--json']).stdout);
    for (const s of list) {
      for (const item of ['config', 'state', 'network', 'hypervisor', 'agent', 'devices', 'mounts']) {
        const r = vcp(p, ['--json', 'show', s.id, item]);
        if (r.code === 3) continue; // not every sandbox has every item
        assert.equal(r.code, 0, `${s.id} ${item}: ${r.stderr}`);
        JSON.parse(r.stdout);
      }
      for (const c of s.containers)
        for (const item of ['config', 'state', 'process', 'devices', 'mounts']) {
          const r = vcp(p, ['--json', 'show', s.id, c.id, item]);
          assert.equal(r.code, 0, `${s.id}/${c.id} ${item}: ${r.stderr}`);
        }
    }
  });
  it('check grades the fixture without corrupt-item or bad-shape findings', () => {
    const j = JSON.parse(vcp(p, ['--json', 'check']).stdout);
    assert.ok(!j.findings.some((f: any) => f.code === 'corrupt-item' || f.code === 'bad-shape'), JSON.stringify(j.findings));
  });
  it('set of an unchanged item writes back the identical bytes the Go code wrote', () => {
    const list = JSON.parse(vcp(p, ['ls', '--json']).stdout);
    const s = list.find((x: any) => x.state === 'stopped');
    for (const file of ['state.json', 'network.json', 'devices.json', 'mounts.json', 'agent.json', 'hypervisor.json']) {
      const path = join(s.paths.runtime, file);
      const before = readFileSync(path);
      const r = vcp(p, ['set', s.id, file, path]);
      assert.equal(r.code, 0, `${file}: ${r.stderr}`);
      assert.deepEqual(readFileSync(path), before, file);
    }
    // config.json carries the whole OCI spec: the largest, most varied item.
    for (const x of list) {
      const path = join(x.paths.config, 'config.json');
      const before = readFileSync(path);
      const r = vcp(p, ['set', '--force', x.id, 'config', path]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readFileSync(path), before, path);
    }
  });
});
