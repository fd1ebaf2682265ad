// npm run bench: time the real bin/vcstore against yardsticks measured in
// the same run, interleaved, on stores cloned from the one the runtime's own
// Go code wrote (bench/fixture-store.ts), and print every ratio beside its
// target. The yardstick for listings is bench/baseline.c, compiled here with
// cc: exactly the reads a listing needs. Stores live on tmpfs (/dev/shm) and
// on a disk file system (BENCH_DISK_DIR, default /var/tmp) with a warm page
// cache; BENCH_MEDIA=tmpfs or disk for one. BENCH_BEFORE names the build
// before this round's features for the with-and-without rows (none: skip).
// Not part of npm test.
import { spawn, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateFromFixture } from './fixture-store.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'vcstore');
const FIXTURE = join(ROOT, 'test/fixtures/kata-1.x-store-12.tar.gz');
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
}
const rows: Row[] = [];
const targets: { what: string; got: number; max: number; unit: string }[] = [];

/** Run the commands round-robin `n` times after one warm-up each; median time, peak RSS. */
function measure(cases: { name: string; cmd: string[]; shell?: boolean }[], n: number): Row[] {
  const samples = cases.map(() => [] as Sample[]);
  for (const c of cases) runOnce(c.cmd, c.shell);
  for (let i = 0; i < n; i++) cases.forEach((c, j) => samples[j]!.push(runOnce(c.cmd, c.shell)));
  return cases.map((c, j) => {
    const rss = samples[j]!.map((s) => s.rssKb).filter((x): x is number => x !== null);
    const row: Row = { name: c.name, ms: median(samples[j]!.map((s) => s.ms)), rssMb: rss.length ? Math.max(...rss) / 1024 : null };
    rows.push(row);
    return row;
  });
}

const target = (what: string, got: number, max: number, unit = 'x') => targets.push({ what, got, max, unit });

