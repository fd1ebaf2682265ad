// npm run bench: generate realistic Kata 1.x stores at 1,000 and 10,000
// sandboxes (3 containers each) in a temp dir and time the real bin/vcstore
// against baselines measured in the same run, interleaved, so the ratios
// hold on a noisy shared machine. Not part of npm test.
import { spawnSync } from 'node:child_process';
import { cpus, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquire } from '../src/store/locks.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'vcstore');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const sizes = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);

interface Sample {
  ms: number;
  rssKb: number | null;
}

function runOnce(cmd: string[], shell = false): Sample {
  const argv = shell ? ['sh', '-c', cmd.join(' ')] : cmd;
  const full = TIME ? [TIME, '-f', '%M', ...argv] : argv;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0]!, full.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 6) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const rss = TIME ? Number(r.stderr.trim().split('\n').pop()) : null;
  return { ms, rssKb: Number.isFinite(rss) ? rss : null };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Row {
  name: string;
  ms: number;
  rssMb: number | null;
  vs?: string;
}
const rows: Row[] = [];

/** Run the commands round-robin `n` times; record median time and peak RSS. */
function measure(cases: { name: string; cmd: string[]; shell?: boolean }[], n: number): Row[] {
  const samples = cases.map(() => [] as Sample[]);
  for (const c of cases) runOnce(c.cmd, c.shell); // warm the page cache
  for (let i = 0; i < n; i++) cases.forEach((c, j) => samples[j]!.push(runOnce(c.cmd, c.shell)));
  return cases.map((c, j) => {
    const rss = samples[j]!.map((s) => s.rssKb).filter((x): x is number => x !== null);
    const row: Row = { name: c.name, ms: median(samples[j]!.map((s) => s.ms)), rssMb: rss.length ? Math.max(...rss) / 1024 : null };
    rows.push(row);
    return row;
  });
}

// ---------------------------------------------------------------------------
// Store generation, in the runtime's own compact format.

const pad = (n: number) => 'x'.repeat(n);
function sandboxConfig(sid: string, cids: string[], i: number): string {
  // 8–18 KB like the runtime's SandboxConfig (HypervisorConfig, annotations...).
  const extra = 8000 + ((i * 7919) % 10000);
  return JSON.stringify({
    ID: sid,
    Hostname: sid.slice(0, 12),
    HypervisorType: 'qemu',
    HypervisorConfig: { KernelPath: '/usr/share/kata-containers/vmlinuz.container', ImagePath: '/usr/share/kata-containers/kata-containers.img', KernelParams: [], HypervisorPath: '/usr/bin/qemu-system-x86_64', BlockDeviceDriver: 'virtio-scsi', MemorySize: 2048, DefaultVCPUs: 1 },
    AgentType: 'kata',
    ProxyType: 'kataBuiltInProxy',
    ShimType: 'kataShim',
    NetworkConfig: { NetNSPath: `/var/run/netns/cni-${sid.slice(0, 8)}`, NetNsCreated: false },
    Containers: cids.map((c) => ({ ID: c, RootFs: { Target: `/run/kata-containers/shared/containers/${c}/rootfs` } })),
    Annotations: { 'io.katacontainers.pkg.oci.container_type': 'pod_sandbox', 'io.kubernetes.cri.sandbox-log-directory': `/var/log/pods/ns_pod-${i}`, padding: pad(extra) },
  });
}
function containerConfig(cid: string): string {
  return JSON.stringify({ ID: cid, RootFs: { Target: '', Source: '', Type: '', Options: null, Mounted: false }, Annotations: { 'io.katacontainers.pkg.oci.container_type': 'pod_container' }, _: { ociVersion: '1.0.1', process: { args: ['sh'], env: ['PATH=/usr/bin'], cwd: '/' }, root: { path: 'rootfs' }, mounts: [], linux: { resources: {}, namespaces: [], maskedPaths: [pad(4000)] } } });
}

function hex(i: number, salt: string): string {
  let h = 2166136261 ^ salt.length;
  const out: string[] = [];
  for (let k = 0; k < 8; k++) {
    h = Math.imul(h ^ (i + k * 7919 + salt.charCodeAt(k % salt.length)), 16777619) >>> 0;
    out.push(h.toString(16).padStart(8, '0'));
  }
  return out.join('');
}

