// Problem records as text: the only place their wording lives.
import type { Problem } from '../store/base.js';
import { termSafe } from './safe.js';

const s = (v: unknown): string => {
  if (typeof v === 'string') return termSafe(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return v.map((x) => s(x)).join(' ');
  return v === null || v === undefined ? '?' : termSafe(JSON.stringify(v) ?? '?');
};

export function problemText(p: Problem): string {
  const e = p.evidence;
  switch (p.code) {
    case 'hypervisor-dead':
      if (e.reason === 'unnamed')
        return `no runtime process (shim, ${s(e.type ?? 'hypervisor')}, virtiofsd) names it any more: its shim is gone (runtime-rs records no pid)`;
      return `${e.state === null || e.state === undefined ? 'no state is recorded (runtime-rs), and' : `state says ${s(e.state)} but`} the ${s(e.type ?? 'hypervisor')} pid ${s(e.pid)} ${e.reason === 'reused' ? 'now belongs to another program' : 'is gone'}`;
    case 'liveness-unknown':
      return `cannot tell whether the hypervisor is alive: ${s(e.why)}`;
    case 'container-dead':
      return `says ${s(e.state)} but its process pid ${s(e.pid)} ${e.reason === 'reused' ? 'now belongs to another program' : 'is gone'}`;
    case 'config-missing':
      return `run-time root ${s(e.runtime)} has no config root`;
    case 'runtime-missing':
      return e.beforeBoot
        ? `config root ${s(e.config)} without run-time root, older than the last boot: normal after a reboot (vcstore rm once its pod is gone)`
        : `config root ${s(e.config)} without run-time root since the last boot: left by a failed create or delete`;
    case 'corrupt-item':
    case 'bad-shape':
    case 'unreadable-item':
      return `${s(e.path)}: ${s(e.detail)}`;
    case 'symlink':
      return `${s(e.what)} ${s(e.path)} is a symbolic link; vcstore will not follow it`;
    case 'not-a-store-dir':
      return `${s(e.what)} ${s(e.path)} is not a directory`;
    case 'removal-unfinished':
      return `an interrupted or failed removal left ${s(e.paths)}; vcstore rm or check --fix finishes it`;
    case 'sandbox-stale':
      return `no container is left in ${s(e.runtime)}, it is ${e.state === 'stopped' ? 'stopped' : 'dead'}, and no runtime process names it: a delete stopped half-way (kata-containers#11599); check --fix removes it${e.shared ? ` and ${s(e.shared)}` : ''}`;
    case 'empty-shell':
      return `only lock and an empty raw/ in ${s(e.path)}: debris of an earlier run`;
    case 'config-shell':
      return `${s(e.path)} holds only lock and raw/: debris of Kata 1.11/1.12`;
    case 'lock-holder-gone':
      return `lock is held but its holder pid ${s(e.pid)} (${s(e.command)}) is gone from /proc`;
    case 'lock-held-long':
      return `pid ${s(e.pid)} (${s(e.command)}) has held the lock (${s(e.mode)}) and is ${s(e.age)}s old`;
    case 'lock-waiter-stuck': {
      const holders = Array.isArray(e.holders) ? e.holders.map((h: { pid: number; command: string }) => `pid ${h.pid} (${s(h.command)})`).join(', ') : '';
      return `pid ${s(e.pid)} (${s(e.command)}) has waited for the lock (${s(e.mode)}) and is ${s(e.age)}s old; holders: ${holders || 'unknown'}`;
    }
    case 'mounts-leaked':
      if (e.live === true && e.excessive === true)
        return `${s(e.count)} mounts below ${s(e.shared)} for one container of a sandbox that lives on, far above a pod's norm (runtime#2816); not fixed automatically: find what keeps mounting (the container's volumes), then umount -l the extra ones below it`;
      if (e.live === true)
        return `${s(e.count)} mount${e.count === 1 ? '' : 's'} below ${s(e.shared)} left by ${s(e.removedContainer)}, no current container of this live sandbox (${s(e.mountPoints)}${Number(e.count) > 5 ? ' …' : ''}); not fixed automatically: umount -l them once you are sure the pod does not use them`;
      if (e.shared !== undefined)
        return `${s(e.count)} mount${e.count === 1 ? '' : 's'} below ${e.shared ? `shared dir ${s(e.shared)}` : 'the directories'} of a sandbox with no store (${s(e.mountPoints)}${Number(e.count) > 5 ? ' …' : ''})`;
      return `${s(e.count)} mount${e.count === 1 ? '' : 's'} left by a sandbox whose hypervisor, shim and virtiofsd are gone (${s(e.mountPoints)}${Number(e.count) > 5 ? ' …' : ''})`;
    case 'shared-dir-leaked':
      return `shared dir ${s(e.path)} has no sandbox store and no process uses it`;
    case 'processes-orphaned': {
      const list = Array.isArray(e.processes) ? e.processes.map((p: { pid: number; role: string }) => `pid ${p.pid} (${s(p.role)})`).join(', ') : '';
      return `${list} still name${Array.isArray(e.processes) && e.processes.length === 1 ? 's' : ''} a sandbox that has no store; reported, never killed`;
    }
    case 'cgroup-leaked': {
      const list = Array.isArray(e.cgroups) ? (e.cgroups as { hierarchy: string; cgroup: string; procs: number | null }[]) : [];
      const where = (c: { hierarchy: string; cgroup: string }) => `${c.hierarchy ? `${s(c.hierarchy)}:` : ''}${s(c.cgroup)}`;
      const shown = list.slice(0, 4).map(where).join(', ') + (list.length > 4 ? ` and ${list.length - 4} more` : '');
      const whose = e.store === false ? 'a sandbox with no store' : 'a sandbox that is gone';
      const held = list.filter((c) => c.procs !== 0);
      if (e.escaping !== undefined && !list.length) return `the store records cgroup path ${s(e.escaping)}, which escapes its hierarchy: never followed`;
      if (held.length)
        return `${list.length} cgroup${list.length === 1 ? '' : 's'} of ${whose} (${shown}); ${held.map((c) => `${where(c)} ${c.procs === null ? 'cannot be read' : `holds ${c.procs} process${c.procs === 1 ? '' : 'es'}`}`).join(', ')}: never removed`;
      return `${list.length} empty cgroup${list.length === 1 ? '' : 's'} left by ${whose} (${shown})${e.escaping !== undefined ? `; recorded path ${s(e.escaping)} escapes its hierarchy` : ''}`;
    }
    case 'netns-leaked': {
      const users = Array.isArray(e.users) ? (e.users as number[]) : null;
      const tail =
        users === null
          ? 'whether a process uses it cannot be told: never removed'
          : users.length
            ? `in use by pid ${users.slice(0, 3).join(', ')}: never removed`
            : 'nothing records it once the store is gone';
      return `network namespace ${s(e.path)} the runtime made for a sandbox that is gone${e.mounted === true ? ' (an nsfs mount)' : ''}; ${tail}`;
    }
    case 'cri-unknown':
      return e.live === true
        ? `${s(e.manager ?? 'containerd')} (${s(e.socket)}) does not know this pod's sandbox, but its hypervisor is alive: a VM nobody manages`
        : `${s(e.manager ?? 'containerd')} (${s(e.socket)}) does not know this pod's sandbox${e.alive === false ? ', and it is dead: a leak' : ''}`;
    case 'cri-stuck':
      return `${s(e.manager ?? 'containerd')} still reports this pod READY (${s(e.runtime)}) but its sandbox is dead (${s(e.because)}): let it tear the pod down first`;
    case 'cri-notready':
      return `${s(e.manager ?? 'containerd')} reports this pod NOTREADY and its sandbox is dead (${s(e.because)}): kubelet is tearing it down`;
    case 'cri-missing':
      return `${s(e.manager ?? 'containerd')} has this READY Kata pod (${s(e.runtime)}) but there is no store for it`;
    case 'cri-unreachable':
      return `the container manager at ${s(e.socket)} could not be asked (${s(e.error)}): what it knows is unknown, and nothing is removed on its account`;
    case 'bundle-mounted': {
      const ms = Array.isArray(e.mounts) ? (e.mounts as { path: string }[]) : [];
      return `containerd's bundle ${ms.length > 1 ? `rootfs mounts (${ms.length})` : 'rootfs'} of this dead sandbox ${e.forgotten === true ? 'outlived the pod containerd no longer has' : 'is still mounted'} (${s(ms[0]?.path)}): containerd's to undo; the sandbox is kept until it is`;
    }
    case 'orphan-vm-dir':
      return `VM dir ${s(e.path)} has no sandbox store`;
    case 'orphan-vm-live':
      return `VM dir ${s(e.path)} has no sandbox store but its hypervisor pid ${s(e.pid)} is ${e.why ? `not provably dead (${s(e.why)})` : 'alive'}`;
    case 'uuid-leaked':
      return `ACRN UUID slot ${s(e.slot)} (${s(e.uuid)}) is busy but no sandbox uses it`;
    case 'uuid-store-bad':
      return s(e.detail);
  }
}

/** Short form for a table cell: the code, with the container's short ID. */
export function problemTag(p: Problem, trunc: boolean): string {
  return p.container ? `${p.code}(${trunc ? p.container.slice(0, 12) : p.container})` : p.code;
}
