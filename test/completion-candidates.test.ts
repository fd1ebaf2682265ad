// needs: nothing
// What completion offers (`vcstore __complete`, src/commands/complete.ts),
// asked directly: pods exactly as ls reads them, never text from the store
// that is no Kubernetes name, the items the sandbox at hand has, the codes
// after --only and the levels after --fail-on. The shell scripts:
// test/completion-scripts.test.ts; real shells in tmux: test/completion.test.ts.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addPersistSandbox, addRuntimeRsSandbox, addSandbox, criPod, podSandbox, R, scratch, vci, vcp } from './helpers.js';

const { tmp } = scratch();
const json = async (p: string, args: string[]) => JSON.parse((await vci(p, ['--json', ...args])).stdout);

describe('pods', () => {
  it("completion's light pod read offers exactly the pods ls shows, in every layout and for the odd configs", async () => {
    const p = tmp();
    podSandbox(p, 'legacy', `${R}l1`, 'prod', 'web-0');
    podSandbox(p, 'persist', `${R}p1`, 'stage', 'db-0');
    podSandbox(p, 'legacy', `${R}l2`, 'prod', 'web-1');
    podSandbox(p, 'legacy', `${R}l3`, 'dev', 'cut-0');
    podSandbox(p, 'legacy', `${R}l4`, 'dev', 'esc-0');
    addRuntimeRsSandbox(p, `${R}r1`);
    addSandbox(p, `${R}n1`, { state: 'stopped' });
    // Two pods claimed in one config: unknown. Cut short before the end: still the pod it names.
    const cfg = (sid: string) => join(p, 'var/lib/vc/sbs', sid, 'config.json');
    const doc = JSON.parse(readFileSync(cfg(`${R}l2`), 'utf8'));
    doc.Containers[1]._ = { annotations: criPod('prod', 'other-0', 'u', `${R}l2`, 'web') };
    writeFileSync(cfg(`${R}l2`), JSON.stringify(doc));
    writeFileSync(cfg(`${R}l3`), readFileSync(cfg(`${R}l3`), 'utf8').slice(0, -5));
    // A key's text inside another annotation's value names nothing.
    const esc = JSON.parse(readFileSync(cfg(`${R}l4`), 'utf8'));
    esc.Containers[0]._.annotations['x'] = '{"io.kubernetes.cri.sandbox-name":"evil-0"}';
    writeFileSync(cfg(`${R}l4`), JSON.stringify(esc));
    const listed = (await json(p, ['ls'])) as { pod: { namespace: string | null; name: string | null } | null }[];
    const want = [...new Set(listed.flatMap((s) => (s.pod?.namespace && s.pod.name ? [`${s.pod.namespace}/${s.pod.name}`] : [])))].sort();
    assert.deepEqual(want, ['dev/cut-0', 'dev/esc-0', 'prod/web-0', 'stage/db-0']);
    assert.deepEqual(vcp(p, ['__complete', '--', 'show', 'd']).stdout.split('\n').filter(Boolean), ['dev/cut-0', 'dev/esc-0']);
    assert.deepEqual(vcp(p, ['__complete', '--', 'show', 'x/']).stdout, '');
    assert.deepEqual(vcp(p, ['__complete', '--', 'ls', '--pod', '']).stdout.split('\n').filter(Boolean), want);
    assert.deepEqual(vcp(p, ['__complete', '--', 'ls', '-n', '']).stdout, 'dev\nprod\nstage\n');
  });
  it('completion offers no annotation text that is no Kubernetes name, and never a directive from the store', () => {
    const p = tmp();
    for (const [sid, ns, name] of [
      [`${R}g1`, 'prod', 'x$(touch${IFS}/tmp/PWNED)'],
      [`${R}g2`, 'prod', '*'],
      [`${R}g3`, ':dirs', 'a'],
      [`${R}g4`, 'prod', 'ok-0'],
    ] as const)
      addPersistSandbox(p, sid, {
        state: 'stopped',
        containers: [{ id: sid, state: 'stopped', annotations: { 'io.kubernetes.cri.sandbox-namespace': ns, 'io.kubernetes.cri.sandbox-name': name } }],
      });
    assert.equal(vcp(p, ['__complete', '--', 'show', 'prod/']).stdout, 'prod/ok-0\n');
    assert.equal(vcp(p, ['__complete', '--', 'ls', '-n', '']).stdout, 'prod\n');
  });
});

describe('items: what the sandbox at hand has', () => {
  it('a 1.x sandbox without network.json: show is not offered network, set is (it may write it anew)', () => {
    const p = tmp();
    addSandbox(p, `${R}cn`, { state: 'stopped' });
    const show = vcp(p, ['__complete', '--', 'show', `${R}cn`, '']).stdout.split('\n');
    assert.ok(show.includes('State') && show.includes('Hypervisor'), show.join(' '));
    assert.ok(!show.includes('Network'), show.join(' '));
    const set = vcp(p, ['__complete', '--', 'set', `${R}cn`, '']).stdout.split('\n');
    assert.ok(set.includes('Network'), set.join(' '));
  });
});

describe('check options', () => {
  it('completion offers the problem codes after --only', () => {
    const p = tmp();
    assert.equal(vcp(p, ['__complete', '--', 'check', '--only', 'cgroup']).stdout, 'cgroup-leaked\n');
  });
  it('completion offers the levels after --fail-on', () => {
    const p = tmp();
    assert.equal(vcp(p, ['__complete', '--', 'check', '--fail-on', '']).stdout, 'error\nwarning\nnever\n');
  });
});