function generate(prefix: string, n: number): string[] {
  const cfgRoot = join(prefix, 'var/lib/vc/sbs');
  const runRoot = join(prefix, 'run/vc/sbs');
  const vmRoot = join(prefix, 'run/vc/vm');
  const ids: string[] = [];
  const w = (p: string, d: string) => writeFileSync(p, d);
  const network = JSON.stringify({ NetNsPath: '/var/run/netns/cni-1', NetNsCreated: false, Endpoints: [{ Type: 'virtual', Data: { NetPair: { ID: 'x', Name: 'br0_kata', TAPIface: { Name: 'tap0_kata' }, VirtIface: { Name: 'eth0', HardAddr: '0a:58:0a:58:00:02' } }, EndpointProperties: { Iface: { Index: 3, MTU: 1450, Name: 'eth0' } } } }] });
  const devices = JSON.stringify([{ Type: 'block', Data: { ID: 'd1', DeviceInfo: { HostPath: '/dev/dm-5', DevType: 'b', Major: 253, Minor: 5 }, RefCount: 1, AttachCount: 1, BlockDrive: { File: '/dev/dm-5', Format: 'raw', ID: 'drive-d1', Index: 0, VirtPath: '/dev/vda' } } }]);
  const mounts = JSON.stringify([{ Source: '/run/containerd/x/shm', Destination: '/dev/shm', Type: 'bind', Options: ['rbind'], HostPath: '', ReadOnly: false, BlockDeviceID: '' }]);
  for (let i = 0; i < n; i++) {
    const sid = hex(i, 'sandbox');
    const cids = [sid, hex(i, 'c1'), hex(i, 'c2')];
    ids.push(sid);
    const cfg = join(cfgRoot, sid);
    const run = join(runRoot, sid);
    for (const d of [join(cfg, 'raw'), join(run, 'raw'), join(vmRoot, sid)]) mkdirSync(d, { recursive: true });
    w(join(cfg, 'lock'), '');
    w(join(cfg, 'config.json'), sandboxConfig(sid, cids, i));
    w(join(run, 'lock'), '');
    const state = ['running', 'ready', 'paused', 'stopped'][i % 4]!;
    w(join(run, 'state.json'), JSON.stringify({ state, blockIndex: 1, guestMemoryBlockSize: 128, guestMemoryHotplugProbe: false, cgroupPath: `/kubepods/besteffort/pod${i}/kata_${sid}` }));
    w(join(run, 'hypervisor.json'), JSON.stringify({ Bridges: [{ Devices: {}, ID: 'pci-bridge-0', Addr: 2, Type: 'pci', MaxCapacity: 30 }], HotpluggedVCPUs: [], HotpluggedMemory: 0, UUID: '665862c3-2ef8-4919-9099-1f7af85e953b', HotplugVFIOOnRootBus: false, VirtiofsdPid: 0 }));
    w(join(run, 'agent.json'), JSON.stringify({ ProxyPid: -1, URL: `unix:///run/vc/sbs/${sid}/proxy.sock` }));
    w(join(run, 'network.json'), network);
    w(join(run, 'devices.json'), devices);
    w(join(run, 'mounts.json'), mounts);
    w(join(vmRoot, sid, 'pid'), String(3_900_000 + (i % 1000))); // dead pids: liveness is probed for real
    for (const c of cids) {
      mkdirSync(join(cfg, c, 'raw'), { recursive: true });
      mkdirSync(join(run, c, 'raw'), { recursive: true });
      w(join(cfg, c, 'lock'), '');
      w(join(cfg, c, 'config.json'), containerConfig(c));
      w(join(run, c, 'lock'), '');
      w(join(run, c, 'state.json'), JSON.stringify({ state, BlockDeviceID: '', fstype: 'ext4', cgroupPath: `/kubepods/kata_${c}` }));
      w(join(run, c, 'process.json'), JSON.stringify({ Token: 'tok', Pid: -1, StartTime: '2026-11-27T15:49:09.722191Z' }));
      w(join(run, c, 'devices.json'), '[]');
      w(join(run, c, 'mounts.json'), mounts);
    }
  }
  return ids;
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'vcstore-bench-'));
  const vc = (prefix: string, ...args: string[]) => ['node', BIN, '--prefix', prefix, ...args];
  const fmt = (x: number) => (x < 1 ? x.toFixed(3) : x.toFixed(1));
  try {
    const empty = join(work, 'empty');
    mkdirSync(empty);
    process.stderr.write('start-up...\n');
    const [node0, ver, lsEmpty] = measure(
      [
        { name: 'node -e 0', cmd: ['node', '-e', '0'] },
        { name: 'vcstore --version', cmd: ['node', BIN, '--version'] },
        { name: 'vcstore ls (empty store)', cmd: vc(empty, 'ls') },
      ],
      30,
    );
    ver!.vs = `${(ver!.ms / node0!.ms).toFixed(2)}x node -e 0`;
    lsEmpty!.vs = `${(lsEmpty!.ms / node0!.ms).toFixed(2)}x node -e 0`;

    const perSandbox = new Map<number, number>();
    let oneStore = '';
    let oneId = '';
    for (const n of sizes) {
      const prefix = join(work, `s${n}`);
      process.stderr.write(`generating ${n} sandboxes...\n`);
      const t0 = Date.now();
      const ids = generate(prefix, n);
      process.stderr.write(`  ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      oneStore = prefix;
      oneId = ids[Math.floor(ids.length / 2)]!;
      const runs = n >= 10000 ? 5 : 9;
      const [base, ls, lsJson, check] = measure(
        [
          { name: `find|xargs cat state.json (${n})`, cmd: [`find ${join(prefix, 'run/vc/sbs')} -name state.json -print0 | xargs -0 cat > /dev/null`], shell: true },
          { name: `vcstore ls (${n})`, cmd: vc(prefix, 'ls') },
          { name: `vcstore ls --json (${n})`, cmd: vc(prefix, 'ls', '--json') },
          { name: `vcstore check --json (${n})`, cmd: vc(prefix, 'check', '--json') },
        ],
        runs,
      );
      for (const r of [ls!, lsJson!, check!]) r.vs = `${(r.ms / base!.ms).toFixed(2)}x find|xargs cat`;
      perSandbox.set(n, (lsJson!.ms - lsEmpty!.ms) / n);
    }

    process.stderr.write('show, lock...\n');
    measure([{ name: 'vcstore show SID', cmd: vc(oneStore, 'show', oneId) }], 20);
    const lockPath = join(oneStore, 'run/vc/sbs', oneId, 'lock');
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = process.hrtime.bigint();
      const l = await acquire(lockPath, { mode: 'exclusive', wait: 0 });
      l.release();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    rows.push({ name: 'lock acquire + release (in process)', ms: median(times), rssMb: null });

    process.stderr.write('rm of 1,000...\n');
    const rmStore = join(work, 'rm');
    const rmIds = generate(rmStore, 1000);
    const rm = runOnce(['node', BIN, '--prefix', rmStore, 'rm', ...rmIds]);
    rows.push({ name: 'vcstore rm of 1,000 sandboxes (one call)', ms: rm.ms, rssMb: rm.rssKb === null ? null : rm.rssKb / 1024, vs: `${fmt(rm.ms / 1000)} ms per sandbox` });

    const w = Math.max(...rows.map((r) => r.name.length));
    const out = [
      `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}, ${readFileSync('/proc/version', 'utf8').split(' ').slice(0, 3).join(' ')}`,
      '',
      `| ${'measurement'.padEnd(w)} | median ms | peak RSS MiB | ratio |`,
      `|${'-'.repeat(w + 2)}|----------:|-------------:|-------|`,
      ...rows.map((r) => `| ${r.name.padEnd(w)} | ${fmt(r.ms).padStart(9)} | ${(r.rssMb === null ? '-' : fmt(r.rssMb)).padStart(12)} | ${r.vs ?? ''} |`),
      '',
      ...[...perSandbox].map(([n, ms]) => `ls --json per-sandbox cost at ${n}: ${(ms * 1000).toFixed(1)} µs`),
    ];
    if (perSandbox.size >= 2) {
      const [a, b] = [...perSandbox.values()];
      out.push(`scaling: per-sandbox cost at ${sizes[1]} is ${(b! / a!).toFixed(2)}x the cost at ${sizes[0]}`);
    }
    console.log(out.join('\n'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// `node dist/bench/bench.js generate DIR N` only builds a store (for profiling).
if (process.argv[2] === 'generate') generate(process.argv[3]!, Number(process.argv[4]));
else await main();
