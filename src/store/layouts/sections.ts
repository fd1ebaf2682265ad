// Layouts that keep a whole sandbox (or container) in one JSON document:
// their items are the document's top-level sections, plus `state` (the
// document without its big sections) and the whole document itself.
import { UsageError } from '../fs/errors.js';
import { CorruptItemError, readText } from '../fs/read.js';
import { goFold } from '../fs/gojson.js';
import { litGet, parseLit, type Lit } from '../fs/jsonlit.js';
import { LitSyntaxError } from '../fs/jsonscan.js';
import type { ItemRef } from './types.js';

/** Item name to section key, per kind of document. */
export type Sections = Record<string, string>;

/** Resolve `name` against the sections (any case, 1.x names and file names too). */
export function sectionRef(path: string, name: string, sections: Sections, wholeNames: string[]): ItemRef | null {
  let key = name.toLowerCase().replace(/\.json$/, '');
  const aliases: Record<string, string> = { hv: 'hypervisor', net: 'network', dev: 'devices', cfg: 'config', configuration: 'config', proc: 'process' };
  key = aliases[key] ?? key;
  if (wholeNames.includes(key) || wholeNames.includes(name)) return { name: wholeNames[0] ?? key, path, section: '' };
  if (key === 'state') return { name: 'state', path, section: 'state' };
  const section = sections[key];
  if (section !== undefined) return { name: key, path, section };
  return null;
}

/** The keys outside the big sections, in their order (duplicates kept: the item as it is). */
function stateOf(doc: Lit, sections: Sections): Lit {
  const big = new Set(Object.values(sections).map(goFold));
  return { t: 'object', m: doc.t === 'object' ? doc.m.filter(([k]) => !big.has(goFold(k))) : [] };
}

/** A section of the document as the runtime reads it (the first JSON value; of a key given twice, the last), numbers exact. */
export function readSection(ref: ItemRef, sections: Sections, firstValue: boolean): Lit {
  const { text } = readText(ref.path);
  let doc: Lit;
  try {
    doc = parseLit(text, !firstValue).value;
  } catch (e) {
    if (!(e instanceof LitSyntaxError)) throw e;
    throw new CorruptItemError(`${ref.path}: corrupt JSON (${e.message})`, { path: ref.path });
  }
  if (ref.section === '') return doc;
  if (ref.section === 'state') return stateOf(doc, sections);
  const v = litGet(doc, ref.section ?? '');
  if (v === undefined) throw new UsageError(`${ref.path} has no ${ref.section} section`);
  return v;
}
