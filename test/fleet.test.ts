// needs: nothing
// The fleet deployment as an SRE would review it: the DaemonSet (and each
// patch) validated against the Kubernetes API schemas (kubernetes-models),
// its mounts and privileges held to what the README says, its command run
// for real (the loop, the liveness probe, SIGTERM, an empty capability set),
// every patch in every combination and order (sound or refused by name, a
// witness's mount never writable, never two witnesses), the image's build context made by npm
// pack and its digest-pinned base, the alert rules made from the code table
// (each code at each severity fired through promtool), the PrometheusRule
// equal to the rules promtool tests, and gather.sh on a node with a big
// report and on a namespace with no vcstore pod.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { finding } from '../src/store/inspect/check.js';
import { CANNOT_TELL, CODES, problem, type Code } from '../src/store/read/problems.js';
import { CRICTL_DEFAULTS, endpointPath } from '../src/store/host/cri-endpoint.js';
import { addSandbox, BIN, deadPid, R, ROOT, scratch, SLOW, until } from './helpers.js';

const { tmp, track } = scratch();
const K = join(ROOT, 'examples/kubernetes');
const load = (f: string): any => parse(readFileSync(join(K, f), 'utf8'));
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

const haveKustomize = spawnSync('kubectl', ['kustomize', '--help'], { stdio: 'ignore' }).status === 0;

async function validate(obj: any): Promise<void> {
  const { DaemonSet } = (await import('kubernetes-models/apps/v1')) as any;
  new DaemonSet(obj).validate();
}

/** `kubectl kustomize` of examples/kubernetes with these patches' lines uncommented, as an operator would. */
function kustomize(patches: string[]): any {
  const dir = tmp();
  cpSync(K, dir, { recursive: true });
  let k = readFileSync(join(dir, 'kustomization.yaml'), 'utf8');
  for (const p of patches) {
    const line = `  # - { path: patches/${p}.yaml,`;
    assert.ok(k.includes(line), `kustomization.yaml has a line for ${p}`);
    k = k.replace(line, `  - { path: patches/${p}.yaml,`);
  }
  writeFileSync(join(dir, 'kustomization.yaml'), k);
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return parse(r.stdout);
}

const COMBOS: Record<string, string[]> = {
  base: [],
  'kata-1x': ['kata-1x'],
  'containerd-witness': ['containerd-witness'],
  fix: ['fix'],
  'witness and fix': ['containerd-witness', 'fix'],
  'crio-witness': ['crio-witness'],
  'crio witness and fix': ['crio-witness', 'fix'],
  all: ['kata-1x', 'containerd-witness', 'fix', 'fix-kata-1x'],
  'all with cri-o': ['kata-1x', 'crio-witness', 'fix', 'fix-kata-1x'],
};
const variants = () => Object.fromEntries(Object.entries(COMBOS).map(([k, v]) => [k, kustomize(v)])) as Record<string, any>;
const container = (d: any) => d.spec.template.spec.containers[0];

const PATCHES = ['kata-1x', 'containerd-witness', 'crio-witness', 'fix', 'fix-kata-1x'];
/** The witness patches (one endpoint per DaemonSet: any two refuse), what each must add, and the annotation each sets. */
const WITNESSES: Record<string, { arg: string; mount: string; host: string; annotation: string }> = {
  'containerd-witness': { arg: '--cri=unix:///containerd/containerd.sock', mount: 'containerd', host: '/run/containerd', annotation: 'containerd' },
  'crio-witness': { arg: '--cri=unix:///crio/crio.sock', mount: 'crio', host: '/run/crio', annotation: 'cri-o' },
};
const WITNESS_ANNOTATION = 'vcstore.io/cri-witness';
/** The --cri argument a patch file adds (read from the file, as kustomize applies it). */
const patchArgs = (p: string): string[] =>
  (load(`patches/${p}.yaml`) as { op: string; path: string; value: unknown }[])
    .filter((x) => x.op === 'add' && x.path === '/spec/template/spec/containers/0/args/-')
    .map((x) => String(x.value));
