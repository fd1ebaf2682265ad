// Option values shared by the commands: lock waits, and the container manager to ask (crictl's endpoint rules).
import { UsageError } from './store/fs/errors.js';
import { lstatOrUndef } from './store/fs/read.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { DEFAULT_CONTAINERD_SOCKET } from './store/host/containerd.js';
import { criSandboxes, type CriView } from './store/host/cri.js';

export { DEFAULT_STUCK_AFTER, DEFAULT_WAIT } from './defaults.js';

export interface WaitOpts {
  wait?: number;
  nonblock?: boolean;
}

export function waitOf(o: WaitOpts, dflt: number): number {
  if (o.nonblock && o.wait !== undefined) throw new UsageError('--nonblock and --wait exclude each other');
  if (o.nonblock) return 0;
  return o.wait ?? dflt;
}

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
}

/**
 * --cri[=ENDPOINT] / --no-cri: the endpoint to ask, found the way crictl
 * finds it: --cri ENDPOINT, then CONTAINER_RUNTIME_ENDPOINT, then
 * runtime-endpoint in $CRI_CONFIG_FILE or /etc/crictl.yaml, then the first of
 * containerd's and CRI-O's default sockets that exists. Unsaid under --prefix
 * it is none: a copied store is not the host's runtime's.
 */
export function criEndpoint(
  cri: string | boolean | undefined,
  prefix: string,
  env: { CONTAINER_RUNTIME_ENDPOINT?: string; CRI_CONFIG_FILE?: string },
): CriWhere | null {
  if (cri === false) return null;
  if (cri === '') throw new UsageError('--cri=: name the endpoint, or say --cri alone for the one crictl would use');
  if (typeof cri === 'string') return { socket: endpointPath(cri, '--cri'), explicit: true, from: 'flag' };
  if (prefix && cri !== true) return null;
  const fromEnv = env.CONTAINER_RUNTIME_ENDPOINT;
  if (fromEnv) return { socket: endpointPath(fromEnv, 'CONTAINER_RUNTIME_ENDPOINT'), explicit: true, from: 'env' };
  const file = env.CRI_CONFIG_FILE || CRICTL_CONFIG;
  const configured = crictlEndpoint(file);
  if (configured) return { socket: endpointPath(configured, file), explicit: true, from: 'config' };
  for (const socket of CRICTL_DEFAULTS) if (lstatOrUndef(socket)?.isSocket()) return { socket, explicit: cri === true, from: 'default' };
  return cri === true ? { socket: DEFAULT_CONTAINERD_SOCKET, explicit: true, from: 'default' } : null;
}

/**
 * runtime-endpoint in crictl's YAML file (a flat map of scalars), or null
 * when the file is absent, unreadable or does not say.
 */
export function crictlEndpoint(file: string): string | null {
  let body: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(64 * 1024);
      body = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  for (const line of body.split('\n')) {
    const m = /^runtime-endpoint\s*:\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const v = (m[1] ?? '').replace(/\s+#.*$/, '');
    const q = /^(["'])(.*)\1$/.exec(v);
    const value = q ? (q[2] ?? '') : v;
    return value || null;
  }
  return null;
}

/**
 * The socket an endpoint names, in crictl's forms: a bare path, or
 * `unix:///path` (what /etc/crictl.yaml and --runtime-endpoint hold). Any
 * other scheme is a usage error: vcstore speaks to a local socket only.
 */
export function endpointPath(endpoint: string, source = '--cri'): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/.exec(endpoint);
  if (!m) return endpoint;
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
  const view = where ? await criSandboxes(where.socket, { signal }) : null;
  if (signal.aborted) throw signal.reason;
  return { cri: view, explicit: where?.explicit === true, where };
}
