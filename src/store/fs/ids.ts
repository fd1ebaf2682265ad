// Sandbox, container and raw item IDs are checked before any path is built
// from them, so no ID can name anything outside its root.
import { UsageError } from './errors.js';

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** NAME_MAX: an ID is one path component. */
export const MAX_ID_LENGTH = 255;

/** Render untrusted text for a one-line message: no control characters, bounded. */
export function quote(s: string, max = 80): string {
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  const safe = JSON.stringify(cut);
  return safe === `"${cut}"` && cut !== '' ? cut : safe;
}

export function isValidId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_ID_LENGTH && ID_RE.test(id);
}

export function validateId(id: unknown, what = 'sandbox ID'): string {
  if (typeof id !== 'string' || id.length === 0) throw new UsageError(`invalid ${what}: empty`);
  if (id.length > MAX_ID_LENGTH) throw new UsageError(`invalid ${what} ${quote(id, 24)}: longer than ${MAX_ID_LENGTH} characters`);
  if (!ID_RE.test(id)) throw new UsageError(`invalid ${what} ${quote(id)}: must match [A-Za-z0-9][A-Za-z0-9_.-]*`);
  return id;
}
