// needs: root (makes cgroups in the real v1 and v2 hierarchies, bind mounts)
// Leaked cgroups (kata-containers#6232, #6422, #11815) on the real cgroup
// file systems of this host: each test makes its own cgroups, with random
// names, in real v1 controllers (pids, memory) and in the v2 hierarchy, and
// bind-mounts those sub-trees where a --prefix's /sys/fs/cgroup/<name>
// would be. vcstore sees real cgroup mounts (statfs says so), real
// cgroup.procs, and the kernel's own rmdir rules; another run on this
// machine never sees them. A process is put into a cgroup for real.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { addPersistSandbox, addRuntimeRsSandbox, addSandbox, deadPid, isRoot, R, registerMount, scratch, snapshot, until, vci } from './helpers.js';

const CGROUP2 = 0x63677270;
const CGROUP1 = 0x27e0eb;
const fsType = (p: string) => {
  try {
    return statfsSync(p).type;
  } catch {
    return null;
  }
};
/** The hierarchies this host has: v1 controllers a process can join, and v2 (hybrid `unified`, or the root). */
const HIER = [
  { name: 'pids', host: '/sys/fs/cgroup/pids', type: CGROUP1 },
  { name: 'memory', host: '/sys/fs/cgroup/memory', type: CGROUP1 },
  { name: 'unified', host: '/sys/fs/cgroup/unified', type: CGROUP2 },
].filter((h) => fsType(h.host) === h.type);
const usable = isRoot && HIER.length > 0;

// Registered before scratch(): the test's cgroups and mounts go before its temp dirs.
const bases: string[] = [];
let kids: ChildProcess[] = [];
after(() => {
  for (const b of bases.reverse()) removeTree(b);
});
afterEach(async () => {
  for (const k of kids) k.kill('SIGKILL');
  await Promise.all(kids.filter((k) => k.exitCode === null && k.signalCode === null).map((k) => once(k, 'exit')));
  kids = [];
});
const { tmp } = scratch();

/** rmdir a cgroup tree deepest first (the test's own). */
function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(dir, e.name));
  for (let i = 0; i < 50; i++)
    try {
      rmdirSync(dir);
      return;
    } catch {
      spawnSync('sleep', ['0.05']);
    }
}

/**
 * A --prefix whose sys/fs/cgroup/<name> are bind mounts of fresh cgroups of
 * this host's hierarchies: `mk(rel)` makes a cgroup in every one of them.
 */