function compileBaseline(dir: string): string {
  const out = join(dir, 'baseline');
  const r = spawnSync(process.env.CC || 'cc', ['-O2', '-Wall', '-Wno-format-truncation', join(ROOT, 'bench/baseline.c'), '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc bench/baseline.c: ${r.stderr}`);
  return out;
}

/** Where stores live: tmpfs, and a disk file system with a warm page cache (each case runs once before it is timed). */
function media(): { name: string; dir: string }[] {
  const out: { name: string; dir: string }[] = [];
  const want = (process.env.BENCH_MEDIA ?? 'tmpfs,disk').split(',');
  if (want.includes('tmpfs') && existsSync('/dev/shm')) out.push({ name: 'tmpfs', dir: '/dev/shm' });
  const disk = process.env.BENCH_DISK_DIR ?? '/var/tmp';
  if (want.includes('disk') && existsSync(disk) && fsType(disk) !== 'tmpfs') out.push({ name: `disk (${fsType(disk)})`, dir: disk });
  return out;
}

/** The file system type of the mount holding `dir` (the longest mount point that prefixes it). */
function fsType(dir: string): string {
  let best = { at: '', type: '?' };
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [, at, type] = line.split(' ');
    if (at && type && (dir === at || dir.startsWith(at.endsWith('/') ? at : `${at}/`)) && at.length >= best.at.length) best = { at, type };
  }
  return best.type;
}

/**
 * The build before this round's features (pod identity, the containerd
 * witness, cgroup checks: BENCH_BEFORE, a git revision), built in a worktree
 * beside the stores, for the with-and-without rows. Null (and why) when this
 * is no git checkout or it does not build.
 */
function buildBefore(work: string): { bin: string; rev: string } | { why: string } {
  const rev = process.env.BENCH_BEFORE ?? '998f88c';
  if (rev === 'none') return { why: 'BENCH_BEFORE=none' };
  const dir = join(work, 'before');
  const git = (...a: string[]) => spawnSync('git', ['-C', ROOT, ...a], { encoding: 'utf8' });
  if (git('rev-parse', '--verify', `${rev}^{commit}`).status !== 0) return { why: `no git revision ${rev} here` };
  if (git('worktree', 'add', '--detach', dir, rev).status !== 0) return { why: `git worktree add ${rev} failed` };
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  process.stderr.write(`building ${rev} for the before rows...\n`);
  const b = spawnSync('npm', ['run', 'build'], { cwd: dir, encoding: 'utf8' });
  if (b.status !== 0) return { why: `${rev} does not build: ${b.stderr.split('\n')[0]}` };
  return { bin: join(dir, 'bin', 'vcstore'), rev };
}

/** Unrelated processes and mounts a real node has, which every witness read of a removal pays for (#40). */
const UNRELATED_PROCS = 150;
const UNRELATED_MOUNTS = 500;

/**
 * Run `argv` as a node with UNRELATED_MOUNTS more mounts would: as root with
 * unshare(1), in a private mount namespace of its own holding that many
 * tmpfs mounts (gone with it, even when killed); the time is taken inside,
 * after the mounts. Null (and why) when that cannot be made here.
 */
function timedWithMounts(work: string, argv: string[]): { ms: number } | { why: string } {
  if (process.geteuid?.() !== 0) return { why: 'not root' };
  const at = join(work, 'unrelated-mounts');
  mkdirSync(at, { recursive: true });
  const script = [
    `i=0; while [ $i -lt ${UNRELATED_MOUNTS} ]; do mkdir -p "${at}/m$i" && mount -t tmpfs -o size=4k unrelated "${at}/m$i" || exit 97; i=$((i+1)); done`,
    't0=$(date +%s%N); "$@" >/dev/null || exit $?; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000 ))',
  ].join('\n');
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error || r.status === 97) return { why: `no private mount namespace with ${UNRELATED_MOUNTS} mounts here (${r.error?.message ?? r.stderr.trim()})` };
  if (r.status !== 0) throw new Error(`${argv.slice(0, 4).join(' ')} … exited ${r.status}: ${r.stderr}`);
  return { ms: Number(r.stdout.trim()) / 1000 };
}

/**
 * Bulk rm of 1,000 sandboxes against rm -rf of the same directories, on a
 * host with UNRELATED_PROCS processes and (as root, see timedWithMounts)
 * UNRELATED_MOUNTS mounts that have nothing to do with Kata: each read of
 * the witnesses reads all of them. Interleaved, five times.
 */
