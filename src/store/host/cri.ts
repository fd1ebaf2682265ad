// The container manager as a witness: which pod sandboxes the node's CRI
// runtime (containerd's CRI plugin, CRI-O) still has, and whether each is
// READY or NOTREADY (kubelet tearing it down). With the Kata shim v2 the Kata
// sandbox ID is the pod sandbox's ID in both. Two unary calls per run over
// the runtime endpoint, as crictl makes them: RuntimeService/Version (which
// runtime answers, and which API: runtime.v1, else runtime.v1alpha2 for the
// containerd and CRI-O of the Kata 1.x and 2.x era) and ListPodSandbox.
// Where the endpoint serves no CRI at all (containerd with its CRI plugin
// off), containerd's own Containers API (containerd.ts). Read-only: nothing
// here can create, stop or remove a pod (README "The container manager as a
// witness").
import { isValidId } from '../fs/ids.js';
import { containerdSandboxes, type CriSandbox } from './containerd.js';
import { fields, GrpcStatus, grpcCall, text, UNIMPLEMENTED, whyNot } from './grpc.js';

export type { CriSandbox };

/** How the answer was had: the CRI at runtime.v1 or v1alpha2, or containerd's own API. */
export type CriApi = 'v1' | 'v1alpha2' | 'containerd';

export interface CriAnswer {
  socket: string;
  sandboxes: Map<string, CriSandbox>;
  ms: number;
  api: CriApi;
  /** The runtime's own name for itself (Version's runtime_name): containerd, cri-o. */
  runtime: string;
  version: string;
}

/** What the container manager said, or why it could not be asked. */
export type CriView = CriAnswer | { socket: string; error: string };

export const criKnown = (v: CriView | null): v is CriAnswer => v !== null && 'sandboxes' in v;

/** A runtime handler of Kata's, by the names kata-deploy, OpenShift and the docs give them (kata, kata-qemu, kata-fc, …). */
const KATA_HANDLER = /kata/i;

/** A pod sandbox is a few hundred bytes in ListPodSandbox's answer: 64 MiB is some 200,000 of them, and bounds what a lying server costs. */
const MAX_CRI_ANSWER = 64 * 1024 * 1024;

/** PodSandboxState: SANDBOX_READY = 0 (proto3's default: absent on the wire), SANDBOX_NOTREADY = 1. */
const NOTREADY = 1;

/** The pod sandboxes the endpoint's runtime has; never throws (an unreachable runtime is an answer too). */
export async function criSandboxes(socket: string, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<CriView> {
  const started = performance.now();
  // One deadline for every call of the run: "nothing within 10 s" is the whole answer's.
  const deadline = started + (o.timeoutMs ?? 10_000);
  const left = () => Math.max(1, Math.round(deadline - performance.now()));
  const call = (path: string) => grpcCall(socket, path, new Uint8Array(0), { timeoutMs: left(), signal: o.signal, who: 'the CRI', maxAnswer: MAX_CRI_ANSWER });
  try {
    let api: 'v1' | 'v1alpha2' | null = null;
    let runtime = '';
    let version = '';
    for (const v of ['v1', 'v1alpha2'] as const) {
      try {
        // VersionResponse { version = 1; runtime_name = 2; runtime_version = 3; runtime_api_version = 4 }
        const [answer] = await call(`/runtime.${v}.RuntimeService/Version`);
        for (const [n, x] of fields(answer ?? new Uint8Array(0)))
          if (x instanceof Uint8Array) {
            if (n === 2) runtime = text(x);
            else if (n === 3) version = text(x);
          }
        api = v;
        break;
      } catch (e) {
        if (!(e instanceof GrpcStatus && e.status === UNIMPLEMENTED)) throw e;
      }
    }
    if (api === null) {
      // No CRI served there: containerd with its CRI plugin off, asked through its own API.
      const sandboxes = await containerdSandboxes(socket, { timeoutMs: left(), signal: o.signal });
      return { socket, sandboxes, ms: Math.round(performance.now() - started), api: 'containerd', runtime: 'containerd', version: '' };
    }
    // ListPodSandboxRequest with no filter: every pod, READY and NOTREADY. ListPodSandboxResponse { repeated PodSandbox items = 1 }
    const sandboxes = new Map<string, CriSandbox>();
    for (const m of await call(`/runtime.${api}.RuntimeService/ListPodSandbox`))
      for (const [n, v] of fields(m)) if (n === 1 && v instanceof Uint8Array) add(sandboxes, v);
    return { socket, sandboxes, ms: Math.round(performance.now() - started), api, runtime, version };
  } catch (e) {
    return { socket, error: whyNot(socket, e as NodeJS.ErrnoException) };
  }
}

/** PodSandbox { id = 1; metadata = 2 { name = 1; uid = 2; namespace = 3 }; state = 3; runtime_handler = 7 } */
function add(out: Map<string, CriSandbox>, msg: Uint8Array): void {
  let id = '';
  let handler = '';
  let state = 0;
  let name: string | undefined;
  let namespace: string | undefined;
  let uid = '';
  for (const [n, v] of fields(msg)) {
    if (n === 3 && typeof v === 'number') state = v;
    if (!(v instanceof Uint8Array)) continue;
    if (n === 1) id = text(v);
    else if (n === 7) handler = text(v);
    else if (n === 2)
      for (const [m, x] of fields(v)) {
        if (!(x instanceof Uint8Array)) continue;
        if (m === 1) name = text(x);
        else if (m === 2) uid = text(x);
        else if (m === 3) namespace = text(x);
      }
  }
  // The runtime's answer is input like the store: an ID vcstore could not take is no sandbox of its.
  if (!isValidId(id)) return;
  // An ID listed twice is READY if either says so: the answer that holds back a removal wins.
  const twice = out.get(id);
  out.set(id, {
    id,
    runtime: handler,
    kata: KATA_HANDLER.test(handler) || twice?.kata === true,
    ready: state !== NOTREADY || twice?.ready === true,
    pod: name !== undefined && namespace !== undefined ? { namespace, name, uid } : null,
  });
}
