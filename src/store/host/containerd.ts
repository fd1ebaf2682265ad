// containerd as a witness: which pod sandboxes it still has. With the Kata
// shim v2 the Kata sandbox ID is the ID of the pod's sandbox (pause)
// container in containerd's k8s.io namespace, labelled
// io.cri-containerd.kind=sandbox. One unary gRPC call per run
// (containerd.services.containers.v1.Containers/List, filtered by that
// label) over containerd's socket, with Node's own http2: no client library,
// no process per sandbox. Read-only: nothing here can create or change a
// container (README "The container manager as a witness").
import type { ClientHttp2Session } from 'node:http2';
import { isValidId } from '../fs/ids.js';

/** The most of an answer read (a thousand pods with their OCI specs is about 12 MiB): beyond it, unknown. */
const MAX_ANSWER = 256 * 1024 * 1024;

export const DEFAULT_CONTAINERD_SOCKET = '/run/containerd/containerd.sock';
export const CRI_NAMESPACE = 'k8s.io';
// The streaming form: one message per container, so no answer hits gRPC's 16 MiB message limit (a node with a
// thousand pods, each record carrying its OCI spec, does).
const LIST = '/containerd.services.containers.v1.Containers/ListStream';
const SANDBOX_FILTER = 'labels."io.cri-containerd.kind"==sandbox';
/** The runtime names containerd records for Kata's handlers: io.containerd.kata.v2 and kata-deploy's io.containerd.kata-<class>.v2. */
const KATA_RUNTIME = /^io\.containerd\.kata(-[A-Za-z0-9_.-]+)?\.v2$/;

export interface CriSandbox {
  id: string;
  runtime: string;
  /** One of Kata's runtime handlers. */
  kata: boolean;
  pod: { namespace: string; name: string; uid: string } | null;
}

/** What containerd said, or why it could not be asked. */
export type CriView = { socket: string; sandboxes: Map<string, CriSandbox>; ms: number } | { socket: string; error: string };

export const criKnown = (v: CriView | null): v is { socket: string; sandboxes: Map<string, CriSandbox>; ms: number } => v !== null && 'sandboxes' in v;

