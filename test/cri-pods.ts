// Real pods through the CRI, for the witness tests: Debian's containerd with
// its CRI plugin on a private socket, a pause image made locally (no registry
// is reachable), and the three CRI calls kubelet makes for a pod's sandbox
// (RunPodSandbox, StopPodSandbox, RemovePodSandbox), over the same gRPC code
// vcstore asks with. Also a protocol-level fake of CRI-O (not packaged here),
// answering Version and ListPodSandbox as CRI-O documents them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import { join } from 'node:path';
import { field, fields, grpcCall, message, text, utf8, varintField } from '../src/store/host/grpc.js';
import { until } from './helpers.js';

export const PAUSE_IMAGE = 'vcstore.test/pause:1';

/** A one-layer OCI image archive whose command sleeps (busybox-static), for `ctr images import`. */
export function pauseImage(dir: string): string {
  const root = join(dir, 'pause-rootfs');
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
  const work = join(dir, 'pause-oci');
  mkdirSync(join(work, 'blobs', 'sha256'), { recursive: true });
  const put = (data: Buffer): { digest: string; size: number } => {
    const h = spawnSync('sha256sum', { input: data, encoding: 'utf8' }).stdout.split(' ')[0] ?? '';
    writeFileSync(join(work, 'blobs', 'sha256', h), data);
    return { digest: `sha256:${h}`, size: data.length };
  };
  const layer = put(spawnSync('tar', ['-C', root, '--numeric-owner', '-cf', '-', '.'], { maxBuffer: 64 << 20 }).stdout);
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: process.arch === 'x64' ? 'amd64' : process.arch,
        os: 'linux',
        config: { Entrypoint: ['/bin/busybox', 'sleep', '2147483647'] },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  writeFileSync(
    join(work, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'io.containerd.image.name': PAUSE_IMAGE, 'org.opencontainers.image.ref.name': '1' },
        },
      ],
    }),
  );
  writeFileSync(join(work, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const out = join(dir, 'pause.tar');
  spawnSync('tar', ['-C', work, '-cf', out, 'oci-layout', 'index.json', 'blobs']);
  return out;
}

/** containerd with its CRI plugin, on a socket under `dir`: pods run with runc (the default handler) and host networking. */
export async function criContainerd(
  dir: string,
  o: { extra?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<{ sock: string; daemon: ChildProcess; stop: () => Promise<void> }> {
  const sock = join(dir, 'c.sock');
  mkdirSync(join(dir, 'cni'), { recursive: true });
  writeFileSync(
    join(dir, 'config.toml'),
    [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]',
      '[grpc]',
      `  address = "${sock}"`,
      '[ttrpc]',
      `  address = "${sock}.ttrpc"`,
      '[debug]',
      '  address = ""',
      '[metrics]',
      '  address = ""',
      '[plugins."io.containerd.grpc.v1.cri"]',
      `  sandbox_image = "${PAUSE_IMAGE}"`,
      '  disable_apparmor = true',
      // The sandbox's -998 oom_score_adj is refused on machines that do not give root CAP_SYS_RESOURCE over it (these do not).
      '  restrict_oom_score_adj = true',
      '  enable_selinux = false',
      '[plugins."io.containerd.grpc.v1.cri".cni]',
      `  conf_dir = "${dir}/cni"`,
      `  bin_dir = "${dir}/cni"`,
      '[plugins."io.containerd.grpc.v1.cri".containerd]',
      '  snapshotter = "overlayfs"',
      '  default_runtime_name = "runc"',
      '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
      '  runtime_type = "io.containerd.runc.v2"',
      ...(o.extra ?? []),
    ].join('\n'),
  );
  const daemon = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...o.env } });
  let log = '';
  daemon.stderr?.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-20000)));
  const ctr = (...args: string[]) => spawnSync('ctr', ['--address', sock, ...args], { encoding: 'utf8' });
  await until(() => existsSync(sock) && ctr('namespaces', 'ls').status === 0, `containerd to serve (${log.slice(-500)})`);
  const imported = ctr('-n', 'k8s.io', 'images', 'import', pauseImage(dir));
  if (imported.status !== 0) throw new Error(`pause image import: ${imported.stderr}`);
  const stop = async () => {
    const cri = new CriClient(sock);
    for (const id of await cri.pods().catch(() => [] as string[])) {
      await cri.stop(id).catch(() => undefined);
      await cri.remove(id).catch(() => undefined);
    }
    daemon.kill('SIGTERM');
    if (daemon.exitCode === null && daemon.signalCode === null) await once(daemon, 'exit');
    // What containerd left mounted below its dirs (a rootfs of a pod whose shim was killed), deepest first.
    const points = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(`${dir}/`))
      .sort((a, b) => b.length - a.length);
    for (const m of points) spawnSync('umount', ['-l', m]);
    rmSync(dir, { recursive: true, force: true });
    // runc's pods lived in <hierarchy>/k8s.io/<id>: the parent goes too once empty (a second copy's pods keep it: EBUSY).
    spawnSync('sh', ['-c', 'for d in /sys/fs/cgroup/k8s.io /sys/fs/cgroup/*/k8s.io; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done; true']);
  };
  return { sock, daemon, stop };
}

