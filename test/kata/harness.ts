// The real Kata Containers 1.x runtime in the test loop (npm run test:kata).
//
// Everything here drives the REAL runtime that scripts/kata/kata.sh builds:
// kata-runtime (1.9 "abec", 1.x store layout; 1.13 "head", persist layout)
// with kata-proxy/kata-shim, and containerd 1.6 with containerd-shim-kata-v2,
// qemu under TCG. It only runs inside the private mount namespace that
// `kata.sh test` makes (tmpfs over /run/vc, /var/lib/vc, /run/kata-containers
// and /run/netns), so the real host paths the runtime uses are the test's own.
// Nothing is mocked; nothing sleeps blindly: every wait polls what it waits for.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, sleep } from '../helpers.js';

export type Variant = 'abec' | 'head';
export type Path = 'cli' | 'ctr';
export type Role = 'qemu' | 'proxy' | 'shim' | 'shimv2';
export const VARIANTS: Variant[] = ['abec', 'head'];
export const PATHS: Path[] = ['cli', 'ctr'];

export const KATA_SH = process.env.KATA_SH ?? join(ROOT, 'scripts', 'kata', 'kata.sh');
export const W = process.env.VCSTORE_KATA_WORK ?? '/var/tmp/vcstore-kata';
export const SOCK = join(W, 'containerd', 'containerd.sock');
export const CTRNS = 'default';
export const BUNDLES = join(W, 'containerd', 'state', 'io.containerd.runtime.v2.task', CTRNS);
export const IMAGE = 'docker.io/local/kata-busybox:latest';
const LOGS = join(W, 'logs');
export const binPath = (v: Variant) => `${W}/bin-${v}:${W}/bin:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
export const config = (v: Variant) => `${W}/etc/configuration-${v}.toml`;
const KATA_DIRS = ['/run/vc', '/var/lib/vc', '/run/kata-containers', '/run/netns'];

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeout = 120_000, cwd?: string): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout, cwd });
  return { code: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/**
 * The suite needs what `kata.sh test` sets up: the private namespace (real
 * Kata paths on tmpfs) and hostprep (syslog, the shared sandboxes bind).
 * Outside it the runtime would write the host's own /run/vc: refuse loudly.
 */
export function requireIsolated(): void {
  const mi = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const d of KATA_DIRS) {
    assert.ok(
      mi.split('\n').some((l) => l.split(' ')[4] === d && l.includes(' - tmpfs kata-isolated ')),
      `${d} is not the private tmpfs of kata.sh isolated: run the real-Kata tests with npm run test:kata`,
    );
  }
  assert.ok(existsSync(join(W, 'stamps', 'config')), `Kata is not built in ${W}: npm run test:kata builds it`);
}

/** A sandbox ID as containerd makes them: 64 random hex characters. */
export const newId = (): string => randomBytes(32).toString('hex');

/** kata-runtime of a variant, with its configuration and its log. */
export function K(v: Variant, args: string[], timeout = 120_000): Run {
  return sh('kata-runtime', ['--log', join(LOGS, `kata-runtime-${v}.log`), '--kata-config', config(v), ...args], { PATH: binPath(v) }, timeout);
}

export function ctr(args: string[], timeout = 120_000): Run {
  return sh('ctr', ['-a', SOCK, '-n', CTRNS, ...args], {}, timeout);
}

export function kataSh(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  return sh('bash', [KATA_SH, ...args], env, 300_000);
}

/** Poll `cond` (every 50 ms) until it holds; fail naming `what` after `ms`. */
export async function poll<T>(cond: () => T | undefined | false | null, what: string, ms = 30_000): Promise<T> {
  for (const end = Date.now() + ms; ;) {
    const v = cond();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------
// Processes

export interface Proc {
  pid: number;
  ppid: number;
  state: string;
  args: string[];
}

export function proc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (args.at(-1) === '') args.pop();
    return { pid, ppid: Number(rest[1]), state: rest[0] ?? '?', args };
  } catch {
    return undefined;
  }
}

export function procs(): Proc[] {
  const out: Proc[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n) || Number(n) === process.pid) continue;
    const p = proc(Number(n));
    if (p) out.push(p);
  }
  return out;
}

/** Gone, or a zombie (which holds nothing but its pid). */
export const gone = (pid: number): boolean => {
  const p = proc(pid);
  return p === undefined || p.state === 'Z' || p.state === 'X';
};
/** Gone from /proc altogether: reaped. */
export const reaped = (pid: number): boolean => !existsSync(`/proc/${pid}`);

const roleOf = (p: Proc): Role | undefined => {
  const base = (p.args[0] ?? '').split('/').pop() ?? '';
  if (base.startsWith('qemu')) return 'qemu';
  if (base === 'kata-proxy') return 'proxy';
  if (base === 'kata-shim') return 'shim';
  if (base === 'containerd-shim-kata-v2') return 'shimv2';
  return undefined;
};

function pidFile(id: string): string | undefined {
  try {
    return readFileSync(`/run/vc/vm/${id}/pid`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** qemu -daemonize forks: wait until only the daemon (the pid file's) is left naming the sandbox. */
export async function qemuSettled(id: string): Promise<void> {
  await poll(
    () => procs().filter((p) => roleOf(p) === 'qemu' && p.state !== 'Z' && p.args.includes(`sandbox-${id}`)).length <= 1,
    `qemu of ${id} to daemonize`,
  );
}

/** The runtime processes of sandbox `id`, by role (the shim v2's own `delete` runs are not the sandbox's shim). */
export function sandboxProcs(id: string): Partial<Record<Role, Proc>> {
  const out: Partial<Record<Role, Proc>> = {};
  for (const p of procs()) {
    if (p.state === 'Z' || !p.args.some((a) => a.includes(id))) continue;
    const role = roleOf(p);
    if (role === 'shimv2' && p.args.includes('delete')) continue;
    if (role === 'qemu' && out.qemu && String(p.pid) !== pidFile(id)) continue;
    if (role) out[role] = p;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Starting sandboxes

export interface Sandbox {
  id: string;
  variant: Variant;
  path: Path;
  /** What the runtime printed while starting it. */
  log: string;
  /** The network namespace its store records (cnitest-<uuid>). */
  netns?: string;
}

const started: Sandbox[] = [];
let containerdVariant: Variant | undefined;

function logFiles(id: string): { out: number; err: number; path: string } {
  const path = join(LOGS, `${id}.start`);
  const out = openSync(path, 'w');
  return { out, err: out, path };
}

/** Start a command with stdio in a log file (a detached shim keeps its stdio: never a pipe we wait on). */
export function startLogged(cmd: string, args: string[], env: NodeJS.ProcessEnv, id: string): { pid: number; done: Promise<Run> } {
  const f = logFiles(id);
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', f.out, f.err] });
  closeSync(f.out);
  const done = new Promise<Run>((res) =>
    child.on('close', (code, signal) =>
      res({ code: code ?? (signal ? 128 : null), stdout: readFileSync(f.path, 'utf8'), stderr: signal ? `killed by ${signal}` : '' }),
    ),
  );
  return { pid: child.pid ?? -1, done };
}

/** `kata-runtime run -d` of the busybox bundle, as the process that does it (for faults mid-create). */
export function cliRunStart(v: Variant, id: string): { pid: number; done: Promise<Run> } {
  const sb: Sandbox = { id, variant: v, path: 'cli', log: '' };
  started.push(sb);
  return startLogged(
    'kata-runtime',
    ['--log', join(LOGS, `kata-runtime-${v}.log`), '--kata-config', config(v), 'run', '-d', '-b', join(W, 'bundle'), id],
    { PATH: binPath(v) },
    id,
  );
}

/** The containerd of a variant (containerd runs one at a time: the other is stopped first). */
export function ctrUp(v: Variant): void {
  if (containerdVariant === v) return;
  ctrDown();
  const r = kataSh(['ctr-up'], { VARIANT: v });
  assert.equal(r.code, 0, `kata.sh ctr-up (${v}): ${r.stderr}`);
  containerdVariant = v;
}

export function ctrDown(): void {
  const r = kataSh(['ctr-down']);
  assert.equal(r.code, 0, `kata.sh ctr-down: ${r.stderr}`);
  containerdVariant = undefined;
}

/** Start a sandbox by the CLI path or the containerd path; resolves once the runtime says it runs. */
export async function start(v: Variant, path: Path, id = newId()): Promise<Sandbox> {
  let r: Run;
  if (path === 'cli') {
    r = await cliRunStart(v, id).done;
    assert.equal(r.code, 0, `kata-runtime (${v}) run -d ${id}: ${r.stdout}${r.stderr}`);
  } else {
    ctrUp(v);
    started.push({ id, variant: v, path, log: '' });
    r = await startLogged(
      'ctr',
      [
        '-a',
        SOCK,
        '-n',
        CTRNS,
        'run',
        '-d',
        '--fifo-dir',
        join(W, 'containerd', 'fifo'),
        '--runtime',
        'io.containerd.kata.v2',
        IMAGE,
        id,
        'sh',
        '-c',
        'sleep 3600',
      ],
      {},
      id,
    ).done;
    assert.equal(r.code, 0, `ctr run (${v}) ${id}: ${r.stdout}${r.stderr}`);
  }
  const sb = started.find((s) => s.id === id);
  assert.ok(sb);
  sb.log = r.stdout;
  await poll(() => sandboxProcs(id).qemu, `the qemu of ${id}`);
  await qemuSettled(id);
  sb.netns = netnsOf(id);
  return sb;
}

/** What kata-runtime says of a sandbox: `state` as JSON, or undefined when it does not know it. */
export function runtimeState(v: Variant, id: string): { id: string; pid: number; status: string } | undefined {
  const r = K(v, ['state', id]);
  if (r.code !== 0) return undefined;
  return JSON.parse(r.stdout) as { id: string; pid: number; status: string };
}

export function runtimeList(v: Variant): { id: string; pid: number; status: string }[] {
  const r = K(v, ['list', '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout || '[]') ?? []) as { id: string; pid: number; status: string }[];
}

// ---------------------------------------------------------------------------
// Killing and cleaning up

/** kill -9 the sandbox's runtime processes in this order (roles it does not have are skipped); resolves once all are reaped. */
export async function kill9(id: string, order: Role[]): Promise<number[]> {
  const ps = sandboxProcs(id);
  const pids: number[] = [];
  for (const role of order) {
    const p = ps[role];
    if (!p) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
      pids.push(p.pid);
    } catch {
      // already gone
    }
  }
  await poll(() => pids.every(reaped), `pids ${pids.join(' ')} of ${id} to be reaped`, 20_000);
  return pids;
}

/** No `containerd-shim-kata-v2 … delete` names the sandbox, and containerd lists no task for it: containerd's own clean-up attempt is over. */
export async function containerdGaveUp(id: string): Promise<void> {
  await poll(
    () => !procs().some((p) => roleOf(p) === 'shimv2' && p.args.includes(id)) && !ctr(['task', 'ls', '-q']).stdout.split('\n').includes(id),
    `containerd to give up on the dead shim of ${id}`,
    60_000,
  );
}

/**
 * The runtime's own clean-up of a leaked sandbox: `kata-runtime delete -f`
 * for the CLI; for containerd, the shim v2's `delete` run from the bundle dir
 * (once containerd's own attempt is over) and `ctr c rm` (kata.sh ctr-clean).
 */
export async function runtimeCleanup(sb: Sandbox): Promise<Run> {
  if (sb.path === 'cli') return K(sb.variant, ['delete', '-f', sb.id]);
  await containerdGaveUp(sb.id);
  return kataSh(['ctr-clean', sb.id], { VARIANT: sb.variant });
}

/** A normal stop and delete: `kata-runtime kill` + `delete`; `ctr task kill`, `task rm`, `c rm`. */
export async function stopDelete(sb: Sandbox): Promise<void> {
  if (sb.path === 'cli') {
    const k = K(sb.variant, ['kill', sb.id, 'KILL']);
    assert.equal(k.code, 0, k.stderr);
    await poll(() => runtimeState(sb.variant, sb.id)?.status === 'stopped', `${sb.id} to stop`);
    const d = K(sb.variant, ['delete', sb.id]);
    assert.equal(d.code, 0, d.stderr);
  } else {
    const k = ctr(['task', 'kill', '-s', 'SIGKILL', sb.id]);
    assert.equal(k.code, 0, k.stderr);
    await poll(
      () =>
        /STOPPED/.test(
          ctr(['task', 'ls'])
            .stdout.split('\n')
            .find((l) => l.startsWith(sb.id)) ?? '',
        ),
      `task ${sb.id} to stop`,
    );
    const t = ctr(['task', 'rm', sb.id]);
    assert.equal(t.code, 0, t.stderr);
    const c = ctr(['c', 'rm', sb.id]);
    assert.equal(c.code, 0, c.stderr);
  }
  await poll(() => Object.keys(sandboxProcs(sb.id)).length === 0, `the processes of ${sb.id} to end`);
  forget(sb.id);
}

/**
 * Whatever the runtime's own clean-up left of a sandbox, removed by hand
 * (umount -l deepest first, rm -rf, rmdir of its cgroups), so that the next
 * test starts on a clean host. Returns what it found (empty: nothing left).
 */
export function scrub(id: string, netns?: string): string[] {
  const left = hostState([id]).filter((l) => l.includes(id) || (netns !== undefined && l.includes(netns)));
  if (left.length === 0) return left;
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.includes(id) || (netns !== undefined && m.includes(netns)))
    .sort((a, b) => b.length - a.length);
  for (const m of points) spawnSync('umount', ['-l', m]);
  for (const d of [
    `/run/vc/sbs/${id}`,
    `/var/lib/vc/sbs/${id}`,
    `/run/vc/vm/${id}`,
    `/run/kata-containers/shared/sandboxes/${id}`,
    `/run/kata-containers/containers-mapping/${id}`,
    join(BUNDLES, id),
  ])
    rmSync(d, { recursive: true, force: true });
  if (netns) rmSync(`/run/netns/${netns}`, { force: true });
  for (const ctl of safeReaddir('/sys/fs/cgroup')) spawnSync('rmdir', [`/sys/fs/cgroup/${ctl}/${CTRNS}/kata_${id}`]);
  return left;
}

export function forget(id: string): void {
  const i = started.findIndex((s) => s.id === id);
  if (i >= 0) started.splice(i, 1);
}

/**
 * The test file's teardown: every sandbox it started and did not clean is
 * killed and cleaned by the runtime itself; containerd is stopped. Returns
 * what it had to clean (an empty list when the tests cleaned up).
 */
export async function cleanupAll(): Promise<string[]> {
  const left = [...started];
  for (const sb of left) sb.netns ??= netnsOf(sb.id);
  for (const sb of left) {
    if (Object.keys(sandboxProcs(sb.id)).length > 0) await kill9(sb.id, ['shimv2', 'shim', 'proxy', 'qemu']);
    if (sb.path === 'ctr' && containerdVariant !== sb.variant) ctrUp(sb.variant);
    if (existsSync(`/run/vc/sbs/${sb.id}`) || existsSync(join(BUNDLES, sb.id)) || (sb.path === 'ctr' && ctr(['c', 'ls', '-q']).stdout.includes(sb.id)))
      await runtimeCleanup(sb);
    forget(sb.id);
  }
  for (const sb of left) scrub(sb.id, sb.netns ?? netnsOf(sb.id));
  if (containerdVariant) ctrDown();
  return left.map((s) => `${s.variant}/${s.path}/${s.id}`);
}

// ---------------------------------------------------------------------------
// The host's state

/**
 * Everything the host holds for Kata, one sorted line per fact: processes
 * naming a sandbox (pid, ppid, zombie or not, argv), every entry under
 * /run/vc, /var/lib/vc, /run/kata-containers (type, mode, size, mtime, and a
 * hash of regular files; never entering a mount below them, such as a
 * container rootfs), the mountinfo lines under the Kata paths, /run/netns and
 * containerd's bundle dirs, the /run/netns entries, and the Kata cgroups
 * (kata_vc and default/kata_<id> under every v1 controller, with their
 * cgroup.procs). `ids` are the sandboxes whose processes are listed.
 */
export function hostState(ids: string[]): string[] {
  const lines: string[] = [];
  for (const p of procs()) {
    if (ids.some((id) => p.args.some((a) => a.includes(id)))) lines.push(`proc ${p.pid} ppid=${p.ppid} ${p.state === 'Z' ? 'zombie ' : ''}${p.args.join(' ')}`);
  }
  const mi = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean);
  const mountPoints = new Set(mi.map((l) => l.split(' ')[4] ?? ''));
  const under = (p: string, dirs: string[]) => dirs.some((d) => p === d || p.startsWith(`${d}/`));
  for (const l of mi) {
    const at = l.split(' ')[4] ?? '';
    if (under(at, [...KATA_DIRS, BUNDLES])) lines.push(`mount ${l.split(' ').slice(1).join(' ')}`);
  }
  const walk = (p: string, top: boolean) => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) lines.push(`file ${p} link ${readlinkSync(p)}`);
    else if (st.isDirectory()) {
      const mounted = !top && mountPoints.has(p);
      lines.push(`file ${p} dir ${mode}${mounted ? ' (mount point, not entered)' : ''}`);
      if (!mounted) for (const n of readdirSync(p).sort()) walk(join(p, n), false);
    } else if (st.isFile()) {
      const hash = st.size <= 1 << 20 ? createHash('sha1').update(readFileSync(p)).digest('hex') : '-';
      lines.push(`file ${p} file ${mode} ${st.size} ${st.mtimeMs} ${hash}`);
    } else lines.push(`file ${p} ${st.isSocket() ? 'socket' : st.isFIFO() ? 'fifo' : 'special'} ${mode}`);
  };
  for (const d of ['/run/vc', '/var/lib/vc', '/run/kata-containers']) walk(d, true);
  for (const n of safeReaddir('/run/netns')) lines.push(`netns ${n}`);
  for (const ctl of safeReaddir('/sys/fs/cgroup')) {
    const base = `/sys/fs/cgroup/${ctl}`;
    const cands = [
      `${base}/kata_vc`,
      ...safeReaddir(`${base}/${CTRNS}`)
        .filter((n) => n.startsWith('kata_'))
        .map((n) => `${base}/${CTRNS}/${n}`),
    ];
    for (const c of cands) {
      if (!existsSync(c)) continue;
      let procsIn = '?';
      try {
        procsIn = readFileSync(`${c}/cgroup.procs`, 'utf8').trim().split('\n').filter(Boolean).join(',');
      } catch {
        // a cgroup being removed
      }
      lines.push(`cgroup ${c} procs=[${procsIn}]`);
    }
  }
  return lines.sort();
}

function safeReaddir(d: string): string[] {
  try {
    return readdirSync(d).sort();
  } catch {
    return [];
  }
}

/** The network namespace the store records for a sandbox (network.json in 1.x, persist.json's Network in 1.13). */
export function netnsOf(id: string): string | undefined {
  for (const f of [`/run/vc/sbs/${id}/network.json`, `/run/vc/sbs/${id}/persist.json`]) {
    try {
      const j = JSON.parse(readFileSync(f, 'utf8')) as { NetNsPath?: string; Network?: { NetNsPath?: string; NetworkID?: string } };
      const p = j.NetNsPath ?? j.Network?.NetNsPath ?? j.Network?.NetworkID;
      if (p) return p.split('/').pop();
    } catch {
      // not this layout
    }
  }
  return undefined;
}

/**
 * The lines of `state` that belong to one sandbox, in a form two identical
 * sandboxes share: its ID and netns name replaced, pids, mount ids, inode
 * numbers, sizes, times and hashes dropped (they differ between any two runs).
 */
export function normalised(state: string[], id: string, netns: string | undefined): string[] {
  return state
    .filter((l) => l.includes(id) || (netns !== undefined && l.includes(netns)) || l.includes(`kata_${id}`))
    .map((l) => {
      let s = l.replaceAll(id, '<ID>');
      if (netns) s = s.replaceAll(netns, '<NETNS>');
      if (s.startsWith('proc ')) s = s.replace(/^proc \d+ ppid=\d+/, 'proc').replace(/ -uuid \S+/, ' -uuid <uuid>');
      if (s.startsWith('mount ')) {
        const f = s.split(' ');
        // mount <parent> <maj:min> <root> <point> <opts> <optional...> - <fstype> <source> <super>
        const dash = f.indexOf('-');
        s = `mount ${(f[3] ?? '').replace(/^net:\[\d+\]$/, 'net:[…]')} ${f[4]} ${f[dash + 1]} ${f[dash + 2]}`;
      }
      if (s.startsWith('file ')) s = s.replace(/^(file \S+ file \d+) .*$/, '$1');
      return s.replace(/procs=\[[^\]]*\]/, (m) => (m === 'procs=[]' ? m : 'procs=[…]'));
    })
    .sort();
}

/** The lines of `state` that name none of `ids` (nor their netns): what the host holds for everything else. */
export function others(state: string[], ids: string[], netns: (string | undefined)[]): string[] {
  const names = [...ids, ...netns.filter((n): n is string => n !== undefined)];
  return state.filter((l) => !names.some((n) => l.includes(n)));
}

/** A readable difference of two line lists, for assertion messages. */
export function diff(a: string[], b: string[]): string {
  const sa = new Set(a);
  const sb = new Set(b);
  return [...a.filter((l) => !sb.has(l)).map((l) => `- ${l}`), ...b.filter((l) => !sa.has(l)).map((l) => `+ ${l}`)].join('\n');
}

// ---------------------------------------------------------------------------
// Real stores kept as fixtures of the fast suite (test/real-stores.test.ts)

/**
 * With VCSTORE_KATA_FIXTURES=DIR, keep what the runtime wrote for `sb` as
 * DIR/<variant>-<path>-<kind>.tar.gz (its store roots and VM dir, relative
 * to /; tar leaves sockets out) and a manifest beside it: the ID, the
 * sockets to make again, and every runtime process's argv as the runtime
 * launched it. A maintainer refreshes them with
 * `VCSTORE_KATA_FIXTURES=test/fixtures/real-kata npm run test:kata`.
 */
export function keepStore(sb: Sandbox, kind: 'running' | 'leaked'): void {
  const dir = process.env.VCSTORE_KATA_FIXTURES;
  if (!dir) return;
  const name = `${sb.variant}-${sb.path}-${kind}`;
  const roots = [`run/vc/sbs/${sb.id}`, `var/lib/vc/sbs/${sb.id}`, `run/vc/vm/${sb.id}`].filter((r) => existsSync(`/${r}`));
  const sockets: string[] = [];
  const walk = (rel: string) => {
    const st = lstatSync(`/${rel}`);
    if (st.isSocket()) sockets.push(rel);
    else if (st.isDirectory()) for (const n of readdirSync(`/${rel}`).sort()) walk(`${rel}/${n}`);
  };
  roots.forEach(walk);
  mkdirSync(dir, { recursive: true });
  const tar = spawnSync('tar', ['-czf', join(dir, `${name}.tar.gz`), '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-C', '/', ...roots], {
    encoding: 'utf8',
  });
  assert.equal(tar.status, 0, tar.stderr);
  const running = kind === 'running' ? Object.entries(sandboxProcs(sb.id)).map(([role, p]) => ({ role, argv: p.args })) : [];
  writeFileSync(
    join(dir, `${name}.json`),
    `${JSON.stringify({ id: sb.id, variant: sb.variant, path: sb.path, kind, roots, sockets, processes: running, netns: sb.netns ?? null }, null, 2)}\n`,
  );
}
