// Which sandboxes a listing or a check is about: ls and check take the same
// selection options (namespace, pod, state, hypervisor, layout, age), and
// ls one more (a problem code). Validated once, before anything is read.
import { UsageError } from '../fs/errors.js';
import { quote } from '../fs/ids.js';
import { ageSecs, parseDuration } from '../fs/units.js';
import { STATES } from '../layouts/items.js';
import type { Pod } from '../layouts/pod.js';
import { CODES } from '../read/problems.js';

export interface SelectOptions {
  namespace?: string;
  pod?: string;
  state?: string;
  hypervisor?: string;
  layout?: string;
  olderThan?: string;
  problem?: string;
}

/** What a selection looks at: the same fields in ls's records and check's. */
export interface Selectable {
  pod: Pod | null;
  state: string | null;
  layout: string;
  hypervisor: string | null;
  created: string | null;
  codes: readonly string[];
}

export interface Selection {
  /** Is anything selected out at all? (Store-wide findings belong to no selection.) */
  any: boolean;
  test(s: Selectable): boolean;
}

const LAYOUTS = ['legacy', 'persist', 'runtime-rs'];
/** Hypervisor types as the runtimes record them (Go: HypervisorType; runtime-rs: hypervisor_type). */
export const HYPERVISORS = ['qemu', 'clh', 'cloud-hypervisor', 'firecracker', 'acrn', 'dragonball', 'stratovirt', 'remote', 'none'];

export function selection(o: SelectOptions, now = Date.now()): Selection {
  if (o.state !== undefined && o.state !== 'none' && !(STATES as readonly string[]).includes(o.state))
    throw new UsageError(`invalid --state ${quote(o.state)}: one of ${STATES.join(', ')}, none`);
  if (o.layout !== undefined && !LAYOUTS.includes(o.layout)) throw new UsageError(`invalid --layout ${quote(o.layout)}: one of ${LAYOUTS.join(', ')}`);
  if (o.hypervisor !== undefined && !HYPERVISORS.includes(o.hypervisor))
    throw new UsageError(`invalid --hypervisor ${quote(o.hypervisor)}: one of ${HYPERVISORS.join(', ')}`);
  if (o.problem !== undefined && !(o.problem in CODES)) throw new UsageError(`unknown problem code ${quote(o.problem)}: see the codes in vcstore(1) or README`);
  let olderThan: number | undefined;
  if (o.olderThan !== undefined) {
    const secs = parseDuration(o.olderThan);
    if (secs === null || !Number.isFinite(secs))
      throw new UsageError(`invalid --older-than ${quote(o.olderThan)}: a duration such as 90s, 10m, 2h, 3d or 1h30m`);
    olderThan = secs;
  }
  let podNs: string | undefined;
  let podName: string | undefined;
  if (o.pod !== undefined) {
    const parts = o.pod.split('/');
    if (parts.length > 2 || parts.some((p) => p === '')) throw new UsageError(`invalid --pod ${quote(o.pod)}: NAME or NAMESPACE/NAME`);
    [podNs, podName] = parts.length === 2 ? [parts[0], parts[1]] : [undefined, parts[0]];
    if (podNs !== undefined && o.namespace !== undefined && podNs !== o.namespace)
      throw new UsageError(`--pod ${quote(o.pod)} and --namespace ${quote(o.namespace)} name different namespaces`);
  }
  const ns = o.namespace ?? podNs;
  const checks: ((s: Selectable) => boolean)[] = [];
  if (ns !== undefined) checks.push((s) => s.pod?.namespace === ns);
  if (podName !== undefined) checks.push((s) => s.pod?.name === podName);
  if (o.state !== undefined) checks.push((s) => (o.state === 'none' ? s.state === null : s.state === o.state));
  if (o.hypervisor !== undefined) checks.push((s) => (o.hypervisor === 'none' ? s.hypervisor === null : s.hypervisor === o.hypervisor));
  if (o.layout !== undefined) checks.push((s) => s.layout === o.layout);
  if (olderThan !== undefined) {
    const min = olderThan;
    // An age that cannot be told is never old enough: a selection that leads to removal must not guess.
    checks.push((s) => (ageSecs(s.created, now) ?? -1) > min);
  }
  if (o.problem !== undefined) checks.push((s) => s.codes.includes(o.problem ?? ''));
  return { any: checks.length > 0, test: (s) => checks.every((c) => c(s)) };
}
