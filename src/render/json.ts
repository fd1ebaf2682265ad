// JSON renderers: the stable shapes scripts parse. Kept apart from the core
// types so an internal rename cannot change the output.
import type { Holder, HostPicture, Pod, Problem, SandboxInfo } from '../store/base.js';

export function holderJson(h: Holder) {
  return { pid: h.pid, command: h.command, mode: h.mode, waiting: h.waiting };
}

export function problemJson(p: Problem) {
  return p.container === undefined
    ? { code: p.code, severity: p.severity, evidence: p.evidence }
    : { code: p.code, severity: p.severity, container: p.container, evidence: p.evidence };
}

export function podJson(p: Pod) {
  return { namespace: p.namespace, name: p.name, uid: p.uid };
}

export function sandboxJson(s: SandboxInfo) {
  const hv: Record<string, unknown> = { type: s.hypervisor.type, pid: s.hypervisor.pid, alive: s.hypervisor.alive, verified: s.hypervisor.verified };
  if (s.hypervisor.unknown) hv.unknown = s.hypervisor.unknown;
  if (s.hypervisor.running !== undefined) hv.running = s.hypervisor.running;
  if (s.virtiofsd) hv.virtiofsd = s.virtiofsd;
  return {
    id: s.id,
    pod: s.pod ? podJson(s.pod) : null,
    created: s.created,
    createdFrom: s.createdFrom,
    state: s.state,
    layout: s.layout,
    hypervisor: hv,
    containers: s.containers.map((c) =>
      c.unknown
        ? { id: c.id, name: c.name ?? null, state: c.state, pid: c.pid, alive: c.alive, unknown: c.unknown }
        : { id: c.id, name: c.name ?? null, state: c.state, pid: c.pid, alive: c.alive },
    ),
    lock: { path: s.lock.path, held: s.lock.held, visible: s.lock.visible, holders: s.lock.holders.map(holderJson) },
    paths: { config: s.paths.config, runtime: s.paths.runtime, vm: s.paths.vm, lock: s.paths.lock },
    problems: s.problems.map(problemJson),
    ...(s.netns ? { netns: { path: s.netns.path, created: s.netns.created } } : {}),
    ...(s.host ? { host: pictureJson(s.host) } : {}),
  };
}

type Paint = { on: boolean; key(s: string): string; str(s: string): string; num(s: string): string; dim(s: string): string };

/** JSON text with optional colour (keys, strings, numbers); strings in it are escaped JSON strings. */
export function paintJson(text: string, paint: Paint): string {
  if (!paint.on) return text;
  return text.replace(
    /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g,
    (m, s: string | undefined, colon: string | undefined, lit: string | undefined, num: string | undefined) => {
      if (s !== undefined) return colon ? paint.key(s) + colon : paint.str(s);
      if (lit !== undefined) return paint.dim(lit);
      if (num !== undefined) return paint.num(num);
      return m;
    },
  );
}

export function pictureJson(h: HostPicture) {
  return {
    shared: h.shared,
    mounts: h.mounts.map((m) => ({ mountPoint: m.mountPoint, source: m.source, fstype: m.fstype })),
    processes: h.processes.map((p) => ({ pid: p.pid, role: p.role, command: p.command })),
    vm: h.vm,
  };
}
