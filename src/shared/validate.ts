import { badInput } from './errors.js';

/** Database ids are positive bigints carried as decimal strings. */
export function parseId(value: string, field: string): string {
  if (typeof value !== 'string' || !/^[1-9]\d{0,17}$/.test(value)) throw badInput(field, `${field} must be a positive integer id`);
  return value;
}

/** Like parseId but also accepts 0, for "since"/watermark arguments. */
export function parseWatermark(value: string, field: string): string {
  if (typeof value !== 'string' || !/^(0|[1-9]\d{0,17})$/.test(value)) throw badInput(field, `${field} must be a non-negative integer id`);
  return value;
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/**
 * Whether text can name a session: its numeric id or its public UUID (resolved by
 * `sessionIdFrom` in sessions/session-access.ts, which every service uses). Transports use
 * this to answer "no such session" for anything else without asking the database.
 */
export function isSessionRef(value: string): boolean {
  return /^[1-9]\d{0,17}$/.test(value) || isUuid(value);
}

/** Trimmed, non-blank text of bounded length; control characters other than tab/newline are refused. */
export function requireText(value: string | null | undefined, field: string, maxLength: number): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '') throw badInput(field, `${field} may not be blank`, 'BLANK');
  if (text.length > maxLength) throw badInput(field, `${field} must be at most ${maxLength} characters`, 'TOO_LONG');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) throw badInput(field, `${field} contains control characters`);
  return text;
}

export function optionalText(value: string | null | undefined, field: string, maxLength: number): string | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  return requireText(value, field, maxLength);
}

export function intInRange(value: number | null | undefined, field: string, min: number, max: number, fallback: number): number {
  if (value === null || value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw badInput(field, `${field} must be an integer between ${min} and ${max}`);
  return value;
}

export function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function maxId(ids: readonly string[]): string {
  return ids.reduce((best, id) => (compareIds(id, best) > 0 ? id : best), '0');
}
