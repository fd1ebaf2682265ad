// Layouts that keep a whole sandbox (or container) in one JSON document:
// their items are the document's top-level sections, plus `state` (the
// document without its big sections) and the whole document itself.
import { UsageError } from '../fs/errors.js';
import { readJson } from '../fs/read.js';
import { field, isObject } from '../fs/gojson.js';
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

/** The value of a section of a document. */
export function sectionValue(doc: unknown, ref: ItemRef, sections: Sections): unknown {
  if (ref.section === '') return doc;
  if (ref.section === 'state') {
    const big = new Set(Object.values(sections).map((x) => x.toLowerCase()));
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(isObject(doc) ? doc : {})) if (!big.has(k.toLowerCase())) rest[k] = v;
    return rest;
  }
  return field(doc, ref.section ?? '');
}

export function readSection(ref: ItemRef, sections: Sections): unknown {
  const doc = readJson(ref.path);
  const v = sectionValue(doc, ref, sections);
  if (v === undefined) throw new UsageError(`${ref.path} has no ${ref.section} section`);
  return v;
}

/** The document with one section (or the state keys, or everything) replaced. */
export function replaceSection(doc: unknown, ref: ItemRef, value: unknown, sections: Sections): unknown {
  if (ref.section === '') return value;
  if (!isObject(doc)) throw new UsageError(`${ref.path} is not a JSON object: set the whole document instead`);
  const out: Record<string, unknown> = { ...doc };
  if (ref.section === 'state') {
    if (!isObject(value)) throw new UsageError('invalid state item: must be a JSON object');
    // Keep the document's key order: state keys stay where they were.
    const big = new Set(Object.values(sections).map((x) => x.toLowerCase()));
    const next: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(out)) {
      if (big.has(k.toLowerCase())) next[k] = v;
      else if (k in value) next[k] = value[k];
    }
    for (const [k, v] of Object.entries(value)) if (!(k in next)) next[k] = v;
    return next;
  }
  const section = ref.section ?? '';
  const key = Object.keys(out).find((k) => k.toLowerCase() === section.toLowerCase()) ?? section;
  out[key] = value;
  return out;
}
