// needs: nothing
// ls the crictl way (src/commands/ls.ts, src/store/inspect/select.ts):
// newest first, --sort, the filters, ages in the table, -o wide and -o json,
// and every bad value a usage error. Pod filters: test/pods.test.ts.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { addSandbox, deadPid, oneLine, podSandbox, R, scratch, vci } from './helpers.js';

const { tmp } = scratch();
const ids = (out: string) => out.trim().split('\n').filter(Boolean);
const q = async (p: string, ...args: string[]) => ids((await vci(p, ['ls', '-q', ...args])).stdout);

/** Three sandboxes started 72 hours, 5 hours and 3 minutes ago; the middle one a dead firecracker, the newest a persist pod. */
function agedStore(): string {
  const p = tmp();
  const ago = (h: number) => new Date(Date.now() - h * 3600e3).toISOString();
  addSandbox(p, `${R}old`, { state: 'stopped', containers: [{ id: `${R}old`, state: 'stopped', started: ago(72) }] });
  addSandbox(p, `${R}mid`, { state: 'running', hypervisor: 'firecracker', pid: deadPid(), containers: [{ id: `${R}mid`, started: ago(5) }] });
  podSandbox(p, 'persist', `${R}new`, 'prod', 'web-0', { started: ago(0.05) });
  return p;
}

describe('filters, order and ages, the crictl way', () => {
  it('newest first by default', async () => {
    const p = agedStore();
    assert.deepEqual(await q(p), [`${R}new`, `${R}mid`, `${R}old`]);
  });
  it('--sort id and --sort state order the list', async () => {
    const p = agedStore();
    assert.deepEqual(await q(p, '--sort', 'id'), [`${R}mid`, `${R}new`, `${R}old`]);
    assert.deepEqual(await q(p, '--sort', 'state'), [`${R}mid`, `${R}new`, `${R}old`]);
  });
  it('--hypervisor, --layout and --problem select what they name', async () => {
    const p = agedStore();
    assert.deepEqual(await q(p, '--hypervisor', 'firecracker'), [`${R}mid`]);
    assert.deepEqual(await q(p, '--layout', 'persist'), [`${R}new`]);
    assert.deepEqual(await q(p, '--problem', 'hypervisor-dead'), [`${R}mid`]);
  });
  it('--older-than selects by age', async () => {
    const p = agedStore();
    assert.deepEqual(await q(p, '--older-than', '1h'), [`${R}mid`, `${R}old`]);
    assert.deepEqual(await q(p, '--older-than', '2d'), [`${R}old`]);
  });
  it('the table shows each sandbox its age', async () => {
    const p = agedStore();
    const t = (await vci(p, ['ls'])).stdout;
    assert.match(t, new RegExp(`^${R}old\\s+-\\s+stopped.*\\s3d\\s`, 'm'));
    assert.match(t, new RegExp(`^${R}mid\\s+-\\s+running.*\\s5h\\s`, 'm'));
    assert.match(t, new RegExp(`^${R}new\\s+prod/web-0\\s+stopped.*\\s[23]m\\s`, 'm'));
  });
  it('-o wide prints every column', async () => {
    const p = agedStore();
    const wide = (await vci(p, ['ls', '-o', 'wide'])).stdout;
    assert.match(wide, /^ID\s+POD\s+STATE\s+HYPERVISOR\s+PID\s+ALIVE\s+CONTAINERS\s+AGE\s+CREATED\s+LAYOUT\s+LOCK\s+PROBLEMS$/m);
  });
  it('-o json prints the JSON list', async () => {
    const p = agedStore();
    assert.deepEqual(JSON.parse((await vci(p, ['ls', '-o', 'json'])).stdout).length, 3);
  });
  it('a bad --sort, --older-than, --layout, --problem, -o or --pod is a usage error (2)', async () => {
    const p = agedStore();
    for (const bad of [
      ['--sort', 'size'],
      ['--older-than', 'soon'],
      ['--layout', 'x'],
      ['--problem', 'nope'],
      ['-o', 'yaml'],
      ['--pod', 'a/b/c'],
    ])
      oneLine(await vci(p, ['ls', ...bad]), 2, bad.join(' '));
  });
});

describe('values checked (each failed before its fix)', () => {
  it('--hypervisor takes the names as the runtime writes them: QEMU is a usage error (2)', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    oneLine(await vci(p, ['ls', '--hypervisor', 'QEMU']), 2, '--hypervisor QEMU');
  });
  it('--older-than of an infinite or empty duration is a usage error naming it', async () => {
    const p = tmp();
    addSandbox(p, `${R}s1`, { state: 'stopped' });
    oneLine(await vci(p, ['ls', '--older-than', '9'.repeat(400) + 'd']), 2, 'an infinite duration');
    assert.match((await vci(p, ['ls', '--older-than', ''])).stderr, /invalid --older-than "":/);
  });
});