/** What kubelet asks of a pod's sandbox, as the CRI's runtime.v1 messages. */
export class CriClient {
  constructor(readonly sock: string) {}
  private call(method: string, req: Uint8Array) {
    return grpcCall(this.sock, `/runtime.v1.RuntimeService/${method}`, req, { timeoutMs: 180_000, who: 'the CRI' });
  }
  /** RunPodSandbox with host networking, pid and ipc (no CNI, no shm mount): the pod's sandbox ID. */
  async run(pod: { name: string; namespace: string; uid: string }, handler = ''): Promise<string> {
    const metadata = message(field(1, utf8(pod.name)), field(2, utf8(pod.uid)), field(3, utf8(pod.namespace)));
    // NamespaceOption { network = 1; pid = 2; ipc = 3 }: NODE = 2.
    const security = field(1, message(varintField(1, 2), varintField(2, 2), varintField(3, 2)));
    const config = message(field(1, metadata), field(8, field(2, security)));
    const [answer] = await this.call('RunPodSandbox', message(field(1, config), ...(handler ? [field(2, utf8(handler))] : [])));
    for (const [n, v] of fields(answer ?? new Uint8Array(0))) if (n === 1 && v instanceof Uint8Array) return text(v);
    throw new Error('RunPodSandbox answered no ID');
  }
  async stop(id: string): Promise<void> {
    await this.call('StopPodSandbox', field(1, utf8(id)));
  }
  async remove(id: string): Promise<void> {
    await this.call('RemovePodSandbox', field(1, utf8(id)));
  }
  async pods(): Promise<string[]> {
    const out: string[] = [];
    for (const m of await this.call('ListPodSandbox', new Uint8Array(0)))
      for (const [n, v] of fields(m))
        if (n === 1 && v instanceof Uint8Array) for (const [k, x] of fields(v)) if (k === 1 && x instanceof Uint8Array) out.push(text(x));
    return out;
  }
}

/** A pod as the fake CRI-O lists it. */
export interface FakePod {
  id: string;
  name: string;
  namespace: string;
  uid?: string;
  /** READY unless said. */
  notReady?: boolean;
  handler?: string;
}

/**
 * A protocol-level FAKE of CRI-O (CRI-O is not packaged on this machine): an
 * http2 gRPC server on a Unix socket that answers RuntimeService/Version
 * (runtime_name "cri-o", as CRI-O's server/version.go sets it) and
 * ListPodSandbox (PodSandbox with its metadata, SANDBOX_READY left out as
 * proto3's default, runtime_handler), at runtime.v1 or only at
 * runtime.v1alpha2 (CRI-O before 1.20), and UNIMPLEMENTED for anything else.
 */
export async function fakeCrio(
  sock: string,
  pods: FakePod[],
  o: { api?: 'v1' | 'v1alpha2'; version?: string } = {},
): Promise<{ close: () => Promise<void>; calls: string[] }> {
  const api = o.api ?? 'v1';
  const calls: string[] = [];
  const server: Http2Server = createServer();
  const answer = (stream: ServerHttp2Stream, msg: Uint8Array | null, status = 0, why = '') => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(status), ...(why ? { 'grpc-message': encodeURIComponent(why) } : {}) }));
    if (msg) {
      const head = Buffer.alloc(5);
      head.writeUInt32BE(msg.length, 1);
      stream.end(Buffer.concat([head, msg]));
    } else stream.end();
  };
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path']);
    calls.push(path);
    stream.resume();
    stream.on('end', () => {
      if (path === `/runtime.${api}.RuntimeService/Version`)
        return answer(stream, message(field(1, utf8('0.1.0')), field(2, utf8('cri-o')), field(3, utf8(o.version ?? '1.28.1')), field(4, utf8(api))));
      if (path === `/runtime.${api}.RuntimeService/ListPodSandbox`)
        return answer(
          stream,
          message(
            ...pods.map((p) =>
              field(
                1,
                message(
                  field(1, utf8(p.id)),
                  field(2, message(field(1, utf8(p.name)), field(2, utf8(p.uid ?? 'u1')), field(3, utf8(p.namespace)))),
                  ...(p.notReady ? [varintField(3, 1)] : []),
                  varintField(4, 1_700_000_000),
                  field(7, utf8(p.handler ?? 'kata')),
                ),
              ),
            ),
          ),
        );
      answer(stream, null, 12, `unknown service ${path}`);
    });
  });
  await new Promise<void>((ok) => server.listen(sock, ok));
  return { close: () => new Promise<void>((ok) => server.close(() => ok())), calls };
}