/** The pod sandboxes of containerd's k8s.io namespace; never throws (an unreachable containerd is an answer too). */
export async function criSandboxes(socket: string, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<CriView> {
  const started = performance.now();
  try {
    const messages = await call(socket, LIST, frame(field(1, utf8(SANDBOX_FILTER))), o.timeoutMs ?? 10_000, o.signal);
    const sandboxes = new Map<string, CriSandbox>();
    // ListContainerMessage { Container container = 1; }
    for (const m of messages) for (const [n, v] of fields(m)) if (n === 1 && v instanceof Uint8Array) add(sandboxes, v);
    return { socket, sandboxes, ms: Math.round(performance.now() - started) };
  } catch (e) {
    return { socket, error: why(socket, e as NodeJS.ErrnoException) };
  }
}

/** One line for why containerd could not be asked. */
function why(socket: string, e: NodeJS.ErrnoException): string {
  const m = e.message;
  if (e.code === 'ENOENT' || m.includes('ENOENT')) return `${socket}: no such socket`;
  if (e.code === 'ECONNREFUSED' || m.includes('ECONNREFUSED')) return `${socket}: nothing listens there`;
  if (e.code === 'EACCES' || m.includes('EACCES')) return `${socket}: permission denied`;
  return m;
}

function add(out: Map<string, CriSandbox>, msg: Uint8Array): void {
  let id = '';
  let runtime = '';
  const labels = new Map<string, string>();
  for (const [n, v] of fields(msg)) {
    if (!(v instanceof Uint8Array)) continue;
    if (n === 1) id = text(v);
    else if (n === 2) {
      let k = '';
      let val = '';
      for (const [m, x] of fields(v)) {
        if (!(x instanceof Uint8Array)) continue;
        if (m === 1) k = text(x);
        else if (m === 2) val = text(x);
      }
      labels.set(k, val);
    } else if (n === 4) for (const [m, x] of fields(v)) if (m === 1 && x instanceof Uint8Array) runtime = text(x);
  }
  // containerd's answer is input like the store: an ID vcstore could not take is no sandbox of its.
  if (!isValidId(id) || labels.get('io.cri-containerd.kind') !== 'sandbox') return;
  const name = labels.get('io.kubernetes.pod.name');
  const namespace = labels.get('io.kubernetes.pod.namespace');
  out.set(id, {
    id,
    runtime,
    kata: KATA_RUNTIME.test(runtime),
    pod: name !== undefined && namespace !== undefined ? { namespace, name, uid: labels.get('io.kubernetes.pod.uid') ?? '' } : null,
  });
}

// ---------------------------------------------------------------------------
// gRPC over http2 on a Unix socket, one unary call.

async function call(socket: string, path: string, request: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array[]> {
  const http2 = await import('node:http2');
  const net = await import('node:net');
  return new Promise<Uint8Array[]>((resolve, reject) => {
    let session: ClientHttp2Session | undefined = undefined;
    const fail = (e: Error) => {
      clearTimeout(timer);
      session?.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    signal?.addEventListener('abort', () => fail(signal.reason as Error), { once: true });
    try {
      session = http2.connect('http://localhost', { createConnection: () => net.connect(socket) });
    } catch (e) {
      fail(e as Error);
      return;
    }
    session.on('error', (e: Error) => fail(e));
    const req = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'containerd-namespace': CRI_NAMESPACE,
    });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    let message = '';
    const header = (h: Record<string, unknown>, k: string): string | undefined => {
      const v = h[k];
      return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
    };
    req.on('response', (h: Record<string, unknown>) => {
      // An error can come in the headers alone (a "trailers-only" answer), its reason with it.
      status = header(h, 'grpc-status') ?? status;
      message = decodeURIComponent(header(h, 'grpc-message') ?? '');
    });
    req.on('trailers', (h: Record<string, unknown>) => {
      status = header(h, 'grpc-status') ?? status;
      message = decodeURIComponent(header(h, 'grpc-message') ?? '') || message;
    });
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_ANSWER) fail(new Error(`containerd's answer is over ${MAX_ANSWER / 1024 / 1024} MiB`));
      else chunks.push(c);
    });
    req.on('error', (e: Error) => fail(e));
    req.on('end', () => {
      clearTimeout(timer);
      session?.close();
      if (status !== '0') return reject(new Error(`containerd answered gRPC status ${status ?? '?'}${message ? `: ${message}` : ''}`));
      const all = Buffer.concat(chunks);
      const out: Uint8Array[] = [];
      for (let i = 0; i < all.length;) {
        if (i + 5 > all.length || all[i] !== 0) return reject(new Error('containerd sent a truncated or compressed message'));
        const len = all.readUInt32BE(i + 1);
        if (i + 5 + len > all.length) return reject(new Error('containerd sent a truncated message'));
        out.push(all.subarray(i + 5, i + 5 + len));
        i += 5 + len;
      }
      resolve(out);
    });
    req.end(Buffer.from(request));
  });
}

/** A gRPC message frame: uncompressed, length-prefixed. */
function frame(msg: Uint8Array): Uint8Array {
  const out = Buffer.alloc(5 + msg.length);
  out.writeUInt32BE(msg.length, 1);
  out.set(msg, 5);
  return out;
}

// ---------------------------------------------------------------------------
// The few protobuf wire-format pieces the call needs.

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const text = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A length-delimited field. */
function field(n: number, value: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from([...varint((n << 3) | 2), ...varint(value.length)]), value]);
}

/** The fields of a message: length-delimited ones as bytes, varints as numbers; other wire types skipped. */
export function* fields(buf: Uint8Array): Generator<[number, Uint8Array | number]> {
  let i = 0;
  const read = (): number => {
    let n = 0;
    let mul = 1;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated protobuf message');
      const b = buf[i++] ?? 0;
      n += (b & 0x7f) * mul;
      if (!(b & 0x80)) return n;
      mul *= 128;
    }
  };
  while (i < buf.length) {
    const key = read();
    const n = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) yield [n, read()];
    else if (wire === 2) {
      const len = read();
      if (i + len > buf.length) throw new Error('truncated protobuf message');
      yield [n, buf.subarray(i, i + len)];
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`protobuf wire type ${wire} is not understood`);
  }
}
