// What the operator typed, resolved to sandboxes and containers: an exact
// ID, a unique prefix of one (as `ls` prints them, 12 characters), or a pod
// as NAMESPACE/NAME (an ID never holds a `/`). An exact ID always wins; an
// argument of 64 characters or more (the runtime's IDs are 64) is only ever
// exact, so a full ID that is gone never names a longer one; to change
// something, a prefix reaches only IDs shaped as the runtime's (64 hex), so
// `rm web` run twice never reaches `web2`; under --force or
// --ignore-not-found only a whole ID that exists now counts. Ambiguity is a
// usage error that lists the candidates, before anything changes.
import { join } from 'node:path';
import { NotFoundError, UsageError } from '../fs/errors.js';
import { isValidId, quote, validateId } from '../fs/ids.js';
import { lstatOrUndef } from '../fs/read.js';
import type { Roots } from '../fs/roots.js';
import { ageSecs, humanAge } from '../fs/units.js';
import type { Pod } from '../layouts/pod.js';
import { containerCandidates, isContainerName, rootListing } from '../read/scan.js';
import { isContainerOf, itemOf, requireContainer, requireSandbox, type SandboxHandle } from './handle.js';
import type { ItemRef } from '../layouts/index.js';
import { forEachSandbox, podsOf, type SandboxInfo } from './inspect.js';

/** Arguments this long are IDs as the runtime makes them: exact only. */
export const FULL_ID = 64;

export interface Resolved {
  id: string;
  /** How the argument named it. */
  via: 'exact' | 'prefix' | 'pod';
  /** What was typed. */
  given: string;
}

export const isPodTarget = (arg: string): boolean => arg.includes('/');

/** Kubernetes names: a namespace is a DNS-1123 label, a pod name a DNS-1123 subdomain. */
const NAMESPACE_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const POD_NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** NAMESPACE/NAME as Kubernetes spells them; anything else with a `/` is a usage error (no path is ever made of it). */
export function parsePod(arg: string): { namespace: string; name: string } {
  const parts = arg.split('/');
  const [namespace, name] = parts;
  if (parts.length !== 2 || namespace === undefined || name === undefined || !NAMESPACE_RE.test(namespace) || !POD_NAME_RE.test(name))
    throw new UsageError(`invalid pod ${quote(arg)}: give NAMESPACE/NAME as Kubernetes names them (a sandbox ID never holds a "/")`);
  return { namespace, name };
}

/** A namespace and pod name a target can take (what completion may offer). */
export const isPodName = (namespace: string, name: string): boolean => NAMESPACE_RE.test(namespace) && POD_NAME_RE.test(name);

const podMatches = (pod: Pod | null, want: { namespace: string; name: string }) => pod?.namespace === want.namespace && pod.name === want.name;

/** Does any root (a store, a VM dir, a shared dir), or an unfinished removal, hold this exact ID? */
function existsExactly(roots: Roots, id: string, ids: () => string[]): boolean {
  for (const dir of [roots.config, roots.run, roots.kata, roots.vm, roots.shared]) if (lstatOrUndef(join(dir, id))) return true;
  return ids().includes(id);
}

/** The runtime's IDs (containerd's): 64 hex characters. Only these are ever reached by a prefix to change something. */
const RUNTIME_ID = /^[0-9a-f]{64}$/;

/** Sandboxes of a pod, inspected (no lock report, no host picture): what a choice needs, age and state. */
export function sandboxesOfPod(roots: Roots, want: { namespace: string; name: string }): { found: SandboxInfo[]; unknown: string[] } {
  const found: SandboxInfo[] = [];
  const unknown: string[] = [];
  forEachSandbox(
    roots,
    (s) => {
      if (podMatches(s.pod, want)) found.push(s);
      else if (s.podUnknown) unknown.push(s.id);
    },
    { lockless: true },
  );
  return { found, unknown };
}

const describe = (s: SandboxInfo) => {
  const age = ageSecs(s.created);
  return `${s.id} (${age === null ? 'age unknown' : `created ${humanAge(age)} ago`}, ${s.state ?? 'no state'})`;
};

