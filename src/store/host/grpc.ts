// gRPC over http2 on a Unix socket, and the few protobuf wire-format pieces
// the witnesses need: containerd's Containers API (containerd.ts) and the CRI
// RuntimeService (cri.ts). Node's own http2, no client library, no process.
import type { ClientHttp2Session } from 'node:http2';

/** The most of an answer read by default (a thousand pods with their OCI specs is about 12 MiB): beyond it, unknown. */
const MAX_ANSWER = 256 * 1024 * 1024;

/** grpc-message is percent-encoded; a server that sends a bad escape is read as it is (gRPC: never fail on it). */
function percentDecoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** gRPC's UNIMPLEMENTED: the server does not serve that service or method. */
export const UNIMPLEMENTED = 12;

/** A gRPC error answer: its status code and message. */
export class GrpcStatus extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface CallOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Extra request headers (gRPC metadata), such as containerd's namespace. */
  metadata?: Record<string, string>;
  /** Who answers, for the error lines ("containerd", "the CRI"). */
  who: string;
  /** The most of an answer read (default 256 MiB). */
  maxAnswer?: number;
}

/** One call (unary, or server streaming): the messages of the answer. Throws on any failure. */
export async function grpcCall(socket: string, path: string, request: Uint8Array, o: CallOptions): Promise<Uint8Array[]> {
  const http2 = await import('node:http2');
  const net = await import('node:net');
  return new Promise<Uint8Array[]>((resolve, reject) => {
    let session: ClientHttp2Session | undefined = undefined;
    const fail = (e: Error) => {
      clearTimeout(timer);
      session?.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new Error(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
    o.signal?.addEventListener('abort', () => fail(o.signal?.reason as Error), { once: true });
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
      ...o.metadata,
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
      message = percentDecoded(header(h, 'grpc-message') ?? '');
    });
    req.on('trailers', (h: Record<string, unknown>) => {
      status = header(h, 'grpc-status') ?? status;
      message = percentDecoded(header(h, 'grpc-message') ?? '') || message;
    });
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      const max = o.maxAnswer ?? MAX_ANSWER;
      if (size > max) fail(new Error(`${o.who}'s answer is over ${max / 1024 / 1024} MiB`));
      else chunks.push(c);
    });
    req.on('error', (e: Error) => fail(e));
    req.on('end', () => {
      clearTimeout(timer);
      session?.close();
      if (status !== '0') return reject(new GrpcStatus(Number(status ?? -1), `${o.who} answered gRPC status ${status ?? '?'}${message ? `: ${message}` : ''}`));
      const all = Buffer.concat(chunks);
      const out: Uint8Array[] = [];
      for (let i = 0; i < all.length;) {
        if (i + 5 > all.length || all[i] !== 0) return reject(new Error(`${o.who} sent a truncated or compressed message`));
        const len = all.readUInt32BE(i + 1);
        if (i + 5 + len > all.length) return reject(new Error(`${o.who} sent a truncated message`));
        out.push(all.subarray(i + 5, i + 5 + len));
        i += 5 + len;
      }
      resolve(out);
    });
    req.end(Buffer.from(frame(request)));
  });
}

/** One line for why a socket could not be asked. */
export function whyNot(socket: string, e: NodeJS.ErrnoException): string {
  const m = e.message;
  if (e.code === 'ENOENT' || m.includes('ENOENT')) return `${socket}: no such socket`;
  if (e.code === 'ECONNREFUSED' || m.includes('ECONNREFUSED')) return `${socket}: nothing listens there`;
  if (e.code === 'EACCES' || m.includes('EACCES')) return `${socket}: permission denied`;
  return m;
}

/** A gRPC message frame: uncompressed, length-prefixed. */
function frame(msg: Uint8Array): Uint8Array {
  const out = Buffer.alloc(5 + msg.length);
  out.writeUInt32BE(msg.length, 1);
  out.set(msg, 5);
  return out;
}

// ---------------------------------------------------------------------------
// Protobuf wire format: what the witnesses send and read.

export const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
export const text = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A length-delimited field (a string, bytes or a message). */
export function field(n: number, value: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from([...varint((n << 3) | 2), ...varint(value.length)]), value]);
}

/** A varint field (an enum, a bool, an unsigned integer). */
export function varintField(n: number, value: number): Uint8Array {
  return Buffer.from([...varint(n << 3), ...varint(value)]);
}

/** A message of fields, in order. */
export const message = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

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

/** A map<string, string> entry (key = 1, value = 2). */
export function mapEntry(v: Uint8Array): [string, string] {
  let k = '';
  let val = '';
  for (const [m, x] of fields(v)) {
    if (!(x instanceof Uint8Array)) continue;
    if (m === 1) k = text(x);
    else if (m === 2) val = text(x);
  }
  return [k, val];
}
