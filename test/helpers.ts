// Test helpers: real stores in temp dirs, the real bin/vcstore, real flock(2)
// holders in other processes. Nothing here mocks the store or the lock.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fse from 'fs-extra';
import { after } from 'node:test';
import { strict as assert } from 'node:assert';
import { Exit } from '../src/store/fs/errors.js';
import { useAddon } from '../src/store/fs/addon.js';

// The suite runs once more in CI with the addon off (VCSTORE_ADDON=0): in
// process and in every vcstore it spawns.
useAddon(process.env.VCSTORE_ADDON !== '0');
const passed: NodeJS.ProcessEnv = process.env.VCSTORE_ADDON === undefined ? {} : { VCSTORE_ADDON: process.env.VCSTORE_ADDON };

/** For `{ skip: SLOW }`: tests that take seconds (a real terminal, npm pack) skip under `npm run test:fast`. */
export const SLOW = process.env.VCSTORE_TEST_FAST === '1' ? 'slow (npm test runs it)' : false;

/**
 * This test process's tag: three random characters that start every sandbox
 * and container ID a test makes, so two runs of the suite on one machine never
 * name the same sandbox (the process witness sees every process on the host).
 */
export const R = `t${Math.random().toString(36).slice(2, 4).padEnd(2, '0')}`;