/**
 * One argument to the sandboxes it names. `many`: a pod may name several
 * (reading commands show each); otherwise a pod with more than one sandbox
 * is a usage error listing each with its age and state. None: not found.
 */
export function resolveSandbox(roots: Roots, arg: string, o: { many?: boolean; change?: boolean; exact?: string } = {}): Resolved[] {
  if (o.exact !== undefined) return [resolveExact(roots, arg, o.exact)];
  if (isPodTarget(arg)) {
    const want = parsePod(arg);
    const { found, unknown } = sandboxesOfPod(roots, want);
    // To change something, every sandbox must be known not to be the pod's: one whose spec cannot be read might be.
    if (o.change && unknown.length)
      throw new UsageError(
        `cannot tell which sandboxes belong to pod ${quote(arg)}: the pod of ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''} cannot be read; name the sandbox by ID`,
      );
    if (!found.length) throw new NotFoundError(`no sandbox of pod ${quote(arg)} in the store`);
    if (found.length > 1 && !o.many) throw new UsageError(`pod ${quote(arg)} has ${found.length} sandboxes; name one by ID: ${found.map(describe).join('; ')}`);
    return found.map((s) => ({ id: s.id, via: 'pod' as const, given: arg }));
  }
  validateId(arg);
  let listed: string[] | undefined;
  const ids = () => (listed ??= rootListing(roots).map((e) => e.id));
  if (existsExactly(roots, arg, ids) || arg.length >= FULL_ID) return [{ id: arg, via: 'exact', given: arg }];
  const all = ids().filter((id) => id.startsWith(arg));
  // A name not shaped like the runtime's IDs (a test's, ctr's) must be given whole to change anything:
  // `rm -f web` run twice must not reach `web2`.
  const hits = o.change ? all.filter((id) => RUNTIME_ID.test(id)) : all;
  if (o.change && !hits.length && all.length)
    throw new UsageError(
      `no sandbox is named ${quote(arg)}; ${all.slice(0, 5).join(', ')} start${all.length === 1 ? 's' : ''} with it, but only IDs of 64 hex characters are reached by a prefix to change something: give the whole ID`,
    );
  if (hits.length === 1) return [{ id: hits[0] ?? arg, via: 'prefix', given: arg }];
  if (hits.length > 1) throw new UsageError(ambiguous('sandbox', arg, hits));
  throw new NotFoundError(`sandbox ${quote(arg)} not found${podHint(roots, arg)}`);
}

/** A bare pod name where a sandbox was looked for: `; did you mean default/web-1?` when a pod of that name is in the store. */
function podHint(roots: Roots, arg: string): string {
  if (!POD_NAME_RE.test(arg)) return '';
  const named = [
    ...new Set(
      podsOf(roots)
        .filter((p) => p.name === arg && p.namespace !== null)
        .map((p) => `${p.namespace}/${p.name}`),
    ),
  ].sort();
  return named.length ? `; did you mean ${named.slice(0, 3).join(' or ')}${named.length > 3 ? ' or …' : ''}?` : '';
}

/**
 * Under `flag` (--force, --ignore-not-found) a destructive command acts only
 * on a whole ID that names something now: never a prefix and never a pod,
 * whose meaning can move between two runs (`rm -f abcd` run twice must not
 * reach a live `abcd…` the first run did not name; a pod's sandbox may be a
 * new one). Anything else is not found (3), and a pod is a usage error.
 */
function resolveExact(roots: Roots, arg: string, flag: string): Resolved {
  if (isPodTarget(arg)) throw new UsageError(`${flag} acts only on whole sandbox IDs, not on pod ${quote(arg)}: name its sandbox by ID (vcstore ls shows it)`);
  validateId(arg);
  if (existsExactly(roots, arg, () => rootListing(roots).map((e) => e.id))) return { id: arg, via: 'exact', given: arg };
  throw new NotFoundError(`sandbox ${quote(arg)} not found (${flag} takes whole IDs only, never a prefix)`);
}

