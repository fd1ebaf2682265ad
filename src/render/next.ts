// What a person does next about a finding: one command line, runnable as
// printed (IDs and paths shell-quoted, the same --prefix), or one sentence
// where no command does it. The man page lists the same per code.
import { type CriWhere, DEFAULT_CONTAINERD_SOCKET, type Finding, WHOLE } from '../store/index.js';

/** A word as a POSIX shell reads it back: bare when it is plainly safe, else in single quotes. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const pids = (v: unknown): number[] =>
  Array.isArray(v) ? v.map((x) => (x as { pid?: unknown }).pid).filter((x): x is number => typeof x === 'number' && x > 0) : [];

/** The next step for `f`; `prefix` is the store prefix the check ran with ('' for none). */
export interface NextTools {
  /** crictl is on PATH (else, for containerd, the ctr commands). */
  crictl: boolean;
  /** The endpoint the check was given by --cri, where it is not the default: every command names it. */
  socket?: string | null;
  /** How the manager was asked: containerd's own API (its CRI plugin off) is the only case for ctr's commands. */
  api?: string;
  /** Sandboxes the CRI still reports READY (cri-stuck): its teardown is their next step, whatever the finding. */
  stuck?: Set<string>;
  /** Sandboxes the CRI reports NOTREADY (cri-notready): kubelet's teardown is their next step. */
  notready?: Set<string>;
  /** The container manager was named and could not answer: every removal refuses until it can. */
  unreachable?: boolean;
  /** Sandboxes the fix removes whole: what else is found of them goes with that removal. */
  going?: Set<string>;
  /** The socket asked when it is not containerd's default, however it was found: ctr reads no crictl setting. */
  address?: string | null;
  /** Sandboxes kept while containerd's bundle is mounted (bundle-mounted): its step is theirs too. */
  bundle?: Map<string, Finding>;
}

