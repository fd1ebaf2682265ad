// npm run bench: time the real bin/vcstore against yardsticks measured in
// the same run, interleaved, on stores cloned from the one the runtime's own
// Go code wrote (bench/fixture-store.ts), and print every ratio beside its
// target. The yardstick for listings is bench/baseline.c, compiled here with
// cc: exactly the reads a listing needs. Stores live on tmpfs (/dev/shm)
// where there is one: this VM's disk throttles tens of thousands of small
// writes, which would time the generator, not vcstore. Not part of npm test.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

function main(): void {
  const base = existsSync('/dev/shm') ? '/dev/shm' : (process.env.TMPDIR ?? '/tmp');
  const work = mkdtempSync(join(base, 'vcstore-bench-'));
  const vc = (prefix: string, ...args: string[]) => ['node', BIN, '--prefix', prefix, ...args];
  const fmt = (x: number) => (x < 1 ? x.toFixed(3) : x.toFixed(1));
  try {
    const baseline = compileBaseline(work);
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
    target('--version / node -e 0', ver!.ms / node0!.ms, 1.15);
    target('ls (empty) / node -e 0', lsEmpty!.ms / node0!.ms, 1.15);

    const perSandbox = new Map<number, number>();
    const fixPerSandbox = new Map<number, number>();
    for (const n of sizes) {
      const prefix = join(work, `s${n}`);
      process.stderr.write(`cloning the fixture to ${n} sandboxes...\n`);
      generateFromFixture(prefix, n, FIXTURE);
      const runs = n >= 10000 ? 5 : 9;
      const [c, , lsJson, ls, check, fixDry] = measure(
        [
          { name: `C baseline (${n})`, cmd: [baseline, prefix] },
          {
            name: `find|xargs cat state.json (${n})`,
            cmd: [`find ${join(prefix, 'run/vc/sbs')} -name state.json -print0 | xargs -0 cat > /dev/null`],
            shell: true,
          },
          { name: `vcstore ls --json (${n})`, cmd: vc(prefix, 'ls', '--json') },
          { name: `vcstore ls (${n})`, cmd: vc(prefix, 'ls') },
          { name: `vcstore check --json (${n})`, cmd: vc(prefix, 'check', '--json') },
          // The store is all leaks (every pid dead): a dry run plans and re-checks every sandbox under its lock.
          { name: `vcstore check --fix --dry-run --json (${n})`, cmd: vc(prefix, 'check', '--fix', '--dry-run', '--json') },
        ],
        runs,
      );
      perSandbox.set(n, (lsJson!.ms - lsEmpty!.ms) / n);
      fixPerSandbox.set(n, (fixDry!.ms - lsEmpty!.ms) / n);
      if (n === Math.max(...sizes)) target(`check --fix --dry-run / check --json (${n})`, fixDry!.ms / check!.ms, 3);
      if (n === Math.max(...sizes)) {
        target(`ls --json / C baseline (${n})`, lsJson!.ms / c!.ms, 1.5);
        target(`ls table / ls --json (${n})`, ls!.ms / lsJson!.ms, 1.15);
        target(`check --json / ls --json (${n})`, check!.ms / lsJson!.ms, 2.5);
        if (check!.rssMb !== null) target(`check --json peak RSS (${n})`, check!.rssMb, 100, ' MiB');
      }
      rmSync(prefix, { recursive: true, force: true });
    }
    if (perSandbox.size >= 2) {
      const [a, b] = [...perSandbox.values()];
      target(`ls --json per-sandbox cost, ${sizes[1]} / ${sizes[0]}`, b! / a!, 1.1);
      const [fa, fb] = [...fixPerSandbox.values()];
      target(`check --fix --dry-run per-sandbox cost, ${sizes[1]} / ${sizes[0]}`, fb! / fa!, 1.2);
    }

    process.stderr.write('rm of 1,000 against rm -rf of the same directories...\n');
    const rmTimes: number[] = [];
    const rfTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const a = join(work, `rm-a${i}`);
      const b = join(work, `rm-b${i}`);
      const ids = generateFromFixture(a, 1000, FIXTURE);
      generateFromFixture(b, 1000, FIXTURE);
      const dirs = ids.flatMap((id) => ['var/lib/vc/sbs', 'run/vc/sbs'].map((r) => join(b, r, id)));
      rmTimes.push(runOnce(['node', BIN, '--prefix', a, 'rm', ...ids]).ms);
      rfTimes.push(runOnce(['rm', '-rf', ...dirs]).ms);
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
    rows.push({ name: 'vcstore rm of 1,000 sandboxes (one call)', ms: median(rmTimes), rssMb: null });
    rows.push({ name: 'rm -rf of the same 2,000 directories', ms: median(rfTimes), rssMb: null });
    target('rm of 1,000 / rm -rf', median(rmTimes) / median(rfTimes), 1.3);

    const w = Math.max(...rows.map((r) => r.name.length));
    const tw = Math.max(...targets.map((t) => t.what.length));
    const out = [
      `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}, ${readFileSync('/proc/version', 'utf8').split(' ').slice(0, 3).join(' ')}, stores on ${base}`,
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
      ...[...perSandbox].map(([n, ms]) => `ls --json per-sandbox cost at ${n}: ${(ms * 1000).toFixed(1)} µs`),
    ];
    console.log(out.join('\n'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// `node dist/bench/bench.js generate DIR N` only builds a store (for profiling and the progress test).
if (process.argv[2] === 'generate') generateFromFixture(process.argv[3]!, Number(process.argv[4]), FIXTURE);
else main();
