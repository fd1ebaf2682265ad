// What can be wrong with a sandbox, as typed records. Inspection produces
// them once; `ls`, `show` and `check` all render these same records (only
// src/render/ turns them into text), and `check` adds the store-wide ones.

export type Severity = 'error' | 'warning' | 'info';

/** Every problem and finding code, its usual severity, and one line for the docs. */
export const CODES = {
  'hypervisor-dead': { severity: 'error', doc: 'state says ready/running/paused but the hypervisor pid is gone or now another program' },
  'liveness-unknown': {
    severity: 'warning',
    doc: 'whether the hypervisor is alive cannot be told (no or corrupt pid source, unreadable /proc, another pid namespace)',
  },
  'container-dead': { severity: 'warning', doc: 'a running or paused container whose process is gone' },
  'config-missing': { severity: 'warning', doc: 'a run-time root with no config root' },
  'runtime-missing': {
    severity: 'warning',
    doc: 'a config root with no run-time root (info when older than the last boot, and then check --fix removes it: after a reboot no VM or runtime of it can be left, and kata-runtime delete -f cannot load it)',
  },
  'corrupt-item': { severity: 'error', doc: 'an item that is empty, truncated or not JSON' },
  'bad-shape': { severity: 'error', doc: 'an item whose JSON the runtime cannot load' },
  'unreadable-item': { severity: 'error', doc: 'an item that cannot be read (permission, special file)' },
  symlink: { severity: 'error', doc: 'a symbolic link where a store directory or item should be; never followed' },
  'not-a-store-dir': { severity: 'error', doc: 'a file or special file where a store directory should be' },
  'removal-unfinished': { severity: 'error', doc: 'a removal that was interrupted or failed half-way; rm or check --fix finishes it' },
  'sandbox-stale': {
    severity: 'warning',
    doc: 'a persist sandbox with no container left, stopped or with its hypervisor gone, and no runtime process naming it: a delete that stopped half-way (kata-containers#11599)',
  },
  'empty-shell': {
    severity: 'warning',
    doc: 'only lock and an empty raw/: debris of an earlier run (never while a runtime process names the sandbox: it is being made)',
  },
  'config-shell': { severity: 'warning', doc: 'an empty /var/lib/vc/sbs/<sid> next to a persist sandbox (Kata 1.11/1.12 debris)' },
  'lock-holder-gone': { severity: 'error', doc: 'the lock is held but its holder is gone from /proc' },
  'lock-held-long': { severity: 'warning', doc: 'a lock holder older than --stuck-after' },
  'lock-waiter-stuck': { severity: 'warning', doc: 'a lock waiter older than --stuck-after' },
  'mounts-leaked': {
    severity: 'error',
    doc: 'mounts below a sandbox whose hypervisor, shim and virtiofsd are all gone, or below a shared dir with no store; a warning, never fixed, for mounts under a live sandbox that no current container accounts for (one a removed container left, or over 1,000 for one container: runtime#2816)',
  },
  'shared-dir-leaked': { severity: 'warning', doc: 'a shared dir (/run/kata-containers/shared/sandboxes/<sid>) with no store and no process' },
  'processes-orphaned': {
    severity: 'error',
    doc: 'runtime processes (virtiofsd, a shim, a hypervisor) naming a sandbox that has no store; reported, never killed',
  },
  'cgroup-leaked': {
    severity: 'warning',
    doc: "cgroups of a sandbox that is gone or provably dead (its store names them, or Kata's own kata_overhead/<sid>, kata_<sid>); an error, never fixed, when one holds a process or its recorded path escapes the hierarchy",
  },
  'netns-leaked': {
    severity: 'warning',
    doc: "the network namespace the runtime made for a sandbox that is gone or provably dead (NetNsCreated / NetworkCreated, under /run/netns); it goes with the sandbox's removal; an error, never fixed, while a process uses it",
  },
  'cri-unknown': {
    severity: 'warning',
    doc: "a pod's sandbox that its container manager (containerd, CRI-O) does not list (the strongest leak signal there is); --fix removes it once provably dead",
  },
  'cri-stuck': {
    severity: 'error',
    doc: 'the CRI still reports the pod READY but its sandbox is dead: crictl stopp and rmp let the container manager tear it down through the shim; rm and --fix leave it unless --force',
  },
  'cri-notready': {
    severity: 'info',
    doc: 'the CRI reports the pod NOTREADY and its sandbox is dead: kubelet is tearing it down; left to it (crictl rmp if it stays)',
  },
  'cri-missing': { severity: 'warning', doc: 'the CRI reports a READY pod with a Kata runtime handler that has no store at all' },
  'cri-unreachable': {
    severity: 'warning',
    doc: 'the container manager was asked (--cri, CONTAINER_RUNTIME_ENDPOINT, crictl.yaml or its default socket) but could not answer: its findings are unknown, and nothing is removed on its account',
  },
  'bundle-mounted': {
    severity: 'warning',
    doc: "containerd's bundle rootfs (<state>/io.containerd.runtime.v2.task/<ns>/<id>/rootfs) of a dead sandbox or its container is still mounted: containerd's to undo (its teardown, or an umount once it no longer has the container); the sandbox is kept as its record until then, never unmounted by vcstore",
  },
  'orphan-vm-dir': { severity: 'warning', doc: 'a VM dir with no sandbox store and no live hypervisor' },
  'orphan-vm-live': { severity: 'error', doc: 'a VM dir with no sandbox store whose hypervisor is alive' },
  'uuid-leaked': { severity: 'warning', doc: 'an ACRN UUID slot marked busy that no sandbox uses' },
  'uuid-store-bad': { severity: 'error', doc: 'the ACRN UUID store is corrupt or unreadable' },
} as const satisfies Record<string, { severity: Severity; doc: string }>;

export type Code = keyof typeof CODES;

/**
 * Findings that say vcstore could not look (whether anything is alive, or
 * what containerd has): a gate that could not judge must not pass, so
 * `--fail-on error` counts them as errors, and an alert pages on them.
 */
export const CANNOT_TELL: ReadonlySet<string> = new Set<Code>(['liveness-unknown', 'cri-unreachable']);

export interface Problem {
  code: Code;
  severity: Severity;
  /** Set when the problem is about one container of the sandbox. */
  container?: string;
  /** The facts behind it: paths, pids, states, reasons. Never prose. */
  evidence: Record<string, unknown>;
}

export function problem(code: Code, evidence: Record<string, unknown>, o: { container?: string; severity?: Severity } = {}): Problem {
  const p: Problem = { code, severity: o.severity ?? CODES[code].severity, evidence };
  if (o.container !== undefined) p.container = o.container;
  return p;
}
