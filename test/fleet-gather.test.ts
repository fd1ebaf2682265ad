// needs: nothing
// examples/kubernetes/gather.sh, run for real against a kubectl stand-in
// whose `exec` runs the real vcstore on local stores. The DaemonSet itself:
// test/fleet.test.ts.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addSandbox, BIN, deadPid, R, ROOT, scratch } from './helpers.js';

const { tmp } = scratch();
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('fleet: examples/kubernetes/gather.sh', () => {
  it('aggregates check --json from every node', { skip: has('jq') ? false : 'jq not installed' }, () => {
    const clean = tmp();
    addSandbox(clean, `${R}ok1`, { state: 'stopped' });
    const bad = tmp();
    addSandbox(bad, `${R}dead1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    const bin = tmp();
    // kubectl stand-in: lists two pods; `exec POD -- vcstore ...` runs the real
    // vcstore against that pod's node store, as the DaemonSet would.
    writeFileSync(
      join(bin, 'kubectl'),
      `#!/bin/sh
case "$*" in
  *"get pods"*) printf 'vcstore-a node-a\\nvcstore-b node-b\\n' ;;
  *"exec vcstore-a -- "*) shift 5; VCSTORE_PREFIX=${clean} exec "$@" ;;
  *"exec vcstore-b -- "*) shift 5; VCSTORE_PREFIX=${bad} exec "$@" ;;
  *) echo "unexpected: $*" >&2; exit 9 ;;
esac
`,
    );
    chmodSync(join(bin, 'kubectl'), 0o755);
    symlinkSync(BIN, join(bin, 'vcstore'));
    const r = spawnSync('bash', [join(ROOT, 'examples/kubernetes/gather.sh')], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    assert.equal(r.status, 6, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.summary, { nodes: 2, clean: 1, withProblems: 1, failed: 0, errors: 1, warnings: 0, info: 0 });
    assert.deepEqual(
      j.nodes.map((n: any) => [n.node, n.exit]),
      [
        ['node-a', 0],
        ['node-b', 6],
      ],
    );
    assert.equal(j.nodes[1].report.findings[0].code, 'hypervisor-dead');
  });
});
