import { badInput } from './errors.js';

/** Database ids are positive bigints carried as decimal strings. */
/** Whether text is a numeric id as every bigint key is written: 1 to 18 digits, no leading zero. */
export const isId = (value: string): boolean => /^[1-9]\d{0,17}$/.test(value);

export function parseId(value: string, field: string): string {
  if (typeof value !== 'string' || !isId(value)) throw badInput(field, `${field} must be a positive integer id`);
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
  return isId(value) || isUuid(value);
}

/** C0 controls other than tab, newline and carriage return, and DEL. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** A UTF-16 surrogate without its partner: not text, and PostgreSQL refuses it in jsonb. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/**
 * What may not appear in a name other people read as an identity: C1 controls, and the
 * bidirectional overrides, embeddings, isolates and marks that can make "gpj.exe" read as
 * "exe.jpg" or one agent's name pass for another's. Message content may keep them.
 */
const SPOOFING = /[\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** Why a string is not acceptable text anywhere (NUL and other controls, lone surrogates), or null. */
function textProblem(text: string): string | null {
  if (CONTROL.test(text)) return 'contains control characters';
  if (LONE_SURROGATE.test(text)) return 'contains invalid Unicode (a lone surrogate)';
  return null;
}

/**
 * Trimmed, non-blank text of bounded length. Control characters other than tab/newline and
 * lone UTF-16 surrogates are refused: the first are never meant, the second cannot be stored.
 */
export function requireText(value: string | null | undefined, field: string, maxLength: number): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '') throw badInput(field, `${field} may not be blank`, 'BLANK');
  if (text.length > maxLength) throw badInput(field, `${field} must be at most ${maxLength} characters`, 'TOO_LONG');
  const problem = textProblem(text);
  if (problem) throw badInput(field, `${field} ${problem}`, 'INVALID_TEXT');
  return text;
}

export function optionalText(value: string | null | undefined, field: string, maxLength: number): string | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  return requireText(value, field, maxLength);
}

/**
 * requireText for identity fields (display names, usernames, subjects, room names, tags, guest
 * names): also refuses C1 controls and bidirectional formatting characters (see SPOOFING).
 */
export function requireName(value: string | null | undefined, field: string, maxLength: number): string {
  const text = requireText(value, field, maxLength);
  if (SPOOFING.test(text)) throw badInput(field, `${field} contains control or bidirectional formatting characters`, 'INVALID_TEXT');
  return text;
}

export function optionalName(value: string | null | undefined, field: string, maxLength: number): string | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  return requireName(value, field, maxLength);
}

/** How deep a JSON object (message metadata) may nest: `{"a": {"b": 1}}` is depth 2. */
export const MAX_JSON_DEPTH = 8;

/**
 * A JSON object of at most `maxBytes` serialised and MAX_JSON_DEPTH levels, whose keys and
 * string values are valid text without NUL (PostgreSQL's jsonb stores neither NUL nor lone
 * surrogates). Walked without recursion, so a 5,000-level document is refused, not a stack overflow.
 */
export function requireJsonObject(value: unknown, field: string, maxBytes: number): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badInput(field, `${field} must be a JSON object`);
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (typeof node === 'string') {
      if (node.includes('\u0000') || LONE_SURROGATE.test(node)) throw badInput(field, `${field} contains NUL or invalid Unicode`, 'INVALID_TEXT');
      continue;
    }
    if (typeof node === 'number' && !Number.isFinite(node)) throw badInput(field, `${field} contains a number JSON cannot carry`);
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) throw badInput(field, `${field} may nest at most ${MAX_JSON_DEPTH} levels`, 'TOO_DEEP');
    for (const [key, child] of Object.entries(node)) {
      if (!Array.isArray(node)) pending.push([key, depth]);
      pending.push([child, depth + 1]);
    }
  }
  if (Buffer.byteLength(JSON.stringify(value)) > maxBytes) throw badInput(field, `${field} must be at most ${maxBytes} bytes of JSON`, 'TOO_LONG');
  return value as Record<string, unknown>;
}

/** A jsonb column as the driver gives it (parsed, or as text) when it must hold an object; anything else is a corrupt row. */
export function storedJsonObject(value: unknown, what: string): Record<string, unknown> {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${what} is not a JSON object`);
  return { ...parsed };
}

export function intInRange(value: number | null | undefined, field: string, min: number, max: number, fallback: number): number {
  if (value === null || value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw badInput(field, `${field} must be an integer between ${min} and ${max}`);
  return value;
}

/** A value of a string enum (transports other than GraphQL pass enum arguments unchecked). */
export function oneOf<T extends string>(value: T, values: Record<string, T>, field: string): T {
  if (!Object.values(values).includes(value)) throw badInput(field, `${field} must be one of ${Object.values(values).join(', ')}`);
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
