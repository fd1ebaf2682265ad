// Bench stores cloned from the store the runtime's own Go code wrote
// (kata-1.x-store-12: qemu, firecracker and acrn sandboxes, two containers
// each, null devices): sandbox i is fixture sandbox i % 12 under fresh IDs,
// every byte otherwise the runtime's. Pids are set to dead ones, so liveness
// is probed for real and never finds a process. The fixture's containerd
// predates the pod-name annotations: each sandbox gets the ones today's CRI
// plugin writes beside io.kubernetes.cri.sandbox-id
// (namespace, name, uid; each container its name), as on a Kubernetes node.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

interface Template {
  sid: string;
  cids: string[];
  /** Paths relative to the prefix, with the IDs in them, and contents. */
  files: { rel: string; data: string }[];
  dirs: string[];
}

function loadTemplates(tarball: string): Template[] {
  const tmp = mkdtempSync(join(tmpdir(), 'vcstore-fixture-'));
  try {
    const r = spawnSync('tar', ['xzf', tarball, '-C', tmp]);
    if (r.status !== 0) throw new Error(`tar: ${r.stderr.toString()}`);
    const run = join(tmp, 'run/vc/sbs');
    return readdirSync(run).map((sid) => {
      const files: { rel: string; data: string }[] = [];
      const dirs: string[] = [];
      const walk = (d: string) => {
        for (const n of readdirSync(d)) {
          const p = join(d, n);
          if (statSync(p).isDirectory()) {
            dirs.push(relative(tmp, p));
            walk(p);
          } else files.push({ rel: relative(tmp, p), data: readFileSync(p, 'latin1') });
        }
      };
      for (const root of ['var/lib/vc/sbs', 'run/vc/sbs']) {
        dirs.push(join(root, sid));
        walk(join(tmp, root, sid));
      }
      const cids = readdirSync(join(run, sid)).filter((n) => /^[0-9a-f]{64}$/.test(n));
      return { sid, cids, files, dirs };
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** 64 hex characters from a number and a salt (no crypto at bench time). */
export function hexId(i: number, salt: string): string {
  let h = 2166136261;
  const out: string[] = [];
  for (let k = 0; k < 8; k++) {
    h = Math.imul(h ^ (i + k * 7919 + salt.charCodeAt(k % salt.length)), 16777619) >>> 0;
    out.push(h.toString(16).padStart(8, '0'));
  }
  return out.join('');
}

/** Clone the fixture's sandboxes into `prefix` until there are `n`; returns the new IDs. */
export function generateFromFixture(prefix: string, n: number, tarball: string): string[] {
  const templates = loadTemplates(tarball);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = templates[i % templates.length]!;
    const sid = hexId(i, 'sandbox');
    ids.push(sid);
    const map = new Map<string, string>([[t.sid, sid]]);
    t.cids.forEach((c, j) => map.set(c, c === t.sid ? sid : hexId(i, `container${j}`)));
    const swap = (s: string) => {
      for (const [a, b] of map) s = s.split(a).join(b);
      return s;
    };
    for (const d of t.dirs) mkdirSync(join(prefix, swap(d)), { recursive: true });
    const dead = 3_900_000 + (i % 1000);
    const h = hexId(i, 'uid');
    const uid = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
    const named = (data: string) =>
      data.replace(
        /("io\.kubernetes\.cri\.container-type":"(sandbox|container)","io\.kubernetes\.cri\.sandbox-id":"[0-9a-f]{64}")/g,
        (_m, all: string, type: string) =>
          `${all},"io.kubernetes.cri.sandbox-namespace":"ns-${i % 20}","io.kubernetes.cri.sandbox-name":"pod-${i}","io.kubernetes.cri.sandbox-uid":"${uid}"` +
          (type === 'container' ? ',"io.kubernetes.cri.container-name":"app"' : ''),
      );
    for (const f of t.files) {
      const data = swap(f.data).replace(/"(PID|ProxyPid|Pid)":\d+/g, `"$1":${dead}`);
      writeFileSync(join(prefix, swap(f.rel)), f.rel.endsWith('config.json') ? named(data) : data, 'latin1');
    }
  }
  return ids;
}