/** The one sandbox an argument names (destructive and single-target commands). */
export function resolveOne(roots: Roots, arg: string, o: { change?: boolean; exact?: string } = {}): Resolved {
  const [r] = resolveSandbox(roots, arg, o);
  if (!r) throw new NotFoundError(`sandbox ${quote(arg)} not found`);
  return r;
}

export function ambiguous(what: string, arg: string, hits: string[]): string {
  const shown = hits.slice(0, 10).join(', ');
  return `ambiguous ${what} ID prefix ${quote(arg)}: it matches ${hits.length} ${what === 'sandbox' ? 'sandboxes' : `${what}s`} (${shown}${hits.length > 10 ? ', …' : ''}); type more of it`;
}

/** Container IDs of a sandbox: directories that hold a container item. */
export function containerIds(h: SandboxHandle): string[] {
  const { dirs } = containerCandidates(h.scan.cfg, h.scan.run);
  return dirs.filter((cid) => isContainerOf(h, cid));
}

/**
 * A container of the sandbox by exact ID or unique prefix; null when the
 * word names none (it may be an item name: the caller decides).
 */
export function matchContainer(h: SandboxHandle, arg: string): { cid: string; via: 'exact' | 'prefix' } | null {
  if (!isValidId(arg)) return null;
  if (isContainerOf(h, arg)) return { cid: arg, via: 'exact' };
  if (arg.length >= FULL_ID) return null;
  const hits = containerIds(h).filter((c) => c.startsWith(arg));
  if (hits.length > 1) throw new UsageError(ambiguous('container', arg, hits));
  return hits[0] === undefined ? null : { cid: hits[0], via: 'prefix' };
}

/** A container that must exist: exact or unique prefix, else not found (3). */
export function resolveContainer(h: SandboxHandle, arg: string): string {
  validateId(arg, 'container ID');
  if (!isContainerName(arg)) throw new UsageError(`invalid container ID ${quote(arg)}: that name is an item of the sandbox, never a container`);
  const m = matchContainer(h, arg);
  if (!m) throw new NotFoundError(`container ${quote(arg)} not found in sandbox ${h.id}`);
  requireContainer(h, m.cid);
  return m.cid;
}

export interface Target {
  cid?: string;
  item?: ItemRef;
}

/**
 * `SID [CID] [ITEM]`: with two words, a container (exact or unique prefix)
 * and an item. With one: an existing container's exact ID, then an item
 * name, then a unique container prefix; a word no item is called is a
 * container not found (3); anything else is an unknown item (exit 2) and
 * the message lists the valid names.
 */
export function parseTarget(h: SandboxHandle, a?: string, b?: string): Target {
  if (a === undefined) return {};
  if (b !== undefined) {
    const cid = resolveContainer(h, a);
    return { cid, item: itemOf(h, cid, b) };
  }
  if (isValidId(a) && isContainerOf(h, a)) {
    requireContainer(h, a);
    return { cid: a };
  }
  if (h.layout.item(h.roots, h.id, undefined, a)) return { item: itemOf(h, undefined, a) };
  const m = matchContainer(h, a);
  if (m) {
    requireContainer(h, m.cid);
    return { cid: m.cid };
  }
  // A word no item is ever called (item names are letters and dots, or a 1.x item's number) is a
  // container that is not there (3): a script asking for a container that is gone can tell that from a typo (2).
  if (!ITEM_WORD.test(a) && isValidId(a) && isContainerName(a)) throw new NotFoundError(`container ${quote(a)} not found in sandbox ${h.id}`);
  return { item: itemOf(h, undefined, a) };
}

/** What an item name can look like, in any layout: `state`, `persist.json`, `DeviceIDs`, the 1.x numbers `0`…`10`. */
const ITEM_WORD = /^([A-Za-z][A-Za-z.]*|\d{1,2})$/;

/** The one sandbox an argument names, opened: what show, set, raw and lock work on. */
export function openTarget(roots: Roots, arg: string, o: { change?: boolean; exact?: string } = {}): { h: SandboxHandle; r: Resolved } {
  const r = resolveOne(roots, arg, o);
  return { h: requireSandbox(roots, r.id), r };
}