function rmRows(work: string, notes: string[]): void {
  process.stderr.write(`rm of 1,000 against rm -rf of the same directories (${UNRELATED_PROCS} unrelated processes, ${UNRELATED_MOUNTS} mounts)...\n`);
  const sleepers = Array.from({ length: UNRELATED_PROCS }, (_, i) =>
    spawn('sleep', ['3600'], { argv0: `unrelated-worker-${i}`, stdio: 'ignore', detached: false }),
  );
  const rmTimes: number[] = [];
  const rfTimes: number[] = [];
  let mountsWhy: string | undefined;
  try {
    for (let i = 0; i < 5; i++) {
      const a = join(work, `rm-a${i}`);
      const b = join(work, `rm-b${i}`);
      const ids = generateFromFixture(a, 1000, FIXTURE);
      generateFromFixture(b, 1000, FIXTURE);
      const dirs = ids.flatMap((id) => ['var/lib/vc/sbs', 'run/vc/sbs'].map((r) => join(b, r, id)));
      const rm = ['node', BIN, '--prefix', a, 'rm', ...ids];
      const t = mountsWhy === undefined ? timedWithMounts(work, rm) : { why: mountsWhy };
      if ('why' in t) {
        mountsWhy = t.why;
        rmTimes.push(runOnce(rm).ms);
      } else rmTimes.push(t.ms);
      rfTimes.push(runOnce(['rm', '-rf', ...dirs]).ms);
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  } finally {
    for (const p of sleepers) p.kill();
  }
  if (mountsWhy) notes.push(`rm of 1,000 measured without the ${UNRELATED_MOUNTS} unrelated mounts: ${mountsWhy}`);
  const ratios = rmTimes.map((t, i) => t / rfTimes[i]!).sort((x, y) => x - y);
  notes.push(`rm of 1,000 / rm -rf, each of the 5 interleaved runs: ${ratios.map((r) => r.toFixed(2)).join(', ')}`);
  rows.push({
    name: `vcstore rm of 1,000 sandboxes (one call; ${UNRELATED_PROCS} procs, ${mountsWhy ? 'host' : UNRELATED_MOUNTS} mounts)`,
    ms: median(rmTimes),
    rssMb: null,
  });
  rows.push({ name: 'rm -rf of the same 2,000 directories', ms: median(rfTimes), rssMb: null });
  target('rm of 1,000 / rm -rf', median(rmTimes) / median(rfTimes), 1.25);
}

/** The DaemonSet's loop (examples/kubernetes/daemonset.yaml): its flags, its environment, its interval and CPU request. */
const DAEMONSET = {
  args: ['check', '--textfile', 'vcstore.prom', '--every'],
  env: { VCSTORE_NO_PROGRESS: '1', NODE_OPTIONS: '--max-semi-space-size=1' },
  intervalS: 60,
  /** requests.cpu 20m: the share of a core a round may use over its interval. */
  cpuRequest: 0.02,
  /** requests.memory 128Mi: what the loop should settle under. */
  memoryMiB: 128,
};
const EVERY_SIZES = (process.env.BENCH_EVERY_SIZES ?? '100,1000,10000').split(',').map(Number);

const sleepMs = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** utime+stime of the whole process (every thread, the finished ones too) in seconds, and VmRSS in KiB; null once it is gone. */
function procSample(pid: number, tick: number): { cpu: number; rssKb: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the comm: state is field 3, utime 14 and stime 15 (proc(5)).
    const cpu = (Number(f[11]) + Number(f[12])) / tick;
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpu, rssKb: m ? Number(m[1]) : 0 };
  } catch {
    return null;
  }
}

/**
 * `check --every` as the DaemonSet runs it (its flags, VCSTORE_PREFIX,
 * VCSTORE_NO_PROGRESS, NODE_OPTIONS), measured from outside with a 1 s
 * interval instead of 60 s: a round ends when the textfile is replaced.
 * The CPU of a round is the process's utime+stime (all threads) between two
 * textfile writes (the 1 s sleep costs nothing measurable), the first round
 * (start-up) left out; RSS is VmRSS sampled every 10 ms, its steady state
 * the peak over the rounds after the first.
 */
function everyLoop(prefix: string, dir: string, rounds: number): { cpu: number[]; peaks: number[]; firstPeakKb: number } {
  const tick = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const textfile = join(dir, DAEMONSET.args[2]!);
  const errPath = join(dir, 'every.err');
  const err = openSync(errPath, 'w');
  const child = spawn('node', [BIN, ...DAEMONSET.args.slice(0, 2), textfile, ...DAEMONSET.args.slice(3), '1s'], {
    env: { ...process.env, ...DAEMONSET.env, VCSTORE_PREFIX: prefix },
    stdio: ['ignore', 'ignore', err],
  });
  closeSync(err);
  const pid = child.pid!;
  const marks: { cpu: number; peakKb: number }[] = [];
  let seen = '';
  let peakKb = 0;
  const deadline = Date.now() + 600_000;
  try {
    while (marks.length < rounds + 1) {
      const s = procSample(pid, tick);
      if (!s) throw new Error(`check --every exited: ${readFileSync(errPath, 'utf8').trim()}`);
      if (Date.now() > deadline) throw new Error(`check --every: ${marks.length} rounds in 10 minutes`);
      peakKb = Math.max(peakKb, s.rssKb);
      let id = '';
      try {
        const st = statSync(textfile, { bigint: true });
        id = `${st.ino}:${st.mtimeNs}`;
      } catch {
        // not written yet
      }
      if (id && id !== seen) {
        seen = id;
        marks.push({ cpu: s.cpu, peakKb });
        peakKb = s.rssKb;
      }
      sleepMs(10);
    }
  } finally {
    child.kill('SIGTERM');
  }
  const cpu = marks.slice(1).map((m, i) => m.cpu - marks[i]!.cpu);
  // Each mark's peak is that of the round it ends (and the sleep before it).
  return { cpu, peaks: marks.slice(1).map((m) => m.peakKb / 1024), firstPeakKb: marks[0]!.peakKb };
}

