// Option values shared by the commands: lock waits.
import { UsageError } from './store/fs/errors.js';
import { lstatOrUndef } from './store/fs/read.js';
import { criSandboxes, DEFAULT_CONTAINERD_SOCKET, type CriView } from './store/host/containerd.js';

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

/**
 * --cri[=SOCKET] / --no-cri: the containerd socket to ask, or null. Unsaid,
 * it is the host's (/run/containerd/containerd.sock) when that socket exists
 * and there is no --prefix: a copied store is not the host's containerd's.
 */
export function criSocket(cri: string | boolean | undefined, prefix: string): { socket: string; explicit: boolean } | null {
  if (cri === false) return null;
  if (cri === '') throw new UsageError('--cri=: name the socket, or say --cri alone for the default');
  if (typeof cri === 'string') return { socket: endpointPath(cri), explicit: true };
  if (cri === true) return { socket: DEFAULT_CONTAINERD_SOCKET, explicit: true };
  return !prefix && lstatOrUndef(DEFAULT_CONTAINERD_SOCKET)?.isSocket() ? { socket: DEFAULT_CONTAINERD_SOCKET, explicit: false } : null;
}

/**
 * The socket an endpoint names, in crictl's forms: a bare path, or
 * `unix:///path` (what /etc/crictl.yaml and --runtime-endpoint hold). Any
 * other scheme is a usage error: vcstore speaks to a local socket only.
 */
export function endpointPath(endpoint: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/.exec(endpoint);
  if (!m) return endpoint;
  if (m[1] !== 'unix' || !m[2]?.startsWith('/'))
    throw new UsageError(`--cri ${JSON.stringify(endpoint)}: give a Unix socket, as a path or unix:///path (crictl's form)`);
  return m[2];
}

/**
 * Ask containerd, where --cri (or its default) says to: what it said (null
 * when not asked) and whether it was asked by name. A signal that came while
 * waiting ends the command, as anywhere else.
 */
export async function askContainerd(
  cri: string | boolean | undefined,
  prefix: string,
  signal: AbortSignal,
): Promise<{ cri: CriView | null; explicit: boolean }> {
  const where = criSocket(cri, prefix);
  const view = where ? await criSandboxes(where.socket, { signal }) : null;
  if (signal.aborted) throw signal.reason;
  return { cri: view, explicit: where?.explicit === true };
}
