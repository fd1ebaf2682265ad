// needs: nothing
// Fleet metrics with the real components: vcstore check --textfile into a
// directory that a real node_exporter (loopback, textfile collector only)
// serves; the scraped vcstore series must equal what check --json reports.
// promtool checks the exposition and the alert rules, and fires them in a
// unit test. Both come from Debian (.ci/run installs them); CI never skips.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addSandbox, deadPid, R, ROOT, scratch, vcp, writeUuidStore } from './helpers.js';

const { tmp, track } = scratch();
const have = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const skip =
  process.env.CI === 'true'
    ? false
    : !have('prometheus-node-exporter') || !have('promtool')
      ? 'node_exporter or promtool not installed (.ci/run installs them)'
      : false;

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  return port;
}

function scrape(port: number): Promise<string> {
  return new Promise((res, rej) => {
    get({ host: '127.0.0.1', port, path: '/metrics' }, (r) => {
      let body = '';
      r.on('data', (d) => (body += d));
      r.on('end', () => res(body));
    }).on('error', rej);
  });
}

/** vcstore_* samples as "name{labels}" -> value. */
function samples(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('vcstore_')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

describe('Prometheus metrics through node_exporter', { skip }, () => {
  let p: string;
  let dir: string;
  let port: number;
  let exporter: ReturnType<typeof spawn>;
  before(async () => {
    p = tmp();
    dir = tmp('vcstore-textfile-');
    addSandbox(p, `${R}ok1`, { state: 'stopped' });
    addSandbox(p, `${R}dead1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    addSandbox(p, `${R}dead2`, { state: 'paused', hypervisor: 'acrn', acrnUuid: '18ed60cd-e9ea-4bf4-8f87-8523fc8347a3', pid: deadPid() });
    addSandbox(p, `${R}cfg1`, { configOnly: true });
    mkdirSync(join(p, 'run/vc/vm/orphan1'), { recursive: true });
    writeUuidStore(p, [1, 1, 1, 1, 1, 1, 1, 0]);
    port = await freePort();
    exporter = track(
      spawn(
        'prometheus-node-exporter',
        [`--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${dir}`],
        { stdio: 'ignore' },
      ),
    );
    for (let i = 0; i < 100; i++) {
      try {
        await scrape(port);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
  after(() => {
    exporter?.kill('SIGTERM'); // stopped by pid
  });
  it('the scraped vcstore series equal check --json, and promtool accepts the exposition', async () => {
    const file = join(dir, 'vcstore.prom');
    const r = vcp(p, ['check', '--textfile', file]);
    assert.equal(r.code, 6, r.stderr);
    assert.deepEqual(readdirSync(dir), ['vcstore.prom'], 'written by rename: no temp file left');
    const j = JSON.parse(vcp(p, ['--json', 'check']).stdout);
    const got = samples(await scrape(port));
    assert.equal(got.get('vcstore_check_completed'), 1);
    assert.equal(got.get('vcstore_sandboxes_checked'), j.summary.sandboxes);
    const byCode = new Map<string, number>();
    for (const f of j.findings)
      byCode.set(
        `vcstore_findings{code="${f.code}",severity="${f.severity}"}`,
        (byCode.get(`vcstore_findings{code="${f.code}",severity="${f.severity}"}`) ?? 0) + 1,
      );
    for (const [k, v] of byCode) assert.equal(got.get(k), v, k);
    const findings = [...got].filter(([k]) => k.startsWith('vcstore_findings{'));
    assert.equal(
      findings.reduce((n, [, v]) => n + v, 0),
      j.findings.length,
      'no finding counted twice or missed',
    );
    assert.equal(got.get('vcstore_sandboxes{layout="legacy",state="running"}'), 1);
    assert.equal(got.get('vcstore_sandboxes{layout="legacy",state="none"}'), 1);
    assert.equal(got.get('vcstore_acrn_uuid_slots{status="free"}'), 1);
    assert.equal(got.get('vcstore_acrn_uuid_slots{status="leaked"}'), j.findings.filter((f: any) => f.code === 'uuid-leaked').length);
    assert.ok(![...got.keys()].some((k) => new RegExp(String.raw`${R}dead1|${R}dead2|${R}ok1|orphan1`).test(k)), 'no sandbox IDs in labels');
    const pc = spawnSync('promtool', ['check', 'metrics'], { input: readFileSync(file), encoding: 'utf8' });
    assert.equal(pc.status, 0, pc.stdout + pc.stderr);
    const stdout = vcp(p, ['check', '--format', 'prometheus']);
    assert.match(stdout.stdout, /^# HELP vcstore_check_completed /);
  });
  it('a check that fails still reports: completed 0, last success carried over, error on stderr', async () => {
    const file = join(dir, 'vcstore.prom');
    const last = samples(readFileSync(file, 'utf8')).get('vcstore_check_last_success_timestamp_seconds');
    assert.ok(last! > 0);
    // A run root that is a file: the check cannot complete.
    const broken = tmp();
    mkdirSync(join(broken, 'run/vc'), { recursive: true });
    writeFileSync(join(broken, 'run/vc/sbs'), '');
    const r = vcp(broken, ['check', '--textfile', file]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    const got = samples(await scrape(port));
    assert.equal(got.get('vcstore_check_completed'), 0);
    assert.equal(got.get('vcstore_check_last_success_timestamp_seconds'), last);
  });
  it('--textfile must be a .prom file; metrics do not go with --fix', () => {
    assert.equal(vcp(p, ['check', '--textfile', join(dir, 'x.txt')]).code, 2);
    assert.equal(vcp(p, ['check', '--fix', '--format', 'prometheus']).code, 2);
    assert.equal(vcp(p, ['check', '--format', 'yaml']).code, 2);
  });
});

describe('alert rules', { skip }, () => {
  it('promtool check rules passes and the unit test fires the alerts', () => {
    const dir = join(ROOT, 'examples/prometheus');
    const c = spawnSync('promtool', ['check', 'rules', 'vcstore-rules.yml'], { cwd: dir, encoding: 'utf8' });
    assert.equal(c.status, 0, c.stdout + c.stderr);
    assert.match(c.stdout, /SUCCESS: 7 rules found/);
    const t = spawnSync('promtool', ['test', 'rules', 'vcstore-rules.test.yml'], { cwd: dir, encoding: 'utf8' });
    assert.equal(t.status, 0, t.stdout + t.stderr);
  });
});