/** crictl's flag for an endpoint it would not find itself (null: the one it finds). */
export const crictlEndpointFlag = (socket: string | null | undefined): string => (socket ? ` --runtime-endpoint ${shellWord(`unix://${socket}`)}` : '');

/** ctr's flag for the socket asked when it is not containerd's default, however it was found (ctr reads no crictl setting). */
const ctrAddressFlag = (tools: NextTools): string => {
  const at = tools.address ?? tools.socket;
  return at ? ` --address ${shellWord(at)}` : '';
};

export function nextStep(f: Finding, prefix: string, tools: NextTools = { crictl: true }): string {
  const cri = tools.socket ? [`--cri=${tools.socket}`] : [];
  const vc = (cmd: string, ...words: string[]) =>
    ['vcstore', ...(prefix ? ['--prefix', shellWord(prefix)] : []), cmd, ...[...(cmd === 'rm' || cmd === 'check' ? cri : []), ...words].map(shellWord)].join(
      ' ',
    );
  const ctrAt = ctrAddressFlag(tools);
  const crictl = (cmd: string, id: string) => `crictl${crictlEndpointFlag(tools.socket)} ${cmd} ${shellWord(id)}`;
  // A READY pod is stopped, then removed (crictl's words); a NOTREADY one only removed. ctr's commands only where
  // containerd serves no CRI and crictl is not installed: with a CRI plugin, ctr would leave the plugin's own record.
  const teardown = (id: string, ready = true) =>
    tools.crictl || tools.api !== 'containerd'
      ? ready
        ? `${crictl('stopp', id)} && ${crictl('rmp', id)}`
        : `Give kubelet time to remove the pod; if it stays, ${crictl('rmp', id)}`
      : ['tasks kill -s SIGKILL', 'tasks delete', 'containers delete'].map((c) => `ctr${ctrAt} -n k8s.io ${c} ${shellWord(id)}`).join('; ');
  // The manager still has the pod: its teardown goes first, through the shim, whatever else is wrong.
  const leftToManager = f.code === 'cri-stuck' || f.code === 'cri-notready';
  if (!f.container && !leftToManager) {
    if (tools.stuck?.has(f.id)) return teardown(f.id);
    if (tools.notready?.has(f.id)) return teardown(f.id, false);
  }
  // containerd's bundle still mounted keeps the sandbox: undoing it comes first, for every finding of it.
  const bundled = tools.bundle?.get(f.id);
  if (bundled && f.code !== 'bundle-mounted' && !leftToManager && !f.container) return nextOf(bundled, vc, teardown, tools);
  // Named and silent, the manager makes every removal refuse: asking it again comes first.
  const step = nextOf(f, vc, teardown, tools);
  if (tools.unreachable && f.code !== 'cri-unreachable' && /^vcstore( .*)? rm /.test(step))
    return `Start the container manager (or name the endpoint it answers on with --cri=ENDPOINT) and check again: while it cannot be asked, ${step} refuses`;
  // What the fix removes whole takes this finding with it.
  if (tools.going?.has(f.id) && !WHOLE.has(f.code) && !leftToManager) return vc('rm', f.id);
  return step;
}

function nextOf(f: Finding, vc: (cmd: string, ...words: string[]) => string, teardown: (id: string, ready?: boolean) => string, tools: NextTools): string {
  const fixOnly = () => vc('check', '--fix', '--only', f.code);
  const ps = (list: number[]) => {
    const real = list.filter((n) => n > 0);
    return real.length ? `ps -o pid,etime,args -p ${real.join(',')}` : null;
  };
  const e = f.evidence;
  const sid = f.id;
  switch (f.code) {
    case 'hypervisor-dead':
    case 'sandbox-stale':
    case 'empty-shell':
    case 'removal-unfinished':
    case 'runtime-missing':
    case 'config-missing':
      return vc('rm', sid);
    case 'liveness-unknown':
      return (
        ps(typeof e.pid === 'number' ? [e.pid] : []) ??
        `Find out whether the sandbox still runs (its shim or hypervisor on the host, from the host's pid namespace); if not, ${vc('rm', '--force', sid)}`
      );
    case 'container-dead':
      return f.container ? vc('set', sid, f.container, 'state', '--state', 'stopped') : vc('show', sid);
    case 'corrupt-item':
    case 'bad-shape':
    case 'unreadable-item': {
      // The item by the name set takes (its file's name without .json), its good JSON on standard input.
      const file = str(e.path)?.split('/').pop() ?? '';
      const item = file.replace(/\.json$/, '') || 'state';
      return `Write a good copy of it with ${vc('set', sid, ...(f.container ? [f.container] : []), item, '-')} (its JSON on standard input), or remove the sandbox with ${vc('rm', sid)} once its pod is gone`;
    }
    case 'symlink':
    case 'not-a-store-dir':
      return `Look at ${shellWord(str(e.path) ?? sid)} and remove it by hand if nothing needs it: vcstore never follows or removes it`;
    case 'orphan-vm-dir':
      return vc('rm', sid);
    case 'config-shell':
    case 'shared-dir-leaked':
      return fixOnly();
    case 'lock-holder-gone':
      return `Find the holder from the host's pid namespace (grep the lock's inode in /proc/locks); ${vc('show', sid)} names the lock`;
    case 'lock-held-long':
    case 'lock-waiter-stuck':
      return ps(typeof e.pid === 'number' ? [e.pid] : []) ?? vc('show', sid);
    case 'mounts-leaked':
      if (e.live === true)
        return `Once the pod no longer uses them, umount -l the mount points below ${shellWord(str(e.shared) ?? sid)}; vcstore leaves mounts under a live sandbox alone`;
      return e.shared !== undefined ? fixOnly() : vc('rm', '--unmount', sid);
    case 'processes-orphaned':
    case 'orphan-vm-live':
      return ps(f.code === 'orphan-vm-live' ? (typeof e.pid === 'number' ? [e.pid] : []) : pids(e.processes)) ?? vc('check');
    case 'uuid-leaked':
      return typeof e.slot === 'number' ? vc('uuid', 'free', String(e.slot)) : fixOnly();
    case 'uuid-store-bad':
      return `Look at ${shellWord(str(e.path) ?? 'the UUID store (uuid.json)')}: restore it, or remove it once no ACRN sandbox runs`;
    case 'cri-unknown':
      return e.live === true ? `A VM nobody manages: ${vc('show', sid)} names its processes; stop them, then ${vc('rm', sid)}` : vc('rm', sid);
    case 'cri-stuck':
    case 'cri-missing':
      // crictl goes through the CRI, which tears the pod down through the shim; ctr only where it is absent.
      return teardown(sid);
    case 'bundle-mounted': {
      const ms = Array.isArray(e.mounts) ? (e.mounts as { id: string; namespace: string; path: string }[]) : [];
      const umount = `umount ${ms.map((m) => shellWord(m.path)).join(' ')}`;
      // containerd's CRI no longer lists the pod: nothing of containerd will undo it.
      if (e.forgotten === true) return umount;
      const m = ms[0];
      if (!m) return vc('show', sid);
      const ctr = (c: string) => `ctr${ctrAddressFlag(tools)} -n ${shellWord(m.namespace)} ${c} ${shellWord(m.id)}`;
      return `containerd's teardown first: ${ctr('tasks delete -f')}; ${ctr('containers delete')}; once containerd no longer has it, ${umount}`;
    }
    case 'cri-notready':
      return teardown(sid, false);
    case 'cri-unreachable':
      return `Start the container manager (or name its endpoint with --cri=ENDPOINT), then ${vc('check', ...(tools.socket ? [] : [`--cri=${str(e.socket) ?? ''}`]))} again; --no-cri leaves it out`;
    case 'netns-leaked':
      if (e.busy !== true) return vc('rm', sid);
      return Array.isArray(e.users) && e.users.length
        ? `ps -o pid,etime,args -p ${(e.users as number[]).join(',')}`
        : `Find what uses ${shellWord(str(e.path) ?? 'the namespace')} (lsns -t net), then ${vc('rm', sid)}`;
    case 'cgroup-leaked': {
      const busy = Array.isArray(e.cgroups) ? (e.cgroups as { path: string; procs: number | null }[]).find((c) => c.procs !== 0) : undefined;
      if (busy) return `cat ${shellWord(`${busy.path}/cgroup.procs`)}`;
      if (e.busy === true) return `Look at the cgroup path the store records; vcstore never follows one that escapes its hierarchy`;
      return e.store === false ? fixOnly() : vc('rm', sid);
    }
  }
}

/** The endpoint --cri named when it is not containerd's default: the one a printed command must name (crictl and vcstore find the others themselves). */
export const namedEndpoint = (where: CriWhere | null | undefined): string | null =>
  where?.from === 'flag' && where.socket !== DEFAULT_CONTAINERD_SOCKET ? where.socket : null;
