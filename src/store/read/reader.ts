// One reader per sandbox inspection: every item is read and parsed at most
// once, whether the listing's part of the inspection or check's deeper part
// asks for it. A bad item becomes a typed problem, never a failed listing.
import { NotFoundError, StoreError, UsageError, VcError } from '../fs/errors.js';
import { CorruptItemError, hasFastRead, jsonKind, lstatOrUndef, readJson, type JsonKind } from '../fs/read.js';
import { problem, type Problem } from './problems.js';

type Hit = { value: unknown } | { error: unknown };

export class Reader {
  private readonly hits = new Map<string, Hit>();
  private readonly reported = new Set<string>();
  constructor(readonly problems: Problem[]) {}

  /** Parsed JSON, or undefined when absent; a bad file adds one problem (once per path). */
  json(path: string, o: { container?: string; validate?: (v: unknown) => void; probe?: boolean } = {}): unknown {
    let hit = this.hits.get(path);
    if (!hit) {
      // Without the addon a failed open costs an exception, more than an
      // lstat: ask first when absence is likely. The addon reports it cheaply.
      if (o.probe && !hasFastRead() && !lstatOrUndef(path)) return undefined;
      try {
        hit = { value: readJson(path) };
      } catch (error) {
        hit = { error };
      }
      this.hits.set(path, hit);
    }
    if ('error' in hit) {
      if (hit.error instanceof NotFoundError) return undefined;
      this.report(path, hit.error, o.container);
      return undefined;
    }
    if (o.validate) {
      try {
        o.validate(hit.value);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        this.once(path, problem('bad-shape', { path, detail: e.message.replace(/^invalid /, '') }, opt(o.container)));
        return undefined;
      }
    }
    return hit.value;
  }

  /**
   * Only check an item whose value nobody needs: valid JSON of the `need`ed
   * kind, else the same problem json() would report. Not kept.
   */
  check(path: string, need: JsonKind, message: string, o: { container?: string } = {}): void {
    if (this.hits.has(path)) {
      this.json(path, {
        ...o,
        validate: (v) => {
          if ((need === 'object') !== (v !== null && typeof v === 'object' && !Array.isArray(v))) throw new UsageError(message);
        },
      });
      return;
    }
    try {
      if (jsonKind(path) !== need) this.once(path, problem('bad-shape', { path, detail: message.replace(/^invalid /, '') }, opt(o.container)));
    } catch (e) {
      if (e instanceof NotFoundError) return;
      this.report(path, e, o.container);
    }
  }

  /** The parsed value whatever its shape (undefined when absent or unparsable): for showing, never for deciding. */
  raw(path: string): unknown {
    const hit = this.hits.get(path);
    return hit && 'value' in hit ? hit.value : undefined;
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

const opt = (container?: string) => (container === undefined ? {} : { container });

/** The error's message without the path it starts with (the evidence holds the path). */
function detail(e: Error, path: string): string {
  return e.message.replace(`${path}: `, '').replace(` ${path}`, '');
}