/** Poll `cond` every 10 ms until it holds; fail naming `what` after `ms`. */
export async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !cond();) {
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Does /proc/locks show a process waiting for a flock on `path`? */
export function waiterOn(path: string): boolean {
  const st = lstatSync(path);
  const major = Math.floor(st.dev / 256) & 0xfff;
  const minor = (st.dev & 0xff) | (Math.floor(st.dev / 4096) & ~0xff & 0xfffff);
  const key = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${st.ino}`;
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .some((l) => l.includes('->') && l.includes(` ${key} `));
}

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'vcstore');

export function tempDir(tag = 'vcstore-test-', ram = false): string {
  return mkdtempSync(join(ram && existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), tag));
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Per test file: `tmp()` makes a temp dir and `track(child)` registers a
 * process; after the file's tests the processes are killed and the dirs removed.
 */
/**
 * `tmp(tag, true)` puts a big store in RAM (/dev/shm) where there is one:
 * this VM's disk throttles tens of thousands of small writes to seconds.
 */
export function scratch(): { tmp: (tag?: string, ram?: boolean) => string; track: <T extends ChildProcess>(p: T) => T } {
  const dirs: string[] = [];
  const procs: ChildProcess[] = [];
  after(() => {
    procs.forEach((p) => p.kill('SIGKILL'));
    dirs.forEach(cleanup);
  });
  return {
    tmp: (tag?: string, ram?: boolean) => {
      const d = tempDir(tag, ram);
      dirs.push(d);
      return d;
    },
    track: (p) => {
      procs.push(p);
      return p;
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function vc(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    input: opts.input ?? '',
    cwd: opts.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...passed, ...opts.env },
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** vcstore with --prefix. */
export function vcp(prefix: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): RunResult {
  return vc(['--prefix', prefix, ...args], opts);
}

export function vcAsync(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...passed, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function collect(child: ChildProcess): Promise<RunResult> {
  return new Promise((res) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

// ---------------------------------------------------------------------------
// Building stores in the runtime's own format.

export type Hv = 'qemu' | 'firecracker' | 'acrn' | 'clh';

export interface ContainerSpec {
  id: string;
  state?: string;
  pid?: number;
  /** The OCI annotations its spec carries (criPod() for containerd's CRI). */
  annotations?: Record<string, string>;
  /** process StartTime (default 2026-11-27T15:49:09Z). */
  started?: string;
}

/**
 * The annotations containerd's CRI plugin puts in a container's OCI spec
 * (pkg/cri annotations): the pod's namespace, name, uid and log directory,
 * the container type, and the container's own name unless it is the sandbox's.
 */
export function criPod(ns: string, name: string, uid: string, sid: string, container?: string): Record<string, string> {
  return {
    'io.kubernetes.cri.container-type': container === undefined ? 'sandbox' : 'container',
    'io.kubernetes.cri.sandbox-id': sid,
    'io.kubernetes.cri.sandbox-name': name,
    'io.kubernetes.cri.sandbox-namespace': ns,
    'io.kubernetes.cri.sandbox-uid': uid,
    ...(container === undefined
      ? { 'io.kubernetes.cri.sandbox-log-directory': `/var/log/pods/${ns}_${name}_${uid}` }
      : { 'io.kubernetes.cri.container-name': container }),
  };
}

export interface SandboxSpec {
  state?: string;
  hypervisor?: Hv;
  /** Hypervisor pid: hypervisor.json PID, or /run/vc/vm/<sid>/pid for qemu. */
  pid?: number;
  containers?: ContainerSpec[];
  configOnly?: boolean;
  runtimeOnly?: boolean;
  acrnUuid?: string;
}

const compact = (v: unknown) => JSON.stringify(v);

export function hex64(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

export function addSandbox(prefix: string, sid: string, spec: SandboxSpec = {}): void {
  const cfg = join(prefix, 'var/lib/vc/sbs', sid);
  const run = join(prefix, 'run/vc/sbs', sid);
  const hv = spec.hypervisor ?? 'qemu';
  const containers = spec.containers ?? [{ id: sid, state: spec.state ?? 'running', pid: -1 }];
  if (!spec.runtimeOnly) {
    fse.outputFileSync(join(cfg, 'lock'), '');
    fse.mkdirpSync(join(cfg, 'raw'));
    fse.outputFileSync(
      join(cfg, 'config.json'),
      compact({
        ID: sid,
        Hostname: sid.slice(0, 12),
        HypervisorType: hv,
        AgentType: 'kata',
        ProxyType: 'kataBuiltInProxy',
        ShimType: 'kataShim',
        Containers: containers.map((c) => ({ ID: c.id, ...(c.annotations ? { _: { ociVersion: '1.0.1', annotations: c.annotations } } : {}) })),
        Annotations: {},
      }),
    );
    for (const c of containers) {
      fse.outputFileSync(join(cfg, c.id, 'lock'), '');
      fse.mkdirpSync(join(cfg, c.id, 'raw'));
      fse.outputFileSync(
        join(cfg, c.id, 'config.json'),
        compact({ ID: c.id, RootFs: {}, _: { ociVersion: '1.0.1', ...(c.annotations ? { annotations: c.annotations } : {}) } }),
      );
    }
  }
  if (!spec.configOnly) {
    fse.outputFileSync(join(run, 'lock'), '');
    fse.mkdirpSync(join(run, 'raw'));
    fse.outputFileSync(
      join(run, 'state.json'),
      compact({
        state: spec.state ?? 'running',
        blockIndex: 1,
        guestMemoryBlockSize: 128,
        guestMemoryHotplugProbe: false,
        cgroupPath: `/kubepods/kata_${sid}`,
      }),
    );
    const pid = spec.pid ?? 0;
    let hvJson: unknown;
    if (hv === 'qemu') {
      hvJson = { Bridges: [], HotpluggedVCPUs: [], HotpluggedMemory: 0, UUID: '', HotplugVFIOOnRootBus: false, VirtiofsdPid: 0 };
      if (spec.pid !== undefined) fse.outputFileSync(join(prefix, 'run/vc/vm', sid, 'pid'), String(pid));
    } else if (hv === 'firecracker') hvJson = { PID: pid };
    else if (hv === 'acrn') hvJson = { UUID: spec.acrnUuid ?? 'a7ada506-1ab0-4b6b-a0da-e513ca9b8c2f', PID: pid };
    else hvJson = { PID: pid, VirtiofsdPID: 0 };
    fse.outputFileSync(join(run, 'hypervisor.json'), compact(hvJson));
    fse.outputFileSync(join(run, 'agent.json'), compact({ ProxyPid: -1, URL: '' }));
    fse.outputFileSync(join(run, 'devices.json'), '[]');
    for (const c of containers) {
      fse.outputFileSync(join(run, c.id, 'lock'), '');
      fse.mkdirpSync(join(run, c.id, 'raw'));
      fse.outputFileSync(join(run, c.id, 'state.json'), compact({ state: c.state ?? 'running', BlockDeviceID: '', fstype: '', cgroupPath: '' }));
      fse.outputFileSync(join(run, c.id, 'process.json'), compact({ Token: 'tok', Pid: c.pid ?? -1, StartTime: c.started ?? '2026-11-27T15:49:09.722191Z' }));
      fse.outputFileSync(join(run, c.id, 'devices.json'), '[]');
      fse.outputFileSync(join(run, c.id, 'mounts.json'), '[]');
    }
  }
}

export function writeUuidStore(prefix: string, slots: number[]): void {
  fse.outputFileSync(join(prefix, 'var/lib/vc/uuid', 'uuid.json'), compact({ UUIDAvailability: slots }));
  fse.outputFileSync(join(prefix, 'var/lib/vc/uuid', 'lock'), '');
  fse.mkdirpSync(join(prefix, 'var/lib/vc/uuid', 'raw'));
}

export const runLock = (prefix: string, sid: string) => join(prefix, 'run/vc/sbs', sid, 'lock');

// ---------------------------------------------------------------------------
// Real processes

/** A live process whose cmdline carries `-name sandbox-<sid>`, as qemu's does. */
export function fakeHypervisor(sid: string): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', '--', '-name', `sandbox-${sid}`], { stdio: 'ignore' });
}

/** A process that is certainly dead: spawned and reaped. */
export function deadPid(): number {
  const r = spawnSync('true');
  return r.pid;
}

/**
 * Hold flock(2) on `path` from a util-linux flock(1) process, as the runtime
 * would. Resolves once the lock is held. Kill with `release()`.
 */
export async function holdFlock(path: string, mode: 'x' | 's' = 'x'): Promise<{ pid: number; child: ChildProcess; release(): Promise<void> }> {
  const child = spawn('flock', [`-${mode}`, path, '-c', 'echo locked; exec sleep 1000'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  await new Promise<void>((res, rej) => {
    child.stdout.once('data', () => res());
    child.once('exit', (c) => rej(new Error(`flock exited ${c}`)));
  });
  return {
    pid: child.pid!,
    child,
    // Resolves once the holder is gone and the kernel has dropped its lock (the
    // exec'd sleep may outlive flock(1) by a moment after the group is killed).
    release: async () => {
      await new Promise<void>((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        child.once('exit', () => res());
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          res();
        }
      });
      for (let i = 0; i < 200 && !flockFree(path); i++) await sleep(10);
    },
  };
}

/** Can flock(1) from outside take the lock right now? */
export function flockFree(path: string, mode: 'x' | 's' = 'x'): boolean {
  return spawnSync('flock', [`-${mode}`, '-n', path, 'true']).status === 0;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------
// "Nothing changed on disk": a snapshot of every entry under a dir.

export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (p: string) => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    const rel = p.slice(dir.length) || '/';
    if (st.isSymbolicLink()) out.set(rel, `link:${readlinkSync(p)}`);
    else if (st.isDirectory()) {
      out.set(rel, `dir:${(st.mode & 0o7777).toString(8)}`);
      for (const n of readdirSync(p)) walk(join(p, n));
    } else if (st.isFile()) {
      // An nsfs bind mount (a network namespace) is a file that cannot be read: its inode says which namespace.
      let sum: string;
      try {
        sum = createHash('sha1').update(readFileSync(p)).digest('hex');
      } catch {
        sum = `unreadable:${st.dev}:${st.ino}`;
      }
      out.set(rel, `file:${(st.mode & 0o7777).toString(8)}:${sum}:${st.mtimeMs}`);
    } else out.set(rel, `special:${st.mode}`);
  };
  walk(dir);
  return out;
}

// ---------------------------------------------------------------------------
// Kata 1.11+/2.x persist layout and Kata 3.x runtime-rs

export function addPersistSandbox(
  prefix: string,
  sid: string,
  spec: { state?: string; type?: string; pid?: number; containers?: ContainerSpec[]; configShell?: boolean; uuid?: string } = {},
): void {
  const run = join(prefix, 'run/vc/sbs', sid);
  const doc = {
    PersistVersion: 2,
    State: spec.state ?? 'running',
    SandboxContainer: sid,
    CgroupPath: `/kata_${sid}`,
    Devices: [],
    HypervisorState: {
      Pid: spec.pid ?? 0,
      Type: spec.type ?? 'qemu',
      UUID: spec.uuid ?? '',
      Bridges: [],
      HotpluggedVCPUs: [],
      HotpluggedMemory: 0,
      VirtiofsdPid: 0,
    },
    AgentState: { URL: `vsock://1234:1024` },
    Network: { NetworkID: '/var/run/netns/cni-1', NetworkCreated: false, Endpoints: [] },
    Config: {
      HypervisorType: spec.type ?? 'qemu',
      ...(spec.containers?.some((c) => c.annotations)
        ? { ContainerConfigs: spec.containers.map((c) => ({ ID: c.id, Annotations: c.annotations ?? {} })) }
        : {}),
    },
  };
  fse.outputFileSync(join(run, 'persist.json'), `${JSON.stringify(doc)}\n`, { mode: 0o600 });
  for (const c of spec.containers ?? [{ id: sid, state: spec.state ?? 'running', pid: -1 }]) {
    fse.outputFileSync(
      join(run, c.id, 'persist.json'),
      `${JSON.stringify({ State: c.state ?? 'running', CgroupPath: '', BundlePath: `/run/containerd/${c.id}`, Rootfs: { BlockDeviceID: '', FsType: '' }, Process: { StartTime: c.started ?? '2026-11-27T15:49:09Z', Token: 't', Pid: c.pid ?? -1 }, DeviceMaps: [], Mounts: [] })}\n`,
      { mode: 0o600 },
    );
  }
  if (spec.configShell) {
    fse.outputFileSync(join(prefix, 'var/lib/vc/sbs', sid, 'lock'), '');
    fse.mkdirpSync(join(prefix, 'var/lib/vc/sbs', sid, 'raw'));
  }
}