function cgroupPrefix(): { p: string; at: (h: string, rel: string) => string; mk: (rel: string) => void; all: (rel: string) => string[] } {
  const p = tmp();
  const base = `vcstore-${R}${Math.random().toString(36).slice(2, 8)}`;
  for (const h of HIER) {
    const host = join(h.host, base);
    mkdirSync(host);
    bases.push(host);
    const at = join(p, 'sys/fs/cgroup', h.name);
    mkdirSync(at, { recursive: true });
    const r = spawnSync('mount', ['--bind', host, at], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    registerMount(at);
  }
  const at = (h: string, rel: string) => join(p, 'sys/fs/cgroup', h, rel);
  return {
    p,
    at,
    mk: (rel) => {
      for (const h of HIER) mkdirSync(at(h.name, rel), { recursive: true });
    },
    all: (rel) => HIER.map((h) => at(h.name, rel)),
  };
}

/** A live process put into a cgroup (its cgroup.procs), killed when the test ends. */
async function procIn(cgroup: string): Promise<number> {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  kids.push(child);
  await once(child, 'spawn');
  writeFileSync(join(cgroup, 'cgroup.procs'), `${child.pid}\n`);
  return child.pid!;
}

/** A Kata 3.x persist sandbox (the renamed keys) whose hypervisor is dead, recording these cgroups. */
function deadPersist3(p: string, sid: string, sandboxCgroup: string, overhead: string): void {
  addPersistSandbox(p, sid, { state: 'running', pid: deadPid(), containers: [{ id: sid, state: 'running', pid: -1 }] });
  const file = join(p, 'run/vc/sbs', sid, 'persist.json');
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  delete doc.CgroupPath;
  doc.SandboxCgroupPath = sandboxCgroup;
  doc.OverheadCgroupPath = overhead;
  writeFileSync(file, `${JSON.stringify(doc)}\n`, { mode: 0o600 });
}

const leaks = (j: any, id: string) => j.findings.filter((f: any) => f.id === id && f.code === 'cgroup-leaked');
const paths = (f: any) => f.evidence.cgroups.map((c: any) => c.path).sort();

describe('leaked cgroups on the real cgroup file systems', { skip: !usable && 'needs root and a cgroup file system' }, () => {
  it('a dead 3.x sandbox: its SandboxCgroupPath and kata_overhead/<sid> in every hierarchy are cgroup-leaked, and check --fix rmdirs exactly those with the store', async () => {
    const c = cgroupPrefix();
    const sid = `${R}a${Math.random().toString(16).slice(2, 10)}`;
    const pod = `kubepods/besteffort/pod${R}1`;
    deadPersist3(c.p, sid, `/${pod}/kata_${sid}`, `/kata_overhead/${sid}`);
    c.mk(`${pod}/kata_${sid}`);
    c.mk(`kata_overhead/${sid}`);
    c.mk(`${pod}/${R}other`); // a sibling no store names: never touched
    const j = JSON.parse((await vci(c.p, ['check', '--json'])).stdout);
    const [f, ...more] = leaks(j, sid);
    assert.equal(more.length, 0);
    assert.equal(f.severity, 'warning');
    assert.equal(f.fixable, true);
    assert.deepEqual(paths(f), [...c.all(`${pod}/kata_${sid}`), ...c.all(`kata_overhead/${sid}`)].sort());
    assert.deepEqual(new Set(f.evidence.cgroups.map((x: any) => x.hierarchy)), new Set(HIER.map((h) => h.name)));
    assert.ok(f.evidence.cgroups.every((x: any) => x.procs === 0));

    const fix = await vci(c.p, ['check', '--fix', '--json']);
    const fj = JSON.parse(fix.stdout);
    const act = fj.actions.find((a: any) => a.id === sid);
    assert.equal(act.action, 'removed', fix.stdout);
    for (const d of [...c.all(`${pod}/kata_${sid}`), ...c.all(`kata_overhead/${sid}`)]) {
      assert.equal(existsSync(d), false, `${d} should be gone`);
      assert.ok(act.paths.includes(d), `${d} is reported`);
    }
    for (const d of [...c.all(pod), ...c.all(`${pod}/${R}other`), ...c.all('kata_overhead')]) assert.equal(existsSync(d), true, `${d} stays`);
    assert.equal(existsSync(join(c.p, 'run/vc/sbs', sid)), false);
    assert.equal(fj.remaining.filter((x: any) => x.id === sid).length, 0, 'nothing remains');
  });

  it('a cgroup holding a process is an error, never fixed: check --fix and rm leave the store and every cgroup; rm --force leaves only that cgroup', async () => {
    const c = cgroupPrefix();
    const sid = `${R}b${Math.random().toString(16).slice(2, 10)}`;
    deadPersist3(c.p, sid, `/kata_${sid}`, `/kata_overhead/${sid}`);
    c.mk(`kata_${sid}`);
    c.mk(`kata_overhead/${sid}`);
    const busy = c.at(HIER[0]!.name, `kata_overhead/${sid}`);
    await procIn(busy);
    const cgroups = [...c.all(`kata_${sid}`), ...c.all(`kata_overhead/${sid}`)];
    const before = snapshot(join(c.p, 'run'));
    const j = JSON.parse((await vci(c.p, ['check', '--json'])).stdout);
    const [f] = leaks(j, sid);
    assert.equal(f.severity, 'error');
    assert.equal(f.fixable, false);
    assert.equal(f.evidence.busy, true);
    assert.equal(f.evidence.cgroups.find((x: any) => x.path === busy).procs, 1);
    await vci(c.p, ['check', '--fix']);
    const rm = await vci(c.p, ['rm', sid]);
    assert.equal(rm.code, 5, rm.stderr);
    assert.match(rm.stderr, /cgroup .* holds 1 process/);
    assert.equal(rm.stderr.trim().split('\n').length, 1, rm.stderr);
    assert.deepEqual(snapshot(join(c.p, 'run')), before, 'nothing changed');
    for (const d of cgroups) assert.equal(existsSync(d), true, d);

    const forced = await vci(c.p, ['rm', '--force', sid]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /left in place/);
    assert.equal(existsSync(busy), true);
    assert.equal(existsSync(join(c.p, 'run/vc/sbs', sid)), false);
    for (const d of cgroups.filter((d) => d !== busy)) assert.equal(existsSync(d), false, d);
  });

  it('with no store, only Kata-named cgroups are leaked (kata_overhead/<sid>, kata_<sid>): a systemd-form dir and a scope with the same ID are no evidence', async () => {
    const c = cgroupPrefix();
    const sid = `${R}c${Math.random().toString(16).slice(2, 10)}`;
    const old = `${R}d${Math.random().toString(16).slice(2, 10)}`;
    const runc = `${R}e${Math.random().toString(16).slice(2, 10)}`;
    c.mk(`kata_overhead/${sid}`);
    c.mk(`kubepods/burstable/pod${R}2/kata_${old}`);
    c.mk(`kubepods-besteffort-pod${R}3.slice:cri-containerd:${runc}`);
    c.mk(`kubepods.slice/cri-containerd-${runc}.scope`);
    mkdirSync(join(c.p, 'run/vc/sbs'), { recursive: true });
    const env = {};
    const j = JSON.parse((await vci(c.p, ['check', '--json'], { env })).stdout);
    const found = j.findings.filter((f: any) => f.code === 'cgroup-leaked');
    assert.deepEqual(found.map((f: any) => f.id).sort(), [sid, old].sort());
    assert.ok(found.every((f: any) => f.fixable && f.evidence.store === false));
    // A runtime process naming the ID: a sandbox being created, not reported.
    const shim = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', '--', '-namespace', 'k8s.io', '-id', sid], {
      argv0: 'containerd-shim-kata-v2',
      stdio: 'ignore',
    });
    kids.push(shim);
    await once(shim, 'spawn');
    const named = JSON.parse((await vci(c.p, ['check', '--json'], { env })).stdout);
    assert.deepEqual(
      named.findings.filter((f: any) => f.code === 'cgroup-leaked').map((f: any) => f.id),
      [old],
    );
    shim.kill('SIGKILL');
    await once(shim, 'exit');

    const fix = await vci(c.p, ['check', '--fix', '--json'], { env });
    assert.equal(fix.code, 0, fix.stdout + fix.stderr);
    for (const d of [...c.all(`kata_overhead/${sid}`), ...c.all(`kubepods/burstable/pod${R}2/kata_${old}`)]) assert.equal(existsSync(d), false, d);
    for (const d of [
      ...c.all('kata_overhead'),
      ...c.all(`kubepods/burstable/pod${R}2`),
      ...c.all(`kubepods-besteffort-pod${R}3.slice:cri-containerd:${runc}`),
      ...c.all(`kubepods.slice/cri-containerd-${runc}.scope`),
    ])
      assert.equal(existsSync(d), true, d);
  });

  it('the literal slice:cri-containerd:<sid> dir the Go runtime leaves with systemd cgroups and sandbox_cgroup_only=false (#6232) goes when the store names it', async () => {
    const c = cgroupPrefix();
    const sid = `${R}f${Math.random().toString(16).slice(2, 10)}`;
    const literal = `kubepods-besteffort-pod${R}4.slice:cri-containerd:${sid}`;
    deadPersist3(c.p, sid, `/${literal}`, `/kata_overhead/${sid}`);
    c.mk(literal);
    c.mk(`kata_overhead/${sid}`);
    const j = JSON.parse((await vci(c.p, ['check', '--json'])).stdout);
    assert.deepEqual(paths(leaks(j, sid)[0]), [...c.all(literal), ...c.all(`kata_overhead/${sid}`)].sort());
    const rm = await vci(c.p, ['rm', sid]);
    assert.equal(rm.code, 0, rm.stderr);
    for (const d of [...c.all(literal), ...c.all(`kata_overhead/${sid}`)]) assert.equal(existsSync(d), false, d);
  });

  it('Kata 1.x cgroupPath and runtime-rs cgroup_state paths are read; an escaping path is reported and nothing outside the hierarchy is touched', async () => {
    const c = cgroupPrefix();
    const one = `${R}g${Math.random().toString(16).slice(2, 10)}`;
    addSandbox(c.p, one, { state: 'running', pid: deadPid(), containers: [] });
    c.mk(`kubepods/kata_${one}`); // helpers' 1.x state.json records /kubepods/kata_<sid>
    const rs = `${R}h${Math.random().toString(16).slice(2, 10)}`;
    addRuntimeRsSandbox(c.p, rs, { pid: deadPid() });
    const rsFile = join(c.p, 'run/kata', rs, 'state.json');
    const doc = JSON.parse(readFileSync(rsFile, 'utf8'));
    doc.resource = { cgroup_state: { path: `kubepods/besteffort/pod${R}5/${rs}`, overhead_path: `kata_overhead/${rs}`, sandbox_cgroup_only: false } };
    writeFileSync(rsFile, JSON.stringify(doc, null, 2));
    c.mk(`kubepods/besteffort/pod${R}5/${rs}`);
    const esc = `${R}i${Math.random().toString(16).slice(2, 10)}`;
    const outside = tmp();
    mkdirSync(join(outside, 'victim'));
    deadPersist3(c.p, esc, `/../../../../../../../../${outside}/victim`, '');
    const j = JSON.parse((await vci(c.p, ['check', '--json'])).stdout);
    assert.deepEqual(paths(leaks(j, one)[0]), c.all(`kubepods/kata_${one}`).sort());
    assert.deepEqual(paths(leaks(j, rs)[0]), c.all(`kubepods/besteffort/pod${R}5/${rs}`).sort());
    const [e] = leaks(j, esc);
    assert.equal(e.severity, 'error');
    assert.equal(e.fixable, false);
    assert.equal(e.evidence.escaping.length, 1);
    await vci(c.p, ['check', '--fix']);
    assert.equal(existsSync(join(outside, 'victim')), true);
    for (const d of [...c.all(`kubepods/kata_${one}`), ...c.all(`kubepods/besteffort/pod${R}5/${rs}`)]) assert.equal(existsSync(d), false, d);
  });

  it('a plain directory where a hierarchy should be is no cgroup: never reported or removed', async () => {
    const p = tmp();
    const sid = `${R}j${Math.random().toString(16).slice(2, 10)}`;
    deadPersist3(p, sid, `/kata_${sid}`, `/kata_overhead/${sid}`);
    const fake = join(p, 'sys/fs/cgroup/memory/kata_overhead', sid);
    mkdirSync(fake, { recursive: true });
    writeFileSync(join(fake, 'cgroup.procs'), '');
    const j = JSON.parse((await vci(p, ['check', '--json'])).stdout);
    assert.equal(j.findings.filter((f: any) => f.code === 'cgroup-leaked').length, 0);
    await vci(p, ['check', '--fix']);
    assert.equal(existsSync(fake), true);
  });

  it('a process that joins after check is seen by the fix: the cgroup stays and so does the store', async () => {
    const c = cgroupPrefix();
    const sid = `${R}k${Math.random().toString(16).slice(2, 10)}`;
    deadPersist3(c.p, sid, `/kata_${sid}`, `/kata_overhead/${sid}`);
    c.mk(`kata_overhead/${sid}`);
    const j = JSON.parse((await vci(c.p, ['check', '--json'])).stdout);
    assert.equal(leaks(j, sid)[0].fixable, true);
    const joined = c.at(HIER[HIER.length - 1]!.name, `kata_overhead/${sid}`);
    await procIn(joined);
    await until(() => readFileSync(join(joined, 'cgroup.procs'), 'utf8').trim() !== '', 'the process to join');
    const rm = await vci(c.p, ['rm', sid]);
    assert.equal(rm.code, 5, rm.stderr);
    assert.equal(existsSync(join(c.p, 'run/vc/sbs', sid)), true);
    for (const d of c.all(`kata_overhead/${sid}`)) assert.equal(existsSync(d), true, d);
  });

  // What a hostile operator found (each failed before its fix).
  it("a dead sandbox's record naming another sandbox's cgroup, or Kata's shared parent, is never followed: rm refuses and every cgroup stays", async () => {
    const c = cgroupPrefix();
    const a = `${R}m${Math.random().toString(16).slice(2, 10)}`;
    const b = `${R}n${Math.random().toString(16).slice(2, 10)}`;
    const hv = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', '--', '-name', `sandbox-${b}`], { stdio: 'ignore' });
    kids.push(hv);
    await once(hv, 'spawn');
    addPersistSandbox(c.p, b, { state: 'running', pid: hv.pid! });
    c.mk(`kata_overhead/${a}`);
    c.mk(`kata_overhead/${b}/child`);
    for (const record of [`/kata_overhead/${b}`, '/kata_overhead', '/kata_vc']) {
      deadPersist3(c.p, a, record, `/kata_overhead/${a}`);
      const j = JSON.parse((await vci(c.p, ['check', '--json'])).stdout);
      const [f] = leaks(j, a);
      assert.equal(f.fixable, false, record);
      assert.deepEqual(f.evidence.escaping, [record]);
      const rm = await vci(c.p, ['rm', a]);
      assert.equal(rm.code, 5, `${record}: ${rm.stderr}`);
      assert.match(rm.stderr, /names no sandbox/);
      await vci(c.p, ['check', '--fix']);
      for (const d of [...c.all(`kata_overhead/${a}`), ...c.all(`kata_overhead/${b}/child`)]) assert.equal(existsSync(d), true, `${record}: ${d}`);
    }
  });

  it('a cgroup with a child cgroup or a mount at or below it is never entered: refused before the first rmdir, nothing changes', async () => {
    const c = cgroupPrefix();
    const a = `${R}q${Math.random().toString(16).slice(2, 10)}`;
    deadPersist3(c.p, a, `/kata_${a}`, `/kata_overhead/${a}`);
    c.mk(`kata_${a}`);
    c.mk(`kata_overhead/${a}`);
    // A child cgroup under the overhead one in the first hierarchy; a bind mount of a plain dir inside the last one.
    mkdirSync(c.at(HIER[0]!.name, `kata_overhead/${a}/sub`));
    const plain = tmp();
    const last = c.at(HIER[HIER.length - 1]!.name, `kata_${a}`);
    const r = spawnSync('mount', ['--bind', plain, last], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    registerMount(last);
    const before = [...c.all(`kata_${a}`), ...c.all(`kata_overhead/${a}`)];
    const dry = await vci(c.p, ['rm', '--dry-run', a]);
    assert.equal(dry.code, 5, dry.stderr);
    const rm = await vci(c.p, ['rm', a]);
    assert.equal(rm.code, 5, rm.stderr);
    for (const d of [...before, c.at(HIER[0]!.name, `kata_overhead/${a}/sub`)]) assert.equal(existsSync(d), true, d);
    assert.ok(existsSync(join(c.p, 'run/vc/sbs', a)));
    spawnSync('umount', [last]);
  });

  it('a cgroup record that cannot be read (a corrupt runtime-rs state.json, an escaping Go path) refuses rm: the cgroup with a process in it is not left behind a removed store', async () => {
    const c = cgroupPrefix();
    const s = `${R}r${Math.random().toString(16).slice(2, 10)}`;
    addRuntimeRsSandbox(c.p, s, { pid: deadPid() });
    const file = join(c.p, 'run/kata', s, 'state.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.resource = { cgroup_state: { path: `kubepods/pod${R}x/${s}`, overhead_path: `kata_overhead/${s}` } };
    writeFileSync(file, JSON.stringify(doc, null, 2));
    c.mk(`kubepods/pod${R}x/${s}`);
    await procIn(c.at(HIER[0]!.name, `kubepods/pod${R}x/${s}`));
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 60));
    const rm = await vci(c.p, ['rm', s]);
    assert.equal(rm.code, 5, rm.stderr);
    assert.match(rm.stderr, /cgroup record cannot be read/);
    assert.ok(existsSync(file));
    await vci(c.p, ['check', '--fix']);
    assert.ok(existsSync(file));

    const a = `${R}s${Math.random().toString(16).slice(2, 10)}`;
    deadPersist3(c.p, a, `/kubepods/../kata_${a}`, '');
    c.mk(`kata_${a}`);
    await procIn(c.at(HIER[0]!.name, `kata_${a}`));
    const esc = await vci(c.p, ['rm', a]);
    assert.equal(esc.code, 5, esc.stderr);
    assert.ok(existsSync(join(c.p, 'run/vc/sbs', a)));
  });
  it('a 1.x sandbox whose cgroup only its container records (/default/kata_<sid>, as under containerd) loses it with its store in the same run', async () => {
    const c = cgroupPrefix();
    const sid = `${R}dk${Math.random().toString(36).slice(2, 8)}`;
    addSandbox(c.p, sid, { state: 'running', pid: deadPid() });
    const state = join(c.p, 'run/vc/sbs', sid, sid, 'state.json');
    writeFileSync(state, JSON.stringify({ ...JSON.parse(readFileSync(state, 'utf8')), cgroupPath: `/default/kata_${sid}` }));
    c.mk(`default/kata_${sid}`);
    const r = await vci(c.p, ['check', '--fix']);
    assert.equal(existsSync(join(c.p, 'run/vc/sbs', sid)), false, r.stdout);
    for (const d of c.all(`default/kata_${sid}`)) assert.equal(existsSync(d), false, `${d}: removed with its sandbox`);
    assert.doesNotMatch(r.stdout, /^left /m, 'the re-check finds no cgroup the fix left');
    assert.match(r.stdout, /1 fixed, 0 remaining/);
    assert.equal(r.code, 0, r.stdout);
  });

  it('under --only cgroup-leaked the cgroups of a sandbox that has a store are not planned, and the left line says they go with its removal', async () => {
    const c = cgroupPrefix();
    const sid = `${R}oc${Math.random().toString(36).slice(2, 8)}`;
    deadPersist3(c.p, sid, `/kubepods/kata_${sid}`, '');
    c.mk(`kubepods/kata_${sid}`);
    const j = JSON.parse((await vci(c.p, ['--json', 'check', '--only', 'cgroup-leaked', '--fix', '--dry-run'])).stdout);
    assert.equal(leaks(j, sid)[0]?.fixable, false);
    assert.deepEqual(j.actions, []);
    const t = await vci(c.p, ['check', '--only', 'cgroup-leaked', '--fix']);
    assert.match(t.stdout, new RegExp(`left cgroup-leaked ${sid}: .*\\(not fixed: its cgroups go with the removal of its sandbox`));
    assert.doesNotMatch(t.stdout, /appeared meanwhile/);
    for (const d of c.all(`kubepods/kata_${sid}`)) assert.ok(existsSync(d));
  });
});
