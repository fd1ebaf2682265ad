// Who a sandbox is to Kubernetes: the pod (namespace, name, uid) and each
// container's name, read from the OCI annotations the container manager put
// in every container's spec, as the runtime recorded them. containerd's CRI
// plugin writes io.kubernetes.cri.* (older releases only the log directory,
// /var/log/pods/<namespace>_<name>_<uid>, and before 1.4 only the container
// type and sandbox ID: a CRI pod, unnamed); CRI-O writes io.kubernetes.cri-o.*
// with the kubelet's labels as a JSON string. Annotation values are store
// text: shown escaped, never trusted to name a path.
import { isObject } from '../fs/gojson.js';

export interface Pod {
  namespace: string | null;
  name: string | null;
  uid: string | null;
  /** Whose annotations named it: containerd's CRI plugin (io.kubernetes.cri.*) or CRI-O. */
  manager?: 'containerd' | 'cri-o';
}

/** A sandbox's identity beside its state: its pod, its containers' names, when it was created. */
export interface Identity {
  pod: Pod | null;
  /** Container ID → the container's name in its pod. */
  names: Map<string, string>;
  /** RFC 3339, from the runtime's own record (the sandbox container's start time). */
  created: string | null;
  /** The record that names the pod exists but cannot be read or parsed. */
  podUnknown?: boolean;
}

export const CRI = {
  namespace: 'io.kubernetes.cri.sandbox-namespace',
  name: 'io.kubernetes.cri.sandbox-name',
  uid: 'io.kubernetes.cri.sandbox-uid',
  logDir: 'io.kubernetes.cri.sandbox-log-directory',
  container: 'io.kubernetes.cri.container-name',
  /** "sandbox" or "container": every CRI plugin writes it, containerd before 1.4 with nothing else of the pod. */
  containerType: 'io.kubernetes.cri.container-type',
} as const;

export const CRIO = {
  namespace: 'io.kubernetes.cri-o.Namespace',
  name: 'io.kubernetes.cri-o.KubeName',
  labels: 'io.kubernetes.cri-o.Labels',
  metadata: 'io.kubernetes.cri-o.Metadata',
} as const;

/** The keys whose values identity needs: what a text scan looks for. */
export const IDENTITY_KEYS: readonly string[] = [...Object.values(CRI), CRIO.namespace, CRIO.name, CRIO.labels, CRIO.metadata];

type Lookup = (key: string) => string | undefined;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function jsonObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined || text.length > 65536) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `/var/log/pods/<namespace>_<name>_<uid>`: neither a namespace, a pod name nor a uid holds `_`. */
function fromLogDir(dir: string | undefined): Pod | null {
  const base = dir?.replace(/\/+$/, '').split('/').pop();
  const parts = base?.split('_');
  if (!parts || parts.length !== 3 || parts.some((p) => p === '')) return null;
  return { namespace: parts[0] ?? null, name: parts[1] ?? null, uid: parts[2] ?? null };
}

/** The pod an annotation set names, or null when it names none. */
export function podOf(get: Lookup): Pod | null {
  const ns = get(CRI.namespace);
  const name = get(CRI.name);
  const uid = get(CRI.uid);
  if (ns !== undefined || name !== undefined || uid !== undefined) {
    const log = fromLogDir(get(CRI.logDir));
    return { namespace: ns ?? log?.namespace ?? null, name: name ?? log?.name ?? null, uid: uid ?? log?.uid ?? null, manager: 'containerd' };
  }
  const log = fromLogDir(get(CRI.logDir));
  if (log) return { ...log, manager: 'containerd' };
  // containerd before 1.4 (the Kata 1.x era) writes only the container type and the sandbox ID: a CRI pod with no name.
  if (get(CRI.containerType) !== undefined) return { namespace: null, name: null, uid: null, manager: 'containerd' };
  const labels = jsonObject(get(CRIO.labels));
  const meta = jsonObject(get(CRIO.metadata));
  const crioNs = get(CRIO.namespace) ?? str(labels?.['io.kubernetes.pod.namespace']);
  const crioName = get(CRIO.name) ?? str(labels?.['io.kubernetes.pod.name']);
  const crioUid = str(labels?.['io.kubernetes.pod.uid']) ?? str(meta?.uid);
  if (crioNs === undefined && crioName === undefined && crioUid === undefined) return null;
  return { namespace: crioNs ?? null, name: crioName ?? null, uid: crioUid ?? null, manager: 'cri-o' };
}

/** The container's name in its pod (none for the sandbox's own pause container). */
export function containerNameOf(get: Lookup): string | undefined {
  const cri = get(CRI.container);
  if (cri !== undefined) return cri;
  const labels = jsonObject(get(CRIO.labels));
  return str(labels?.['io.kubernetes.container.name']);
}

/** Lookup in a parsed annotations map (Go map keys: exact, the last of a key given twice). */
export function mapLookup(...maps: unknown[]): Lookup {
  return (key) => {
    for (const m of maps)
      if (isObject(m)) {
        const v = str(m[key]);
        if (v !== undefined) return v;
      }
    return undefined;
  };
}

/**
 * Lookup by scanning a JSON document's text for `"io.kubernetes.…":"value"`
 * members, as any annotations map in it holds them, without parsing the rest
 * (a 1.x config.json runs to tens of KB; the listing needs a few keys). One
 * pass finds every such key: a key counts only where its opening quote is
 * not escaped, so a key's text inside another string is never taken for it;
 * of several, the last wins, as Go's decoder keeps the last of a map key
 * given twice.
 */
export function textLookup(text: string): Lookup & { conflict: boolean } {
  const found = new Map<string, string>();
  let conflict = false;
  const needle = '"io.kubernetes.';
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    if (escaped(text, at)) continue;
    const end = stringEnd(text, at);
    if (end < 0) break;
    const key = text.slice(at + 1, end);
    if (!IDENTITY_KEYS.includes(key)) continue;
    const v = stringAfterColon(text, end + 1);
    if (v === undefined) continue;
    // Containers of one pod carry the same pod annotations: two values of a pod key cannot be told apart.
    // A container's name and type are its own (the sandbox's type is "sandbox", the others' "container").
    if (key !== CRI.container && key !== CRI.containerType && found.has(key) && found.get(key) !== v) conflict = true;
    found.set(key, v);
  }
  return Object.assign((key: string) => found.get(key), { conflict });
}

/** The index of the quote that closes the string opening at `quote`, or -1. */
function stringEnd(text: string, quote: number): number {
  for (let j = quote + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 92) j++;
    else if (c === 34) return j;
  }
  return -1;
}

function escaped(text: string, quote: number): boolean {
  let n = 0;
  for (let i = quote - 1; i >= 0 && text.charCodeAt(i) === 92; i--) n++;
  return n % 2 === 1;
}

const isWs = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/** After a key: `: "…"` → the decoded string, or undefined when the value is no string. */
function stringAfterColon(text: string, i: number): string | undefined {
  while (isWs(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 58) return undefined;
  i++;
  while (isWs(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 34) return undefined;
  const j = stringEnd(text, i);
  if (j < 0) return undefined;
  try {
    return JSON.parse(text.slice(i, j + 1)) as string;
  } catch {
    return undefined;
  }
}

/** Go's time.Time text, as a valid RFC 3339 time, or null. */
export function rfc3339(v: unknown): string | null {
  if (typeof v !== 'string' || v.startsWith('0001-01-01')) return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) && /^\d{4}-\d\d-\d\dT/.test(v) ? v : null;
}
