// Writing an item as the runtime can load it: the change applied to the
// item's literal text (numbers stay exactly as given, key order is kept),
// then judged against the runtime's types before anything is written. A
// value the runtime cannot load is a usage error naming the JSON path and
// what was wanted; a key the runtime's types do not have is refused too,
// since the runtime would drop it silently (a typo), unless asked to write it.
import { CorruptItemError, readText } from '../fs/read.js';
import { NotFoundError, UsageError } from '../fs/errors.js';
import { litSet, parseLit, type Lit } from '../fs/jsonlit.js';
import { LitSyntaxError } from '../fs/jsonscan.js';
import { goFold } from '../fs/gojson.js';
import type { Judgement } from './judge.js';
import { keyPath, verdictText, type UnknownKey } from './validate.js';

/** What a set changes: the whole item (or section) from its input, or only the state. */
export type Change = { input: Lit } | { state: string };

export interface RewriteOptions {
  /** Write keys the runtime's types do not have (it ignores them). */
  allowUnknownKeys?: boolean;
}

/** The item's current literal text: absent and corrupt files are written anew. */
export function readCurrentLit(path: string, firstValue: boolean): { lit: Lit | undefined; current: 'ok' | 'absent' | 'corrupt' } {
  try {
    return { lit: parseLit(readText(path).text, !firstValue).value, current: 'ok' };
  } catch (e) {
    if (e instanceof NotFoundError) return { lit: undefined, current: 'absent' };
    if (e instanceof CorruptItemError || e instanceof LitSyntaxError) return { lit: undefined, current: 'corrupt' };
    throw e;
  }
}

/** The item with its state replaced: `state` (any case; 1.x) or `State` (persist), where it was. */
export function withStateLit(cur: Lit | undefined, key: string, state: string): Lit {
  return litSet(cur?.t === 'object' ? cur : { t: 'object', m: [] }, key, { t: 'string', v: state, escaped: false });
}

/**
 * Refuse what the runtime cannot load, and (unless allowed) keys it would
 * drop. `before`: the unknown keys the item had already, which are the
 * runtime's own business, not this write's.
 */
export function refuseUnless(name: string, j: Judgement, o: RewriteOptions, before: UnknownKey[] = []): void {
  if (j.verdict) throw new UsageError(`invalid ${name}: ${verdictText(j.verdict)}; nothing was written`);
  if (o.allowUnknownKeys) return;
  const old = new Set(before.map((u) => `${u.path}\0${u.key}`));
  const added = j.unknown.filter((u) => !old.has(`${u.path}\0${u.key}`));
  const first = added[0];
  if (first)
    throw new UsageError(
      `invalid ${name}: ${keyPath(first)}: no such key in the runtime's type${added.length > 1 ? ` (+${added.length - 1} more)` : ''}, so the runtime would drop it (a typo?); nothing was written; --allow-unknown-keys writes it anyway`,
    );
}

/**
 * A one-document item with one section replaced by `input`: '' the whole
 * document, 'state' the keys outside the big sections (the document's in
 * their order, then the input's new ones), else that top-level key. Keys
 * are matched as Go matches them; linear in the document and the input.
 */
export function replaceSectionLit(doc: Lit | undefined, section: string, input: Lit, big: string[], path: string): Lit {
  if (section === '') return input;
  if (doc?.t !== 'object') throw new UsageError(`${path} is not a JSON object: set the whole document instead`);
  if (section !== 'state') return litSet(doc, section, input);
  if (input.t !== 'object') throw new UsageError('invalid state item: must be a JSON object');
  const isBig = new Set(big.map(goFold));
  // The input's value for each folded key: the last, as Go would read the input.
  const given = new Map<string, [string, Lit]>();
  for (const [k, v] of input.m) {
    if (isBig.has(goFold(k)))
      throw new UsageError(`invalid state item: ${JSON.stringify(k)} is a section of its own, not part of the state item: set that section`);
    given.set(goFold(k), [k, v]);
  }
  const m: [string, Lit][] = [];
  const placed = new Set<string>();
  for (const [k, v] of doc.m) {
    const f = goFold(k);
    if (isBig.has(f)) m.push([k, v]);
    else {
      const nv = given.get(f);
      if (nv && !placed.has(f)) {
        m.push([k, nv[1]]);
        placed.add(f);
      }
    }
  }
  for (const [f, kv] of given) if (!placed.has(f) && !isBig.has(f)) m.push(kv);
  return { t: 'object', m };
}