export function addRuntimeRsSandbox(prefix: string, sid: string, spec: { type?: string; pid?: number } = {}): void {
  const dir = join(prefix, 'run/kata', sid);
  fse.outputFileSync(
    join(dir, 'state.json'),
    JSON.stringify(
      {
        sandbox_type: 'virt_container',
        hypervisor: { hypervisor_type: spec.type ?? 'qemu', pid: spec.pid ?? 0, id: sid, run_dir: dir },
        resource: { cgroups: {} },
      },
      null,
      2,
    ),
  );
}

/** A problem record with this code (and, when given, about a path ending in `file`) is in the list. */
export function hasProblem(problems: { code: string; evidence: Record<string, unknown> }[], code: string, file?: string): boolean {
  return problems.some((p) => p.code === code && (file === undefined || (typeof p.evidence.path === 'string' && p.evidence.path.endsWith(file))));
}

/** The codes of a JSON problem list, for short assertions. */
export const codes = (problems: { code: string }[]): string[] => problems.map((p) => p.code);

/** vcstore in this process: main(argv, io, env) with buffers for stdout and stderr; `tty`: both are terminals. */
export async function run(args: string[], env: NodeJS.ProcessEnv = {}, o: { tty?: boolean } = {}): Promise<RunResult> {
  const { main } = await import('../src/cli.js');
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), isTty: () => Promise.resolve(o.tty === true) };
  const code = await main(['node', 'vcstore', ...args], io, { PATH: process.env.PATH, ...passed, ...env });
  return { code, stdout, stderr };
}

