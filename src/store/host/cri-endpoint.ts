// Which container manager to ask, found as crictl finds its endpoint (--cri,
// CONTAINER_RUNTIME_ENDPOINT, crictl's file, the default sockets), and asking it.
// The environment comes from the wiring (ctx.criEnv): the core never reads it.
import { UsageError } from '../fs/errors.js';
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_CONTAINERD_SOCKET } from './containerd.js';
import { criSandboxes, type CriView } from './cri.js';

/** Where crictl looks when nothing names an endpoint, in its order (cri-dockerd's runs no Kata). */
export const CRICTL_DEFAULTS: readonly string[] = [DEFAULT_CONTAINERD_SOCKET, '/run/crio/crio.sock'];
/** crictl's configuration file, unless CRI_CONFIG_FILE names another. */
export const CRICTL_CONFIG = '/etc/crictl.yaml';

/** The endpoint to ask, and what named it: --cri, CONTAINER_RUNTIME_ENDPOINT, crictl's file, or a default socket that exists. */
export interface CriWhere {
  socket: string;
  /** Named (by --cri, the environment or crictl's file): when it cannot answer, nothing of a pod is removed. */
  explicit: boolean;
  from: 'flag' | 'env' | 'config' | 'default';
  /** crictl's file exists but cannot be read as one: which endpoint the node names cannot be told. */
  error?: string;
}

/**
 * --cri[=ENDPOINT] / --no-cri: the endpoint to ask, found the way crictl
 * finds it: --cri ENDPOINT, then CONTAINER_RUNTIME_ENDPOINT, then
 * runtime-endpoint in $CRI_CONFIG_FILE or /etc/crictl.yaml, then the first of
 * containerd's and CRI-O's default sockets that exists (through a symbolic
 * link too, as crictl connects). Unsaid under --prefix it is none: a copied
 * store is not the host's runtime's.
 */
export function criEndpoint(
  cri: string | boolean | undefined,
  prefix: string,
  env: { CONTAINER_RUNTIME_ENDPOINT?: string; CRI_CONFIG_FILE?: string },
): CriWhere | null {
  if (cri === false) return null;
  if (cri === '') throw new UsageError('--cri=: name the endpoint (a socket path, or unix:///path)');
  if (typeof cri === 'string') return { socket: endpointPath(cri, '--cri'), explicit: true, from: 'flag' };
  if (prefix && cri !== true) return null;
  const fromEnv = env.CONTAINER_RUNTIME_ENDPOINT;
  if (fromEnv) return { socket: endpointPath(fromEnv, 'CONTAINER_RUNTIME_ENDPOINT'), explicit: true, from: 'env' };
  const file = env.CRI_CONFIG_FILE || CRICTL_CONFIG;
  const configured = crictlEndpoint(file);
  if (configured && 'error' in configured) return { socket: file, explicit: true, from: 'config', error: configured.error };
  if (configured) return { socket: endpointPath(configured.endpoint, file), explicit: true, from: 'config' };
  for (const socket of CRICTL_DEFAULTS) if (isSocket(socket)) return { socket, explicit: cri === true, from: 'default' };
  return cri === true ? { socket: DEFAULT_CONTAINERD_SOCKET, explicit: true, from: 'default' } : null;
}

/** A socket at `path`, following a symbolic link as connect() does. */
function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

/** The most of crictl's file read: it holds a handful of keys. */
const CRICTL_MAX = 64 * 1024;

/**
 * runtime-endpoint in crictl's YAML file (a flat map of scalars; as YAML
 * decodes a key given twice, the last wins), null when the file is absent or
 * does not name one, or why it cannot be read as crictl's file (not a
 * regular file, unreadable, too big, not text): then the endpoint the node
 * names cannot be told. Opened without blocking and without following a
 * final symbolic link onto a FIFO or device.
 */
export function crictlEndpoint(file: string): { endpoint: string } | { error: string } | null {
  let body: string;
  try {
    const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return { error: `${file} is not a regular file` };
      if (st.size > CRICTL_MAX) return { error: `${file} is over ${CRICTL_MAX / 1024} KiB` };
      const buf = Buffer.alloc(CRICTL_MAX + 1);
      const n = readSync(fd, buf, 0, buf.length, 0);
      if (n > CRICTL_MAX) return { error: `${file} is over ${CRICTL_MAX / 1024} KiB` };
      body = buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    return { error: `${file}: ${(e as Error).message}` };
  }
  if (body.includes('\0')) return { error: `${file} is not text` };
  let found: string | null = null;
  for (const raw of body.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const m = /^(["']?)runtime-endpoint\1\s*:(.*)$/.exec(raw);
    if (!m) continue;
    const rest = (m[2] ?? '').trim();
    const q = /^(["'])(.*?)\1\s*(#.*)?$/.exec(rest);
    const value = q ? (q[2] ?? '') : rest.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    // A value on the next line (YAML allows it) is not crictl's flat form: cannot be told.
    if (value === '') return { error: `${file}: runtime-endpoint has no value on its line` };
    found = value;
  }
  return found === null ? null : { endpoint: found };
}

/**
 * The socket an endpoint names, in crictl's forms: a bare path, or
 * `unix:///path` (what /etc/crictl.yaml and --runtime-endpoint hold); a
 * relative path is taken from the working directory and printed absolute.
 * Any other scheme is a usage error: vcstore speaks to a local socket only.
 */
export function endpointPath(endpoint: string, source = '--cri'): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/.exec(endpoint);
  if (!m) return resolve(endpoint);
  if (m[1] !== 'unix' || !m[2]?.startsWith('/'))
    throw new UsageError(`${source} ${JSON.stringify(endpoint)}: give a Unix socket, as a path or unix:///path (crictl's form)`);
  return m[2];
}

/**
 * Ask the container manager, where --cri (or crictl's rules) says to: what it
 * said (null when not asked) and where it was found. A signal that came while
 * waiting ends the command, as anywhere else.
 */
export async function askCri(
  cri: string | boolean | undefined,
  prefix: string,
  env: { CONTAINER_RUNTIME_ENDPOINT?: string; CRI_CONFIG_FILE?: string },
  signal: AbortSignal,
): Promise<{ cri: CriView | null; explicit: boolean; where: CriWhere | null }> {
  const where = criEndpoint(cri, prefix, env);
  const view = where ? (where.error !== undefined ? { socket: where.socket, error: where.error } : await criSandboxes(where.socket, { signal })) : null;
  if (signal.aborted) throw signal.reason;
  return { cri: view, explicit: where?.explicit === true, where };
}
