// One reader per sandbox inspection: every item is read and parsed at most
// once, whether the listing's part of the inspection or check's deeper part
// asks for it. A bad item becomes a typed problem, never a failed listing.
import { basename } from 'node:path';
import { NotFoundError, StoreError, VcError } from '../fs/errors.js';
import { CorruptItemError, hasFastRead, lstatOrUndef, parseFirst, parseText, readKeyPairs, readLimit, readText } from '../fs/read.js';
import { problem, type Problem } from './problems.js';

/** What a schema check says of an item's text: null when the runtime loads it. */
export type Judge = (text: string) => { at: string; detail: string; syntax?: true } | null;
/** A listing's cheap look at a parsed value (the fields it uses): null when fine. */
export type Shape = (value: unknown) => { at: string; detail: string } | null;

type Hit = { text: string; depthChecked: boolean; value?: { v: unknown } | { error: unknown } } | { error: unknown };

export class Reader {
  private readonly hits = new Map<string, Hit>();
  private readonly reported = new Set<string>();
  constructor(readonly problems: Problem[]) {}

  private read(path: string, probe: boolean): Hit | undefined {
    let hit = this.hits.get(path);
    if (!hit) {
      // Without the addon a failed open costs an exception, more than an
      // lstat: ask first when absence is likely. The addon reports it cheaply.
      if (probe && !hasFastRead() && !lstatOrUndef(path)) return undefined;
      try {
        hit = readText(path, readLimit(basename(path)));
      } catch (error) {
        hit = { error };
      }
      this.hits.set(path, hit);
    }
    return hit;
  }

  /** Parsed JSON, or undefined when absent; a file that is not JSON adds one problem (once per path). */
  json(path: string, o: { container?: string; probe?: boolean; first?: boolean; shape?: Shape } = {}): unknown {
    const hit = this.read(path, o.probe === true);
    if (!hit) return undefined;
    if ('error' in hit) {
      if (!(hit.error instanceof NotFoundError)) this.report(path, hit.error, o.container);
      return undefined;
    }
    if (!hit.value) {
      try {
        hit.value = { v: (o.first ? parseFirst : parseText)(hit.text, path, !hit.depthChecked) };
      } catch (error) {
        hit.value = { error };
      }
    }
    if ('error' in hit.value) {
      this.report(path, hit.value.error, o.container);
      return undefined;
    }
    const bad = o.shape?.(hit.value.v);
    if (bad) {
      this.once(path, problem('bad-shape', { path, at: bad.at, detail: bad.detail }, opt(o.container)));
      return undefined;
    }
    return hit.value.v;
  }

  /**
   * Check an item against what the runtime's loader accepts: a file that
   * cannot be read is reported as json() would, a verdict as bad-shape with
   * its JSON path and what was wanted.
   */
  schema(path: string, judge: Judge, o: { container?: string; probe?: boolean } = {}): void {
    const hit = this.read(path, o.probe === true);
    if (!hit) return;
    if ('error' in hit) {
      if (!(hit.error instanceof NotFoundError)) this.report(path, hit.error, o.container);
      return;
    }
    const v = judge(hit.text);
    if (!v) return;
    const p = v.syntax
      ? problem('corrupt-item', { path, detail: v.detail }, opt(o.container))
      : problem('bad-shape', { path, at: v.at, detail: v.detail }, opt(o.container));
    // The whole-item verdict says more than the listing's look at a few fields.
    const i = this.problems.findIndex((q) => q.code === 'bad-shape' && q.evidence.path === path);
    if (i >= 0) this.problems[i] = p;
    else this.once(path, p);
  }

  /**
   * A top-level string of a big item without parsing all of it (config.json's
   * HypervisorType): `pick` reads it from the text. Absent or unreadable:
   * undefined (check reports the item itself).
   */
  peek(path: string, pick: (text: string) => string | undefined, o: { probe?: boolean } = {}): string | undefined {
    const hit = this.read(path, o.probe === true);
    return hit && !('error' in hit) ? pick(hit.text) : undefined;
  }

  /**
   * What `peek(path, (t) => t)` would give textLookup and endsObject, for a
   * listing that needs only a big item's `"<prefix>…"` string members (the
   * pod annotations of a 1.x config.json): the addon hands back only those,
   * and the text is held only when it has to be read the careful way.
   */
  keyPairs(path: string, prefix: string): { text: string; endsObject: boolean } | undefined {
    if (!this.hits.has(path)) {
      const fast = readKeyPairs(path, prefix);
      if (fast === 'absent') {
        this.hits.set(path, { error: new NotFoundError(`${path}: no such file`) });
        return undefined;
      }
      if (fast) return { text: fast.pairs, endsObject: fast.endsObject };
    }
    return this.whole(path);
  }

  /** A big item's whole text and whether it ends an object (undefined when absent or unreadable), as keyPairs gives it. */
  whole(path: string): { text: string; endsObject: boolean } | undefined {
    const t = this.peek(path, (text) => text, { probe: true });
    return t === undefined ? undefined : { text: t, endsObject: endsObject(t) };
  }

  /** The parsed value whatever its shape (undefined when absent or unparsable): for showing, never for deciding. */
  raw(path: string): unknown {
    const hit = this.hits.get(path);
    return hit && !('error' in hit) && hit.value && 'v' in hit.value ? hit.value.v : undefined;
  }

  /** Was `path` there (read, or failed for a reason other than absence)? */
  present(path: string): boolean {
    const hit = this.hits.get(path);
    if (hit) return !('error' in hit && hit.error instanceof NotFoundError);
    return lstatOrUndef(path) !== undefined;
  }

  private report(path: string, e: unknown, container?: string): void {
    const c = opt(container);
    if (e instanceof CorruptItemError) this.once(path, problem('corrupt-item', { path, detail: detail(e, path) }, c));
    else if (e instanceof StoreError && e.symlink) this.once(path, problem('symlink', { path, what: 'item' }, c));
    else if (e instanceof VcError) this.once(path, problem('unreadable-item', { path, detail: detail(e, path) }, c));
    else throw e;
  }

  private once(path: string, p: Problem): void {
    if (this.reported.has(path)) return;
    this.reported.add(path);
    this.problems.push(p);
  }
}

/** Does the text end an object (after white space)? A cut-short file does not. */
function endsObject(t: string): boolean {
  let i = t.length - 1;
  while (i >= 0 && (t.charCodeAt(i) === 32 || t.charCodeAt(i) === 10 || t.charCodeAt(i) === 13 || t.charCodeAt(i) === 9)) i--;
  return t.charCodeAt(i) === 125;
}

const opt = (container?: string) => (container === undefined ? {} : { container });

/** The error's message without the path it starts with (the evidence holds the path). */
function detail(e: Error, path: string): string {
  return e.message.replace(`${path}: `, '').replace(` ${path}`, '');
}
