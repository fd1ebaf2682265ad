// Would the runtime load this item, and is it an item the runtime has at
// that level? The generated schemas decide the types (validate.ts); beyond
// them one rule of meaning: a state is one of ready, running, paused,
// stopped (the runtime's state machine knows no other). Shared by check
// (every item of every sandbox) and set (before anything is written).
import { field, goFold, isObject } from '../fs/gojson.js';
import type { Judge, Shape } from '../read/reader.js';
import { STATES } from './items.js';
import type { SchemaItem, SchemaNode, SchemaSet } from './schema-types.js';
import { LEGACY_HYPERVISORS, legacyItem, persistFlavor, schemaSet } from './schemas.js';
import { jqPath, validateText, type UnknownKey, type Verdict } from './validate.js';

export interface Judgement {
  verdict: Verdict | null;
  unknown: UnknownKey[];
  /** With `topKey`: the string the top-level member of that key holds (validate.ts, ValidateResult.top). */
  top?: string;
}

const stateRule = (value: unknown, key: string): Verdict | null => {
  const s = field(value, key);
  return s === undefined || (typeof s === 'string' && (STATES as readonly string[]).includes(s))
    ? null
    : { path: `.${key}`, message: `want one of ${STATES.join(', ')}, got ${JSON.stringify(s)}` };
};

/**
 * A 1.x item (`file` in a sandbox's or a container's directories), judged as
 * the 1.x store loads it (json.Unmarshal of the whole file). `hypervisor`
 * names which hypervisor's state hypervisor.json holds, when known; when not,
 * any of them loading it is enough. Null verdict, and no item: `missing`.
 * `topKey`: also give the string that top-level key holds, read in the same
 * pass (a sandbox config.json's HypervisorType, without a second scan).
 */
export function judgeLegacy(
  text: string,
  file: string,
  container: boolean,
  hypervisor: string | null,
  collectUnknown = false,
  topKey?: string,
): Judgement | 'no-such-item' {
  const first = legacyItem(file, container, hypervisor ?? undefined);
  if (!first) return 'no-such-item';
  const set = schemaSet('legacy');
  const tries: SchemaItem[] =
    file === 'hypervisor.json' && hypervisor === null
      ? LEGACY_HYPERVISORS.map((h) => legacyItem(file, false, h)).filter((x): x is SchemaItem => x !== null)
      : [first];
  let best: Judgement | null = null;
  for (const item of tries) {
    const r = validateText(set, item, text, collectUnknown, topKey);
    if (!r.verdict) {
      best = r;
      break;
    }
    best ??= r;
  }
  const j = best ?? { verdict: null, unknown: [] };
  if (!j.verdict && file === 'state.json') j.verdict = stateRule(JSON.parse(text), 'state');
  return j;
}

/**
 * A persist.json, judged as the persist driver reads it: the first JSON value
 * only (json.Decoder.Decode; trailing bytes are never looked at), against the
 * driver that wrote it, told by its keys: both drivers write PersistVersion
 * 2. When nothing tells them apart, either one loading it is enough.
 */
export function judgePersist(text: string, container: boolean, collectUnknown = false): Judgement {
  const key = container ? 'container/persist.json' : 'sandbox/persist.json';
  const judge = (name: 'persist-3' | 'persist-1.11') => {
    const set = schemaSet(name);
    const item = set.items[key];
    return item ? validateText(set, item, text, collectUnknown) : { verdict: null, unknown: [], end: text.length };
  };
  const newer = judge('persist-3');
  if (newer.verdict?.syntax) return newer;
  const value = JSON.parse(text.slice(0, newer.end)) as unknown;
  const flavor = persistFlavor(value, container);
  let j: Judgement = newer;
  if (flavor === 'persist-1.11' || (flavor === 'both' && newer.verdict)) {
    const older = judge('persist-1.11');
    if (flavor === 'persist-1.11' || !older.verdict) j = older;
  }
  if (!j.verdict) j = { ...j, verdict: stateRule(value, 'State') };
  return j;
}

/** As a Reader judge: the verdict's path and message, or null. */
export const asJudge =
  (f: (text: string) => Judgement | 'no-such-item'): Judge =>
  (text) => {
    const j = f(text);
    if (j === 'no-such-item' || !j.verdict) return null;
    return { at: jqPath(j.verdict.path), detail: j.verdict.message, ...(j.verdict.syntax ? { syntax: true as const } : {}) };
  };

const want = (at: string, detail: string) => ({ at, detail });
const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : JSON.stringify(v));
const intOrAbsent = (obj: unknown, key: string, at: string) => {
  const v = field(obj, key);
  return v === undefined || v === null || (typeof v === 'number' && Number.isInteger(v)) ? null : want(`${at}.${key}`, `want an integer, got ${typeName(v)}`);
};

/**
 * The listing's look (ls, show's header): only the fields it uses, on the
 * parsed value, at the cost of a few property reads. check judges every
 * byte against the schemas and says more; what the listing flags, check
 * flags too.
 */
export function listingShape(kind: 'state' | 'process' | 'object' | 'agent' | 'persist' | 'persist-container'): Shape {
  return (v) => {
    if (!isObject(v)) return want('.', `want an object, got ${typeName(v)}`);
    switch (kind) {
      case 'state': {
        const r = stateRule(v, 'state');
        return r && want(r.path, r.message);
      }
      case 'process':
        return intOrAbsent(v, 'Pid', '');
      case 'agent':
        return intOrAbsent(v, 'ProxyPid', '');
      case 'object':
        return null;
      case 'persist':
      case 'persist-container': {
        const r = stateRule(v, 'State');
        if (r) return want(r.path, r.message);
        const sub = field(v, kind === 'persist' ? 'HypervisorState' : 'Process');
        if (sub !== undefined && sub !== null && !isObject(sub))
          return want(`.${kind === 'persist' ? 'HypervisorState' : 'Process'}`, `want an object, got ${typeName(sub)}`);
        return intOrAbsent(sub, 'Pid', `.${kind === 'persist' ? 'HypervisorState' : 'Process'}`);
      }
    }
  };
}

/** The struct a node stands for, through refs and pointers. */
function structOf(set: SchemaSet, t: SchemaNode | undefined): Extract<SchemaNode, { k: 'struct' }> | null {
  for (let n = t, i = 0; n && i < 8; i++) {
    if (n.k === 'struct') return n;
    n = n.k === 'ref' ? set.types[n.to] : n.k === 'ptr' ? n.of : undefined;
  }
  return null;
}

/**
 * One section of a persist.json on its own (set's input, judged before the
 * lock is taken): against that field's type in either driver; `state` and
 * the whole document as a document.
 */
export function judgePersistSection(text: string, container: boolean, section: string): Judgement {
  if (section === '' || section === 'state') return judgePersist(text, container);
  const key = container ? 'container/persist.json' : 'sandbox/persist.json';
  let first: Judgement | null = null;
  for (const name of ['persist-3', 'persist-1.11'] as const) {
    const set = schemaSet(name);
    const f = structOf(set, set.items[key]?.t)?.fields.find((x) => goFold(x.key) === goFold(section));
    if (!f) continue;
    const r = validateText(set, { decoder: 'unmarshal', t: f.t }, text);
    if (!r.verdict) return r;
    first ??= { verdict: { ...r.verdict, path: r.verdict.syntax ? '' : `.${f.key}${r.verdict.path}` }, unknown: [] };
  }
  return first ?? { verdict: null, unknown: [] };
}
