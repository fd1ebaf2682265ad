// containerd's own Containers API, the witness where its CRI plugin is off:
// which pod sandbox records it has. With the Kata shim v2 the Kata sandbox ID
// is the ID of the pod's sandbox (pause) container in containerd's k8s.io
// namespace, labelled io.cri-containerd.kind=sandbox. One streaming call per
// run (containerd.services.containers.v1.Containers/ListStream, filtered by
// that label) over containerd's socket. Read-only: nothing here can create or
// change a container (README "The container manager as a witness").
import { isValidId } from '../fs/ids.js';
import { field, fields, grpcCall, mapEntry, text, utf8 } from './grpc.js';

/** A pod sandbox the container manager has, as either API tells it. */
export interface CriSandbox {
  id: string;
  /** The CRI's runtime handler (kata, kata-qemu, …) or, from containerd's own API, the runtime type (io.containerd.kata.v2). */
  runtime: string;
  /** One of Kata's handlers. */
  kata: boolean;
  /** READY (false: NOTREADY, the pod kubelet is tearing down). containerd's own records have no state: ready. */
  ready: boolean;
  pod: { namespace: string; name: string; uid: string } | null;
}

export const DEFAULT_CONTAINERD_SOCKET = '/run/containerd/containerd.sock';
export const CRI_NAMESPACE = 'k8s.io';
// The streaming form: one message per container, so no answer hits gRPC's 16 MiB message limit (a node with a
// thousand pods, each record carrying its OCI spec, does).
const LIST = '/containerd.services.containers.v1.Containers/ListStream';
const SANDBOX_FILTER = 'labels."io.cri-containerd.kind"==sandbox';
/** The runtime names containerd records for Kata's handlers: io.containerd.kata.v2 and kata-deploy's io.containerd.kata-<class>.v2. */
const KATA_RUNTIME = /^io\.containerd\.kata(-[A-Za-z0-9_.-]+)?\.v2$/;

/** The pod sandbox records of containerd's k8s.io namespace (every one counted ready: a record has no state). Throws when containerd cannot be asked. */
export async function containerdSandboxes(socket: string, o: { timeoutMs: number; signal?: AbortSignal }): Promise<Map<string, CriSandbox>> {
  const messages = await grpcCall(socket, LIST, field(1, utf8(SANDBOX_FILTER)), {
    ...o,
    who: 'containerd',
    metadata: { 'containerd-namespace': CRI_NAMESPACE },
  });
  const sandboxes = new Map<string, CriSandbox>();
  // ListContainerMessage { Container container = 1; }
  for (const m of messages) for (const [n, v] of fields(m)) if (n === 1 && v instanceof Uint8Array) add(sandboxes, v);
  return sandboxes;
}

function add(out: Map<string, CriSandbox>, msg: Uint8Array): void {
  let id = '';
  let runtime = '';
  const labels = new Map<string, string>();
  for (const [n, v] of fields(msg)) {
    if (!(v instanceof Uint8Array)) continue;
    if (n === 1) id = text(v);
    else if (n === 2) labels.set(...mapEntry(v));
    else if (n === 4) for (const [m, x] of fields(v)) if (m === 1 && x instanceof Uint8Array) runtime = text(x);
  }
  // containerd's answer is input like the store: an ID vcstore could not take is no sandbox of its.
  if (!isValidId(id) || labels.get('io.cri-containerd.kind') !== 'sandbox') return;
  const name = labels.get('io.kubernetes.pod.name');
  const namespace = labels.get('io.kubernetes.pod.namespace');
  out.set(id, {
    id,
    runtime,
    kata: KATA_RUNTIME.test(runtime),
    ready: true,
    pod: name !== undefined && namespace !== undefined ? { namespace, name, uid: labels.get('io.kubernetes.pod.uid') ?? '' } : null,
  });
}