/** Unpack a runtime-written fixture from ../shared/fixtures (or test/fixtures) into a temp dir. */
export function unpackFixture(name: string, into: string): void {
  const candidates = [join(ROOT, '..', 'shared', 'fixtures', name), join(ROOT, 'test', 'fixtures', name)];
  const file = candidates.find((f) => {
    try {
      return lstatSync(f).isFile();
    } catch {
      return false;
    }
  });
  if (!file) throw new Error(`fixture ${name} not found in ${candidates.join(' or ')}`);
  const r = spawnSync('tar', ['xzf', file, '-C', into]);
  if (r.status !== 0) throw new Error(`tar: ${r.stderr.toString()}`);
}

/** Every exit code vcstore documents: the code's own table, plus 130/143 for SIGINT/SIGTERM. */
export const DOCUMENTED_EXITS = new Set<number>([...Object.values(Exit), 130, 143]);

/** A refusal: the expected exit code and exactly one line on stderr. */
export function oneLine(r: { code: number | null; stderr: string }, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}: ${r.stderr}`);
  assert.equal(r.stderr.split('\n').length, 2, `${what}: one line: ${JSON.stringify(r.stderr)}`);
  assert.ok(!/internal error| {4}at /.test(r.stderr), `${what}: no stack`);
}

/**
 * vcstore with --prefix, in process through main(argv, io, env): the same
 * argv -> stdout/stderr/exit code as the binary, without a node start-up.
 * The environment is handed in as the binary's would be; runs that need
 * standard input are spawned.
 */
export async function vci(prefix: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> {
  if (opts.input !== undefined) return vcp(prefix, args, opts);
  return run(['--prefix', prefix, ...args], opts.env);
}

// ---------------------------------------------------------------------------
// Processes by name, and mounts (root only), both gone when the test file ends.

const named: ChildProcess[] = [];
after(() => named.forEach((c) => c.kill('SIGKILL')));

/** A live process with argv[0] `name` (what ps shows) and these arguments. */
export async function namedProc(name: string, args: string[]): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', '--', ...args], { argv0: name, stdio: 'ignore' });
  named.push(child);
  await new Promise<void>((res, rej) => {
    child.once('spawn', res);
    child.once('error', rej);
  });
  return child as ChildProcess & { pid: number };
}

export const isRoot = process.geteuid?.() === 0;
const mounts: string[] = [];
after(() => {
  for (const m of mounts.reverse()) for (let i = 0; i < 8 && spawnSync('umount', ['-l', m]).status === 0; i++);
});

/** A mount the test made itself: unmounted when the file's tests end. */
export function registerMount(at: string): void {
  mounts.push(at);
}

/** Mount a tmpfs at `at` (made if missing); unmounted when the file's tests end. */
export function tmpfsAt(at: string): void {
  fse.mkdirpSync(at);
  const r = spawnSync('mount', ['-t', 'tmpfs', 'vcstore-test', at], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  mounts.push(at);
}

/** Bind-mount `src` at `at` (made if missing); unmounted when the file's tests end. */
export function bindAt(src: string, at: string): void {
  fse.mkdirpSync(at);
  const r = spawnSync('mount', ['--bind', src, at], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  mounts.push(at);
}

/** How many mounts lie at or below `dir`. */
export function mountsAt(dir: string): number {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => {
      const m = l.split(' ')[4];
      return m === dir || m?.startsWith(`${dir}/`);
    }).length;
}

/**
 * A pod's sandbox in either layout, with the annotations containerd's CRI
 * writes: the pod sandbox container and one app container named `web`.
 */
export function podSandbox(
  p: string,
  layout: 'legacy' | 'persist',
  sid: string,
  ns: string,
  name: string,
  o: { started?: string; state?: string; uid?: string; pid?: number } = {},
): { uid: string; app: string } {
  const uid = o.uid ?? hex64(`${sid}uid`).slice(0, 36);
  const app = `${sid.slice(0, 6)}app${hex64(sid).slice(0, 20)}`;
  const containers = [
    { id: sid, state: o.state ?? 'stopped', annotations: criPod(ns, name, uid, sid), ...(o.started ? { started: o.started } : {}) },
    { id: app, state: o.state ?? 'stopped', annotations: criPod(ns, name, uid, sid, 'web') },
  ];
  const pid = o.pid === undefined ? {} : { pid: o.pid };
  if (layout === 'legacy') addSandbox(p, sid, { state: o.state ?? 'stopped', containers, ...pid });
  else addPersistSandbox(p, sid, { state: o.state ?? 'stopped', containers, ...pid });
  return { uid, app };
}