/** Why a build of these patches, in this order, must fail (none: it must build), each with the test kustomize reports. */
function refusals(o: string[]): RegExp[] {
  const at = (p: string) => o.indexOf(p);
  const out: RegExp[] = [];
  // fix-kata-1x.yaml changes kata-1x.yaml's mount after fix.yaml's: without either before it, it must refuse.
  if (at('fix-kata-1x') >= 0 && !(at('kata-1x') >= 0 && at('kata-1x') < at('fix-kata-1x') && at('fix') >= 0 && at('fix') < at('fix-kata-1x')))
    out.push(/volumeMounts\/\d+\/(name|readOnly) failed: test failed/);
  // The second witness finds the first's annotation where it tests for none.
  if (o.filter((p) => p in WITNESSES).length > 1) out.push(/vcstore\.io~1cri-witness failed: test failed/);
  return out;
}
/** `kubectl kustomize` with exactly these patches, in this order (not only the order kustomization.yaml lists them in). */
async function kustomizeInOrder(patches: string[]): Promise<{ status: number | null; stderr: string; doc: any }> {
  const dir = tmp();
  cpSync(K, dir, { recursive: true });
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'));
  k.patches = patches.map((p) => ({ path: `patches/${p}.yaml`, target: { kind: 'DaemonSet', name: 'vcstore' } }));
  writeFileSync(join(dir, 'kustomization.yaml'), stringify(k));
  const p = spawn('kubectl', ['kustomize', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const [status] = (await once(p, 'close')) as [number | null];
  return { status, stderr: err, doc: status === 0 ? parse(out) : null };
}
/** Each of these, eight at a time. */
async function eachBuilt(all: string[][]): Promise<Awaited<ReturnType<typeof kustomizeInOrder>>[]> {
  const out = [];
  for (let i = 0; i < all.length; i += 8) out.push(...(await Promise.all(all.slice(i, i + 8).map(kustomizeInOrder))));
  return out;
}
/** Every subset of the patches in every order. */
function orders(items: string[]): string[][] {
  if (!items.length) return [[]];
  const out: string[][] = [[]];
  items.forEach((x, i) => {
    for (const rest of orders(items.filter((_, j) => j !== i))) out.push([x, ...rest]);
  });
  return [...new Map(out.map((o) => [o.join(' '), o])).values()];
}
/** Mount names that are not read-only. */
const writable = (d: any): string[] =>
  container(d)
    .volumeMounts.filter((m: any) => !m.readOnly)
    .map((m: any) => m.name)
    .sort();

describe('the DaemonSet as written', () => {
  it('daemonset.yaml itself is valid against the Kubernetes API schemas, kubectl or not', async () => {
    await validate(load('daemonset.yaml'));
  });
});

describe('the DaemonSet', { skip: haveKustomize ? false : "kubectl kustomize not installed (this project's CI machine has it)" }, () => {
  it('kubectl kustomize builds it with any combination of the patches, and each is valid against the Kubernetes API schemas', async () => {
    const v = variants();
    for (const [name, d] of Object.entries(v)) await assert.doesNotReject(validate(d), name);
    assert.deepEqual(load('kustomization.yaml').resources, ['daemonset.yaml']);
    const listed = readFileSync(join(K, 'kustomization.yaml'), 'utf8').match(/patches\/[a-z0-9-]+\.yaml/g) ?? [];
    assert.deepEqual(
      listed.sort(),
      readdirSync(join(K, 'patches'))
        .map((f) => `patches/${f}`)
        .sort(),
    );
    // Patches add to the arguments: both at once keep both.
    assert.deepEqual(container(v['witness and fix']).args.slice(5), ['--cri=unix:///containerd/containerd.sock', '--fix']);
    assert.deepEqual(container(v['crio witness and fix']).args.slice(5), ['--cri=unix:///crio/crio.sock', '--fix']);
    assert.equal(container(v.base).image, 'registry.example.com/vcstore:0.1.0');
  });

  it("mounts exactly the roots vcstore reads, never the whole /run or a container manager's unless asked, and creates only the runtime's own tmpfs dirs", () => {
    const v = variants();
    const paths = (d: any) => Object.fromEntries(d.spec.template.spec.volumes.map((x: any) => [x.hostPath.path, x.hostPath.type]));
    assert.deepEqual(paths(v.base), {
      '/run/vc': 'DirectoryOrCreate',
      '/run/kata-containers': 'DirectoryOrCreate',
      '/run/kata': 'DirectoryOrCreate',
      '/sys/fs/cgroup': 'Directory',
      // Made where node_exporter is not set up yet, as kata-monitor's DaemonSet makes its directory: the pod starts.
      '/var/lib/prometheus/node-exporter': 'DirectoryOrCreate',
    });
    assert.equal(paths(v['kata-1x'])['/var/lib/vc'], 'Directory', '/var/lib/vc is on disk: never created');
    // The directory, not the socket file: a bind of the file goes stale when containerd or CRI-O makes it anew.
    assert.equal(paths(v['containerd-witness'])['/run/containerd'], 'Directory');
    assert.equal(paths(v['crio-witness'])['/run/crio'], 'Directory');
    assert.ok(!Object.keys(paths(v['containerd-witness'])).some((p) => p.includes('crio')));
    assert.ok(!Object.keys(paths(v['crio-witness'])).some((p) => p.includes('containerd')));
    for (const name of ['base', 'kata-1x', 'fix']) assert.ok(!Object.keys(paths(v[name])).some((p) => /containerd|crio/.test(p)), name);
    assert.equal(v.base.spec.template.metadata.annotations[WITNESS_ANNOTATION], 'none');
    // Read-only but the textfile; --fix makes exactly the store and cgroup mounts writable.
    assert.deepEqual(writable(v.base), ['textfile']);
    assert.deepEqual(writable(v['kata-1x']), ['textfile']);
    assert.deepEqual(writable(v.fix), ['cgroup', 'run-kata', 'run-kata-containers', 'run-vc', 'textfile']);
    assert.deepEqual(writable(v.all), ['cgroup', 'run-kata', 'run-kata-containers', 'run-vc', 'textfile', 'var-lib-vc']);
    assert.ok(container(v.fix).args.includes('--fix') && !container(v.base).args.includes('--fix'));
    for (const m of container(v.base).volumeMounts)
      if (m.name === 'cgroup') assert.equal(m.recursiveReadOnly, 'IfPossible');
      else if (m.name !== 'textfile') assert.equal(m.mountPropagation, 'HostToContainer', m.name);
  });

  it("each witness patch asks, in crictl's form, for its runtime's default socket inside the one host directory it mounts read-only", () => {
    for (const [p, w] of Object.entries(WITNESSES)) {
      const d = kustomize([p]);
      // Exactly the patch's own argument, and the one this test expects of it.
      assert.deepEqual(patchArgs(p), [w.arg], p);
      assert.deepEqual(
        container(d).args.filter((a: string) => a.startsWith('--cri')),
        [w.arg],
        p,
      );
      assert.equal(d.spec.template.metadata.annotations[WITNESS_ANNOTATION], w.annotation, p);
      const mounts = container(d).volumeMounts.filter((m: any) => m.name === w.mount);
      assert.equal(mounts.length, 1, p);
      const m = mounts[0];
      assert.equal(m.readOnly, true, `${p}: read-only`);
      const vol = d.spec.template.spec.volumes.find((x: any) => x.name === w.mount);
      assert.deepEqual(vol.hostPath, { path: w.host, type: 'Directory' }, p);
      // The socket vcstore parses out of the argument (its own endpoint rules) is in the mount, and is, on
      // the host, the default socket crictl (and vcstore) would find for that runtime.
      const socket = endpointPath(w.arg.slice('--cri='.length));
      assert.ok(socket.startsWith(`${m.mountPath}/`), `${p}: ${socket} is under ${m.mountPath}`);
      assert.ok(CRICTL_DEFAULTS.includes(w.host + socket.slice(m.mountPath.length)), `${p}: ${socket} is a default socket on the host`);
    }
    // Nothing else in the pod names a container manager.
    const base = container(kustomize([]));
    assert.ok(!base.args.some((a: string) => a.startsWith('--cri')));
  });

  it('the two witness patches exclude each other: with both, in either order, kubectl kustomize exits non-zero naming the witness annotation', async () => {
    const both = orders(Object.keys(WITNESSES)).filter((o) => o.length === 2);
    assert.equal(both.length, 2);
    for (const [i, r] of (await eachBuilt(both)).entries()) {
      assert.notEqual(r.status, 0, `${both[i]!.join(' + ')}: built with two witnesses`);
      assert.match(r.stderr, /vcstore\.io~1cri-witness failed: test failed/, both[i]!.join(' + '));
    }
  });

  it(
    "every patch, in every combination and order, builds what it says or fails the build: a mount is changed only by name, a witness's never writable, never two witnesses",
    { skip: SLOW },
    async () => {
      const FIX = ['cgroup', 'run-kata', 'run-kata-containers', 'run-vc'];
      const seen = { built: 0, refused: 0 };
      const all = orders(PATCHES);
      const built = await eachBuilt(all);
      for (const [i, o] of all.entries()) {
        const name = o.join(' + ') || 'none';
        const { status, stderr, doc } = built[i]!;
        const why = refusals(o);
        if (why.length) {
          assert.notEqual(status, 0, `${name}: built, but it must not: ${why.join(', ')}`);
          // kustomize stops at the first failed test, whichever the order made first.
          assert.ok(
            why.some((re) => re.test(stderr)),
            `${name}: ${stderr}`,
          );
          seen.refused++;
          continue;
        }
        assert.equal(status, 0, `${name}: ${stderr}`);
        seen.built++;
        const c = container(doc);
        const mounts = c.volumeMounts as { name: string; readOnly?: boolean }[];
        const volumes = (doc.spec.template.spec.volumes as { name: string }[]).map((v) => v.name);
        assert.deepEqual(mounts.map((m) => m.name).sort(), [...volumes].sort(), `${name}: each mount has its volume`);
        assert.equal(new Set(volumes).size, volumes.length, name);
        for (const [p, w] of Object.entries(WITNESSES)) {
          const wm = mounts.find((m) => m.name === w.mount);
          assert.equal(wm !== undefined, o.includes(p), `${name}: ${w.mount}`);
          if (wm) assert.equal(wm.readOnly, true, `${name}: ${w.host} is mounted read-only`);
        }
        const witness = o.filter((p) => p in WITNESSES);
        assert.equal(doc.spec.template.metadata.annotations[WITNESS_ANNOTATION], witness.length ? WITNESSES[witness[0]!]!.annotation : 'none', name);
        assert.equal(
          mounts.some((m) => m.name === 'var-lib-vc'),
          o.includes('kata-1x'),
          name,
        );
        assert.deepEqual(writable(doc), [...(o.includes('fix') ? FIX : []), 'textfile', ...(o.includes('fix-kata-1x') ? ['var-lib-vc'] : [])].sort(), name);
        assert.equal(c.args.includes('--fix'), o.includes('fix'), name);
        // At most one endpoint, and exactly the witness patch's argument.
        assert.deepEqual(
          c.args.filter((a: string) => a.startsWith('--cri')),
          witness.flatMap(patchArgs),
          name,
        );
      }
      // Every order of every subset of the 5 patches: the sum over k of 5!/(5-k)! = 1 + 5 + 20 + 60 + 120 + 120 = 326.
      const total = [...Array(PATCHES.length + 1).keys()].reduce((n, k) => n + [...Array(k).keys()].reduce((f, j) => f * (PATCHES.length - j), 1), 0);
      assert.equal(all.length, total);
      // Built: with no two witnesses, and fix-kata-1x after both kata-1x and fix when it is there.
      // Without fix-kata-1x: a subset of {kata-1x, fix} (sizes 0,1,1,2: 1+1+1+2 = 5 orders) with no witness,
      // or with one of the two (sizes 1,2,2,3: 1+2+2+6 = 11 orders each): 5 + 2*11 = 27.
      // With fix-kata-1x: kata-1x, fix and it last of the three, 2 orders with no witness, and 4!/3 = 8 with
      // either witness anywhere: 2 + 2*8 = 18. Built 27 + 18 = 45; refused 326 - 45 = 281.
      assert.deepEqual(seen, { built: 45, refused: total - 45 });
    },
  );

  it('each combination of the patches as kustomization.yaml lists them (an uncommented line each) is sound or refused', async () => {
    const subsets = [...Array(1 << PATCHES.length).keys()].map((bits) => PATCHES.filter((_, i) => bits & (1 << i)));
    const built = await eachBuilt(subsets);
    let sound = 0;
    for (const [i, o] of subsets.entries()) {
      const { status, doc } = built[i]!;
      // In kustomization.yaml's order fix-kata-1x comes after kata-1x and fix: it refuses only without them.
      assert.equal(status === 0, refusals(o).length === 0, o.join(' + '));
      if (!doc) continue;
      sound++;
      assert.deepEqual(doc, kustomize(o), 'kustomization.yaml lists the patches in this order');
      await validate(doc);
      for (const w of Object.values(WITNESSES)) {
        const wm = container(doc).volumeMounts.find((m: any) => m.name === w.mount);
        if (wm) assert.equal(wm.readOnly, true, o.join(' + '));
      }
    }
    // 32 lines uncommented or not: the 4 subsets of {kata-1x, fix} times 3 witnesses (none, containerd,
    // CRI-O) without fix-kata-1x, and with it the 3 that have kata-1x and fix: 12 + 3 = 15 build.
    assert.equal(sound, 15);
  });

  it('privileges: no capability, no escalation, RuntimeDefault seccomp, read-only root, no token, exec form with a probe and limits', () => {
    const base = kustomize([]);
    const pod = base.spec.template.spec;
    const c = pod.containers[0];
    assert.equal(pod.hostPID, true);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] });
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.ok(pod.priorityClassName);
    assert.ok(c.resources.requests.memory && c.resources.limits.memory);
    assert.equal(c.command, undefined, 'the image entrypoint (tini, vcstore) runs it: no shell');
    assert.deepEqual(c.args.slice(0, 1), ['check']);
    assert.ok(c.livenessProbe.exec.command.join(' ').includes('/textfile/vcstore.prom'));
    assert.ok(pod.nodeSelector['katacontainers.io/kata-runtime']);
  });

  it('its command runs: the loop writes the textfile, the liveness probe passes on it and fails on a stale one, SIGTERM ends it at once with exit 0 and takes the textfile with it, with no capability at all', async () => {
    const store = tmp();
    addSandbox(store, `${R}d1`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    const text = tmp();
    const c = container(kustomize([]));
    const args = (c.args as string[]).map((a) => a.replace('/textfile', text).replace('60s', '1s'));
    // The pod's privileges: uid 0 with an empty capability set and no new privileges.
    const wrap = has('setpriv') ? ['setpriv', '--bounding-set=-all', '--inh-caps=-all', '--ambient-caps=-all', '--no-new-privs'] : [];
    const [cmd, ...rest] = [...wrap, process.execPath, BIN, ...args];
    // The container's own environment (NODE_OPTIONS among it), the host's roots under the test's store.
    const own = Object.fromEntries((c.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    assert.equal(own.NODE_OPTIONS, '--max-semi-space-size=1');
    const p = track(spawn(cmd!, rest, { env: { ...process.env, ...own, VCSTORE_PREFIX: store }, stdio: ['ignore', 'ignore', 'pipe'] }));
    const file = join(text, 'vcstore.prom');
    await until(() => existsSync(file), 'the first textfile');
    const first = statSync(file).mtimeMs;
    await until(() => statSync(file).mtimeMs > first, 'a second round');
    assert.match(readFileSync(file, 'utf8'), /vcstore_findings\{code="hypervisor-dead",severity="error"\} 1/);
    const probe = (c.livenessProbe.exec.command as string[]).map((a) => a.replace('/textfile', text));
    assert.equal(spawnSync(probe[0]!, probe.slice(1)).status, 0, 'fresh: alive');
    writeFileSync(join(text, 'stale.prom'), '');
    spawnSync('touch', ['-d', '10 minutes ago', join(text, 'stale.prom')]);
    const stale = probe.map((a) => a.replace('vcstore.prom', 'stale.prom'));
    assert.notEqual(spawnSync(stale[0]!, stale.slice(1)).status, 0, 'stale: restarted');
    p.kill('SIGTERM');
    const [code] = (await once(p, 'exit')) as [number | null];
    assert.equal(code, 0);
    // Gone with the loop: node_exporter must not serve a stopped pod's numbers for ever.
    assert.equal(existsSync(file), false);
  });

  it('with --fix, each round logs what it removed and one summary line, no table', async () => {
    const store = tmp();
    for (let i = 0; i < 3; i++) addSandbox(store, `${R}lf${i}`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    addSandbox(store, `${R}lc`, { state: 'stopped', containers: [{ id: `${R}lcc`, state: 'running', pid: deadPid() }] });
    const text = tmp();
    const p = track(
      spawn(process.execPath, [BIN, '--prefix', store, 'check', '--textfile', join(text, 'v.prom'), '--every', '1s', '--fix'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => (out.match(/ checked: /g) ?? []).length >= 2, 'two rounds');
    p.kill('SIGTERM');
    await once(p, 'exit');
    const lines = out.trim().split('\n');
    assert.equal(lines.filter((l) => l.startsWith('removed hypervisor-dead')).length, 3, out);
    assert.ok(
      lines.every((l) => /^removed | checked: /.test(l)),
      out,
    );
  });
});

describe('the image', () => {
  it("npm pack fills the Dockerfile's context; the Dockerfile is multi-stage, pinned, non-root, compiler-free and runs tini", () => {
    const ctx = tmp();
    const r = spawnSync('npm', ['pack', '--pack-destination', ctx, '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readdirSync(ctx).some((f) => /^vcstore-.*\.tgz$/.test(f)));
    const df = readFileSync(join(K, 'Dockerfile'), 'utf8');
    const froms = [...df.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);
    assert.equal(froms.length, 2);
    // A named, pinned tag, the same in both stages (no digest: none can be confirmed where this is built).
    for (const f of froms) assert.match(f, /^node:\d+\.\d+\.\d+-bookworm-slim$/, 'a named, pinned tag');
    assert.equal(froms[0], froms[1]);
    // The README says the build pulls it (it needs a registry), and names the base.
    const fleet = /^## Fleet use\n([\s\S]*?)^## /m.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))?.[1] ?? '';
    assert.ok(fleet.includes(froms[0]!), 'the README names the pinned base');
    assert.match(fleet, /offline/);
    const final = df.slice(df.lastIndexOf('\nFROM '));
    assert.doesNotMatch(final, /\b(gcc|build-essential|make|python3)\b/);
    assert.match(final, /^USER 65532/m);
    assert.match(final, /ENTRYPOINT \["\/usr\/bin\/tini", "-s", "--", "vcstore"\]/);
    assert.match(df, /COPY vcstore-\*\.tgz/);
    if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0) {
      const b = spawnSync('docker', ['build', '-q', '-f', join(K, 'Dockerfile'), ctx], { encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
    }
  });
});

describe('alerts for the Prometheus operator', () => {
  it('the PrometheusRule is exactly what scripts/prometheusrule.mjs makes of the rules promtool checks', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/prometheusrule.mjs')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(join(ROOT, 'examples/prometheus/vcstore-prometheusrule.yaml'), 'utf8'));
  });

  it('vcstore-rules.yml is exactly what scripts/alertrules.mjs makes of the code table', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/alertrules.mjs')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(join(ROOT, 'examples/prometheus/vcstore-rules.yml'), 'utf8'));
  });

  it(
    'every code, at each severity, fires exactly the alert it belongs to (promtool evaluates the rules)',
    { skip: has('promtool') ? false : 'promtool not installed (.ci/run installs it)' },
    () => {
      const fixable = (code: Code) => finding('-', problem(code, {})).fixable;
      // The rule, stated here on its own: what --fix clears is a leak, unless the pod cannot clear it
      // (mounts) or --fix leaves it at that severity (held: live, busy); what vcstore cannot judge has
      // its own alert; the lock codes page through the lock ages (VcstoreLockStuck); other errors and
      // warnings need a person; info pages nobody.
      const belongs = (code: Code, severity: string): string | null => {
        if (CANNOT_TELL.has(code)) return 'VcstoreCannotTell';
        if (code === 'lock-held-long' || code === 'lock-waiter-stuck') return null;
        if (severity === 'info') return null;
        if (code !== 'mounts-leaked' && fixable(code) && severity === CODES[code].severity) return 'VcstoreLeakedSandboxes';
        return 'VcstoreNeedsAPerson';
      };
      const codes = Object.keys(CODES) as Code[];
      // The four: check exits 6 on them, and so the fleet pages on them.
      for (const c of ['runtime-missing', 'cri-missing', 'config-missing', 'container-dead'] as Code[])
        assert.equal(belongs(c, 'warning'), 'VcstoreNeedsAPerson', c);
      const rules = parse(readFileSync(join(ROOT, 'examples/prometheus/vcstore-rules.yml'), 'utf8'));
      const byName = new Map<string, any>(rules.groups.flatMap((g: any) => g.rules.map((x: any) => [x.alert, x])));
      assert.match(String(byName.get('VcstoreLockStuck').expr), /vcstore_lock_oldest_holder_age_seconds > 600 or vcstore_lock_oldest_waiter_age_seconds > 600/);
      // promtool compares annotations too: leave them out, the expressions and labels are the point.
      for (const r of byName.values()) delete r.annotations;
      const dir = tmp();
      writeFileSync(join(dir, 'rules.yml'), stringify(rules));
      const pairs = codes.flatMap((code) => ['error', 'warning', 'info'].map((severity) => ({ code, severity, instance: `${code}.${severity}` })));
      const alerts = ['VcstoreLeakedSandboxes', 'VcstoreNeedsAPerson', 'VcstoreCannotTell', 'VcstoreLockStuck'];
      const test = {
        rule_files: ['rules.yml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: pairs.flatMap(({ code, severity, instance }) => [
              { series: `vcstore_findings{instance="${instance}",code="${code}",severity="${severity}"}`, values: '1x60' },
              { series: `vcstore_check_last_success_timestamp_seconds{instance="${instance}"}`, values: '0+60x60' },
            ]),
            alert_rule_test: alerts.map((alertname) => ({
              eval_time: '40m',
              alertname,
              exp_alerts: pairs
                .filter((p) => belongs(p.code, p.severity) === alertname)
                .map((p) => ({ exp_labels: { severity: 'warning', instance: p.instance } })),
            })),
          },
        ],
      };
      writeFileSync(join(dir, 'test.yml'), stringify(test));
      const r = spawnSync('promtool', ['test', 'rules', 'test.yml'], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      // And every code that can be an error is in some alert, through its code or its metric.
      for (const code of codes) assert.ok(['error', 'warning'].some((s) => belongs(code, s)) || code.startsWith('lock-'), code);
    },
  );

  it('the PrometheusRule holds exactly the rules promtool checks', () => {
    const cr = parse(readFileSync(join(ROOT, 'examples/prometheus/vcstore-prometheusrule.yaml'), 'utf8'));
    const rules = parse(readFileSync(join(ROOT, 'examples/prometheus/vcstore-rules.yml'), 'utf8'));
    assert.equal(cr.kind, 'PrometheusRule');
    assert.equal(cr.apiVersion, 'monitoring.coreos.com/v1');
    assert.deepEqual(cr.spec, rules);
    assert.doesNotMatch(JSON.stringify(rules), /job="node"/);
  });
});

describe('gather.sh', { skip: has('jq') ? false : 'jq not installed' }, () => {
  it('the Role it needs is what the README says: pods get and list, pods/exec create, in one namespace, whichever it is', async () => {
    const docs = readFileSync(join(K, 'gather-rbac.yaml'), 'utf8')
      .split(/^---$/m)
      .map((d) => parse(d));
    const { Role, RoleBinding } = (await import('kubernetes-models/rbac.authorization.k8s.io/v1')) as any;
    new Role(docs[0]).validate();
    new RoleBinding(docs[1]).validate();
    assert.deepEqual(docs[0].rules, [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
    ]);
    // Not tied to kube-system: `kubectl apply -n NS` or a kustomization's namespace: puts it where the DaemonSet runs.
    for (const d of docs) assert.equal(d.metadata.namespace, undefined, d.kind);
    if (haveKustomize) {
      const dir = tmp();
      cpSync(join(K, 'gather-rbac.yaml'), join(dir, 'gather-rbac.yaml'));
      writeFileSync(join(dir, 'kustomization.yaml'), 'namespace: kata-system\nresources: [gather-rbac.yaml]\n');
      const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(
        r.stdout.split(/^---$/m).map((d) => parse(d).metadata.namespace),
        ['kata-system', 'kata-system'],
      );
    }
    // The README says where: NAMESPACE, SELECTOR, and the Role applied with -n.
    const fleet = /^## Fleet use\n([\s\S]*?)^## /m.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))?.[1] ?? '';
    for (const w of ['`NAMESPACE`', '`SELECTOR`', 'kubectl apply -n kube-system -f examples/kubernetes/gather-rbac.yaml']) assert.ok(fleet.includes(w), w);
  });

  function kubectl(bin: string, script: string): void {
    writeFileSync(join(bin, 'kubectl'), `#!/bin/sh\n${script}`);
    chmodSync(join(bin, 'kubectl'), 0o755);
    symlinkSync(BIN, join(bin, 'vcstore'));
  }
  const gather = (bin: string) =>
    spawnSync('bash', [join(K, 'gather.sh')], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, maxBuffer: 1 << 28 });

  it('a node with 500 leaked sandboxes (a report over what one argument may hold) and a node kubectl cannot reach: both reported, errors not hidden', () => {
    const big = tmp();
    for (let i = 0; i < 500; i++) addSandbox(big, `${R}b${i}`, { state: 'running', hypervisor: 'firecracker', pid: deadPid() });
    const bin = tmp();
    kubectl(
      bin,
      `case "$*" in
  *"get pods"*) printf 'vcstore-a node-a\\nvcstore-b node-b\\n' ;;
  *"exec vcstore-a -- "*) shift 5; VCSTORE_PREFIX=${big} exec "$@" ;;
  *"exec vcstore-b -- "*) echo 'error: unable to upgrade connection: pod does not exist' >&2; exit 1 ;;
esac
`,
    );
    const r = gather(bin);
    assert.equal(r.status, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.summary, { nodes: 2, clean: 0, withProblems: 1, failed: 1, errors: 500, warnings: 0, info: 0 });
    // Over MAX_ARG_STRLEN (128 KiB), the most one argument may hold: what the old script passed to jq.
    assert.ok(JSON.stringify(j.nodes[0].report).length > 131_072, String(JSON.stringify(j.nodes[0].report).length));
    assert.match(j.nodes[1].error, /unable to upgrade connection/);
    assert.match(r.stderr, /node-b \(vcstore-b\): exit 1: error: unable to upgrade connection/);
  });

  it('a pod with a witness patch is checked with its own --cri: the one-off report asks the same container manager', () => {
    const store = tmp();
    addSandbox(store, `${R}w`, { state: 'stopped' });
    const bin = tmp();
    kubectl(
      bin,
      `case "$*" in
  *"get pods"*) printf '%s\\n' 'vcstore-a node-a ["check","--every","60s","--cri=unix:///nowhere/crio.sock"]' 'vcstore-b node-b ["check","--every","60s"]' ;;
  *"exec vcstore-a -- "*|*"exec vcstore-b -- "*) shift 5; VCSTORE_PREFIX=${store} exec "$@" ;;
esac
`,
    );
    const r = gather(bin);
    const j = JSON.parse(r.stdout);
    const unreachable = (n: any) => n.report.findings.filter((f: any) => f.code === 'cri-unreachable').map((f: any) => f.evidence.socket);
    assert.deepEqual(unreachable(j.nodes[0]), ['/nowhere/crio.sock'], r.stderr);
    assert.deepEqual(unreachable(j.nodes[1]), []);
  });

  it('a node whose exec hangs fails alone, after EXEC_TIMEOUT: the others are reported', () => {
    const ok = tmp();
    addSandbox(ok, `${R}ok`, { state: 'stopped' });
    // node-a's report is made beforehand, so that only node-b meets the timeout however loaded the machine is.
    const report = join(tmp(), 'a.json');
    writeFileSync(report, spawnSync(process.execPath, [BIN, '--prefix', ok, 'check', '--json'], { encoding: 'utf8' }).stdout);
    const bin = tmp();
    kubectl(
      bin,
      `case "$*" in
  *"get pods"*) printf 'vcstore-a node-a\\nvcstore-b node-b\\n' ;;
  *"exec vcstore-a -- "*) exec cat ${report} ;;
  *"exec vcstore-b -- "*) exec sleep 60 ;;
esac
`,
    );
    const r = spawnSync('bash', [join(K, 'gather.sh')], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, EXEC_TIMEOUT: '3' },
      timeout: 30_000,
    });
    assert.equal(r.status, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(
      j.nodes.map((n: any) => [n.node, n.exit]),
      [
        ['node-a', 0],
        ['node-b', 124],
      ],
    );
  });

  it('no vcstore pods found is never a clean fleet: exit 1 and one line naming the namespace and selector it looked in', () => {
    const bin = tmp();
    const calls = join(tmp(), 'calls');
    // jsonpath over no items prints nothing, or a blank line.
    kubectl(bin, `echo "$*" >>${calls}\ncase "$*" in *"get pods"*) echo ;; *) exit 1 ;; esac\n`);
    const r = gather(bin);
    assert.equal(r.status, 1, r.stdout);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^gather\.sh: no vcstore pods in namespace kube-system with selector app\.kubernetes\.io\/name=vcstore\b/);
    // Where NAMESPACE and SELECTOR say.
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NAMESPACE: 'kata-system', SELECTOR: 'app=vcstore-1x' };
    const o = spawnSync('bash', [join(K, 'gather.sh')], { encoding: 'utf8', env });
    assert.equal(o.status, 1);
    assert.match(o.stderr, /no vcstore pods in namespace kata-system with selector app=vcstore-1x\b/);
    assert.match(readFileSync(calls, 'utf8'), /^-n kata-system get pods -l app=vcstore-1x /m);
  });

  it("pods that cannot be listed (no RBAC) is exit 1 with kubectl's own message", () => {
    const bin = tmp();
    kubectl(bin, `echo 'Error from server (Forbidden): pods is forbidden: User "x" cannot list resource "pods"' >&2; exit 1\n`);
    const r = gather(bin);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /cannot list the vcstore pods in kube-system: Error from server \(Forbidden\)/);
  });
});
