// The reliability scenarios, shared by the short runs in npm test and the
// long ones in npm run test:stress (sizes come from the caller).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addSandbox, BIN, collect, deadPid, DOCUMENTED_EXITS, R, ROOT, sleep, writeUuidStore } from './helpers.js';

function vcRaw(args: string[], input?: string) {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, ...(process.env.VCSTORE_ADDON ? { VCSTORE_ADDON: process.env.VCSTORE_ADDON } : {}) },
  });
  child.stdin.on('error', () => {}); // the child may be killed before it reads
  child.stdin.end(input ?? '');
  return child;
}

/** Temp files a killed writer may leave: `.<name>.vcstore-<pid>-<hex>.tmp`. */
export function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.includes('.vcstore-'));
}

/**
 * How long one run of an operation takes on this machine, in ms (the median
 * of three): kill delays are drawn from within it, so the kills land while
 * the operation is under way on a fast machine and a slow one alike.
 */
async function measure(start: () => ReturnType<typeof vcRaw>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now();
    const r = await collect(start());
    assert.equal(r.code, 0, r.stderr);
    times.push(Date.now() - t0);
  }
  return times.sort((a, b) => a - b)[1] ?? 100;
}

/**
 * `vcstore set` killed with SIGKILL at random moments, `kills` times: the item
 * always parses and holds either the old or the new bytes.
 */
export async function crashSet(prefix: string, kills: number): Promise<{ killed: number; completed: number }> {
  addSandbox(prefix, `${R}s1`, { state: 'stopped', hypervisor: 'firecracker', pid: deadPid() });
  const file = join(prefix, `run/vc/sbs/${R}s1/state.json`);
  // Big enough that a kill can land mid-write.
  const pad = 'p'.repeat(256 * 1024);
  const A = JSON.stringify({ state: 'stopped', blockIndex: 1, pad });
  const B = JSON.stringify({ state: 'ready', blockIndex: 2, pad });
  writeFileSync(file, A);
  const span = await measure(() => vcRaw(['--prefix', prefix, 'set', `${R}s1`, 'state', '-'], A));
  let killed = 0;
  let completed = 0;
  for (let i = 0; i < kills; i++) {
    const next = readFileSync(file, 'utf8') === A ? B : A;
    const child = vcRaw(['--prefix', prefix, 'set', `${R}s1`, 'state', '-'], next);
    const done = collect(child);
    await sleep(Math.random() * span * 0.9);
    child.kill('SIGKILL');
    const r = await done;
    if (r.code === 0) completed++;
    else killed++;
    const now = readFileSync(file, 'utf8');
    assert.ok(now === A || now === B, `iteration ${i}: state.json is neither old nor new (${now.length} bytes)`);
    JSON.parse(now);
  }
  // The next run cleans what killed writers left.
  const last = vcRaw(['--prefix', prefix, 'set', `${R}s1`, 'state', '-'], A);
  const r = await collect(last);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(tempFiles(join(prefix, `run/vc/sbs/${R}s1`)), []);
  return { killed, completed };
}

/** `vcstore uuid free` killed at random moments: uuid.json always parses, old or new. */
export async function crashUuid(prefix: string, kills: number): Promise<{ killed: number; completed: number }> {
  writeUuidStore(prefix, [1, 1, 1, 1, 1, 1, 1, 1]);
  const file = join(prefix, 'var/lib/vc/uuid/uuid.json');
  // --force: this is about atomic writes, and a process of another suite on this host may carry a slot's UUID.
  const span = await measure(() => vcRaw(['--prefix', prefix, 'uuid', 'free', '--force', '0']));
  let killed = 0;
  let completed = 0;
  for (let i = 0; i < kills; i++) {
    const slot = i % 8;
    const before = JSON.parse(readFileSync(file, 'utf8')).UUIDAvailability as number[];
    before[slot] = 1;
    writeFileSync(file, JSON.stringify({ UUIDAvailability: before }));
    const old = readFileSync(file, 'utf8');
    const after = [...before];
    after[slot] = 0;
    const expected = JSON.stringify({ UUIDAvailability: after });
    const child = vcRaw(['--prefix', prefix, 'uuid', 'free', '--force', String(slot)]);
    const done = collect(child);
    await sleep(Math.random() * span * 0.9);
    child.kill('SIGKILL');
    const r = await done;
    if (r.code === 0) completed++;
    else killed++;
    const now = readFileSync(file, 'utf8');
    assert.ok(now === old || now === expected, `iteration ${i}: uuid.json is neither old nor new: ${now}`);
  }
  const r = await collect(vcRaw(['--prefix', prefix, 'uuid', 'free', '--force', '0']));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(tempFiles(join(prefix, 'var/lib/vc/uuid')), []);
  return { killed, completed };
}

/**
 * `workers` processes run ls, show, rm, lock and set at random on `count`
 * sandboxes while a runtime stand-in takes flock(2) on them.
 */
export async function concurrency(
  prefix: string,
  count: number,
  workers: number,
  opsPerWorker: number,
): Promise<{ ops: number; takes: number; removed: number }> {
  const sids = Array.from({ length: count }, (_, i) => `${R}sb${String(i).padStart(4, '0')}`);
  for (const sid of sids)
    addSandbox(prefix, sid, { state: 'running', hypervisor: 'firecracker', pid: deadPid(), containers: [{ id: sid }, { id: `${sid}c` }] });
  const seconds = 3 + opsPerWorker * 0.25;
  const runtime = spawn('python3', [join(ROOT, 'test/runtime-sim.py'), prefix, String(seconds), ...sids], { stdio: ['ignore', 'pipe', 'pipe'] });
  const runtimeDone = collect(runtime);
  const pick = () => sids[Math.floor(Math.random() * sids.length)]!;
  let ops = 0;
  const worker = async () => {
    for (let i = 0; i < opsPerWorker; i++) {
      const sid = pick();
      const op = Math.floor(Math.random() * 5);
      const args =
        op === 0
          ? ['ls', '--json']
          : op === 1
            ? ['show', '--wait', '2', sid]
            : op === 2
              ? ['rm', '--wait', '2', sid]
              : op === 3
                ? ['lock', '--wait', '2', sid, '--', 'true']
                : ['set', '--wait', '2', sid, '--state', Math.random() < 0.5 ? 'paused' : 'running'];
      const r = await collect(vcRaw(['--prefix', prefix, ...args]));
      ops++;
      assert.ok(r.code !== null && DOCUMENTED_EXITS.has(r.code), `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
      assert.ok(!/internal error/.test(r.stderr), `${args.join(' ')}: ${r.stderr}`);
      if (op === 0) JSON.parse(r.stdout);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  const rt = await runtimeDone;
  assert.equal(rt.code, 0, rt.stderr);
  const sim = JSON.parse(rt.stdout) as { takes: number; violations: string[] };
  assert.deepEqual(sim.violations, [], 'a sandbox was removed while the runtime held its lock');
  let removed = 0;
  for (const sid of sids) {
    const parts = ['var/lib/vc/sbs', 'run/vc/sbs', 'run/vc/vm'].map((d) => existsSync(join(prefix, d, sid)));
    const whole = parts[0] && parts[1];
    const gone = !parts[0] && !parts[1] && !parts[2];
    assert.ok(whole || gone, `${sid} is half there: ${parts.join(',')}`);
    if (gone) removed++;
  }
  for (const d of ['var/lib/vc/sbs', 'run/vc/sbs'])
    assert.deepEqual(
      readdirSync(join(prefix, d)).filter((n) => n.startsWith('.')),
      [],
      `trash left in ${d}`,
    );
  return { ops, takes: sim.takes, removed };
}