/** The `check --every` rows: CPU of a round and the loop's steady RSS at 100, 1,000 and 10,000 sandboxes, on tmpfs. */
function everyRows(work: string, notes: string[]): void {
  for (const n of EVERY_SIZES) {
    const rounds = n >= 10000 ? 5 : n >= 1000 ? 8 : 12;
    process.stderr.write(`check --every 1s as the DaemonSet runs it, ${n} sandboxes, ${rounds} rounds...\n`);
    const prefix = mkdtempSync(join(work, `every-${n}-`));
    try {
      generateFromFixture(prefix, n, FIXTURE);
      const r = everyLoop(prefix, prefix, rounds);
      const steady = Math.max(...r.peaks);
      const cpu = median(r.cpu);
      rows.push({ name: `check --every: CPU of one round (user+sys, as ms), steady RSS (${n}, tmpfs)`, ms: cpu * 1000, rssMb: steady });
      target(
        `check --every: CPU of one round (${n}) / its share of ${DAEMONSET.intervalS}s at ${DAEMONSET.cpuRequest * 1000}m`,
        cpu,
        DAEMONSET.cpuRequest * DAEMONSET.intervalS,
        ' s',
      );
      target(`check --every: steady RSS over ${rounds} rounds, DaemonSet's NODE_OPTIONS (${n})`, steady, DAEMONSET.memoryMiB, ' MiB');
      notes.push(
        `check --every at ${n}: CPU per round ${r.cpu.map((c) => c.toFixed(2)).join(', ')} s; peak RSS per round ${r.peaks.map((p) => p.toFixed(0)).join(', ')} MiB (first round with start-up: ${(r.firstPeakKb / 1024).toFixed(0)} MiB)`,
      );
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  }
}

function main(): void {
  const base = existsSync('/dev/shm') ? '/dev/shm' : (process.env.TMPDIR ?? '/tmp');
  const work = mkdtempSync(join(base, 'vcstore-bench-'));
  const places = media();
  const vc = (prefix: string, ...args: string[]) => ['node', BIN, '--prefix', prefix, ...args];
  // As the DaemonSet runs it: a 1 MiB semi-space for every isolate (README, Memory).
  const small = (prefix: string, ...args: string[]) => ['env', 'NODE_OPTIONS=--max-semi-space-size=1', ...vc(prefix, ...args)];
  const fmt = (x: number) => (x < 1 ? x.toFixed(3) : x.toFixed(1));
  const notes: string[] = [];
  const stores: string[] = [];
  try {
    const baseline = compileBaseline(work);
    const before = buildBefore(work);
    if ('why' in before) notes.push(`no before rows: ${before.why}`);
    const empty = join(work, 'empty');
    mkdirSync(join(empty, 'run/vc/sbs'), { recursive: true });
    process.stderr.write('start-up...\n');
    const [node0, ver, lsEmpty] = measure(
      [
        { name: 'node -e 0', cmd: ['node', '-e', '0'] },
        { name: 'vcstore --version', cmd: ['node', BIN, '--version'] },
        { name: 'vcstore ls (empty store)', cmd: vc(empty, 'ls') },
        { name: 'vcstore ls --json (empty store)', cmd: vc(empty, 'ls', '--json') },
      ],
      30,
    );
    target('--version / node -e 0', ver!.ms / node0!.ms, 1.15);
    target('ls (empty) / node -e 0', lsEmpty!.ms / node0!.ms, 1.2);

    const perSandbox = new Map<string, number>();
    const fixPerSandbox = new Map<string, number>();
    for (const m of places)
      for (const n of sizes) {
        const at = `${n}, ${m.name}`;
        const prefix = mkdtempSync(join(m.dir, `vcstore-bench-s${n}-`));
        stores.push(prefix);
        process.stderr.write(`cloning the fixture to ${n} sandboxes on ${m.name}...\n`);
        generateFromFixture(prefix, n, FIXTURE);
        const runs = n >= 10000 ? 5 : 9;
        const was = 'bin' in before ? before : null;
        const cases = [
          { name: `C baseline (${at})`, cmd: [baseline, prefix] },
          {
            name: `find|xargs cat state.json (${at})`,
            cmd: [`find ${join(prefix, 'run/vc/sbs')} -name state.json -print0 | xargs -0 cat > /dev/null`],
            shell: true,
          },
          { name: `vcstore ls --json (${at})`, cmd: vc(prefix, 'ls', '--json') },
          { name: `vcstore ls (${at})`, cmd: vc(prefix, 'ls') },
          { name: `vcstore check --json (${at})`, cmd: vc(prefix, 'check', '--json') },
          // The store is all leaks (every pid dead): a dry run plans and re-checks every sandbox under its lock.
          { name: `vcstore check --fix --dry-run --json (${at})`, cmd: vc(prefix, 'check', '--fix', '--dry-run', '--json') },
          { name: `ls --json, NODE_OPTIONS=--max-semi-space-size=1 (${at})`, cmd: small(prefix, 'ls', '--json') },
          { name: `check --json, NODE_OPTIONS=--max-semi-space-size=1 (${at})`, cmd: small(prefix, 'check', '--json') },
          // What one TAB costs: sandbox IDs, and the pods of a namespace.
          { name: `completion: sandbox IDs (${at})`, cmd: vc(prefix, '__complete', '--', 'show', '') },
          { name: `completion: pods of ns-1/ (${at})`, cmd: vc(prefix, '__complete', '--', 'show', 'ns-1/') },
          ...(was
            ? [
                { name: `before (${was.rev}) ls --json (${at})`, cmd: ['node', was.bin, '--prefix', prefix, 'ls', '--json'] },
                { name: `before (${was.rev}) check --json (${at})`, cmd: ['node', was.bin, '--prefix', prefix, 'check', '--json'] },
              ]
            : []),
        ];
        const [c, , lsJson, ls, check, fixDry, lsSmall, checkSmall, ids, pods, lsBefore, checkBefore] = measure(cases, runs);
        perSandbox.set(at, (lsJson!.ms - lsEmpty!.ms) / n);
        fixPerSandbox.set(at, (fixDry!.ms - lsEmpty!.ms) / n);
        if (n === Math.max(...sizes)) {
          target(`ls --json / C baseline (${at})`, lsJson!.ms / c!.ms, 1.5);
          target(`ls table / ls --json (${at})`, ls!.ms / lsJson!.ms, 1.15);
          target(`check --json / ls --json (${at})`, check!.ms / lsJson!.ms, 2.5);
          target(`check --fix --dry-run / check --json (${at})`, fixDry!.ms / check!.ms, 3);
          for (const [what, row] of [
            ['ls --json', lsJson],
            ['check --json', check],
            ['ls --json, 1 MiB semi-space', lsSmall],
            ['check --json, 1 MiB semi-space', checkSmall],
          ] as const)
            if (row!.rssMb !== null) target(`${what} peak RSS (${at})`, row!.rssMb, 100, ' MiB');
          target(`completion, sandbox IDs / vcstore --version (${at})`, ids!.ms / ver!.ms, 2);
          notes.push(`completion of pods at ${at}: ${fmt(pods!.ms)} ms per TAB (one readdir and one read per sandbox)`);
          if (lsBefore && checkBefore) {
            target(`ls --json / before this round's features (${at})`, lsJson!.ms / lsBefore.ms, 1.1);
            target(`check --json / before this round's features (${at})`, check!.ms / checkBefore.ms, 1.1);
          }
        }
        rmSync(prefix, { recursive: true, force: true });
      }
    for (const m of places) {
      const [a, b] = sizes.map((n) => `${n}, ${m.name}`);
      if (sizes.length < 2) continue;
      target(`ls --json per-sandbox cost, ${b} / ${a}`, perSandbox.get(b!)! / perSandbox.get(a!)!, 1.1);
      target(`check --fix --dry-run per-sandbox cost, ${b} / ${a}`, fixPerSandbox.get(b!)! / fixPerSandbox.get(a!)!, 1.2);
    }

    rmRows(work, notes);
    everyRows(work, notes);

    const w = Math.max(...rows.map((r) => r.name.length));
    const tw = Math.max(...targets.map((t) => t.what.length));
    const out = [
      `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}, ${readFileSync('/proc/version', 'utf8').split(' ').slice(0, 3).join(' ')}, stores on ${places.map((m) => `${m.dir} (${m.name})`).join(' and ')}`,
      '',
      `| ${'measurement'.padEnd(w)} | median ms | peak RSS MiB |`,
      `|${'-'.repeat(w + 2)}|----------:|-------------:|`,
      ...rows.map((r) => `| ${r.name.padEnd(w)} | ${fmt(r.ms).padStart(9)} | ${(r.rssMb === null ? '-' : fmt(r.rssMb)).padStart(12)} |`),
      '',
      `| ${'target'.padEnd(tw)} | measured | limit | met |`,
      `|${'-'.repeat(tw + 2)}|---------:|------:|-----|`,
      ...targets.map(
        (t) => `| ${t.what.padEnd(tw)} | ${(t.got.toFixed(2) + t.unit).padStart(8)} | ${(t.max + t.unit).padStart(5)} | ${t.got <= t.max ? 'yes' : 'NO'} |`,
      ),
      '',
      ...[...perSandbox].map(([at, ms]) => `ls --json per-sandbox cost at ${at}: ${(ms * 1000).toFixed(1)} µs`),
      ...notes,
    ];
    console.log(out.join('\n'));
  } finally {
    for (const s of stores) rmSync(s, { recursive: true, force: true });
    if (existsSync(join(work, 'before'))) spawnSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', join(work, 'before')]);
    rmSync(work, { recursive: true, force: true });
  }
}

// `node dist/bench/bench.js generate DIR N` only builds a store (for profiling and the progress test).
// `node dist/bench/bench.js rm` runs only the bulk rm rows; `every`, only the check --every rows.
if (process.argv[2] === 'generate') generateFromFixture(process.argv[3]!, Number(process.argv[4]), FIXTURE);
else if (process.argv[2] === 'rm') only(rmRows);
else if (process.argv[2] === 'every') only(everyRows);
else main();

function only(what: (work: string, notes: string[]) => void): void {
  const work = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : (process.env.TMPDIR ?? '/tmp'), 'vcstore-bench-'));
  const notes: string[] = [];
  try {
    what(work, notes);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  for (const r of rows) console.log(`${r.name}: ${r.ms.toFixed(1)} ms${r.rssMb === null ? '' : `, ${r.rssMb.toFixed(1)} MiB`}`);
  for (const t of targets) console.log(`${t.what}: ${t.got.toFixed(2)}${t.unit} (limit ${t.max}${t.unit}) ${t.got <= t.max ? 'met' : 'NOT met'}`);
  console.log(notes.join('\n'));
}
