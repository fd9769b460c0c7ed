import { badInput } from '../shared/errors.js';
import { isId } from '../shared/validate.js';

/** RANK: best match first (ts_rank), ties newest first. NEWEST: newest first (highest id). */
export enum SearchOrder {
  RANK = 'RANK',
  NEWEST = 'NEWEST',
}

/**
 * Where a page ended, in the order it was read: the paging key is (rank, id) for RANK and id for
 * NEWEST. The rank travels as PostgreSQL printed it (float4 text, which reads back exactly), so
 * `(rank, id) < (cursor)` resumes exactly after the last row.
 */
export type SearchPosition = { order: SearchOrder.RANK; rank: string; id: string } | { order: SearchOrder.NEWEST; id: string };

const PREFIX = 'search:';
const RANK = /^(?:0|[1-9]\d*)(?:\.\d+)?(?:e[+-]?\d+)?$/;

export function encodeSearchCursor(position: SearchPosition): string {
  const body = position.order === SearchOrder.RANK ? `${position.order}:${position.rank}:${position.id}` : `${position.order}:${position.id}`;
  return Buffer.from(PREFIX + body, 'utf8').toString('base64url');
}

/** The position a cursor names; it must come from a search read in the same `order`. */
export function decodeSearchCursor(cursor: string, order: SearchOrder, field: string): SearchPosition {
  const raw = typeof cursor === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const parts = raw.startsWith(PREFIX) ? raw.slice(PREFIX.length).split(':') : [];
  const invalid = () => badInput(field, `${field} is not a valid cursor for this search order`, 'INVALID_CURSOR');
  if (parts[0] !== order) throw invalid();
  if (order === SearchOrder.RANK) {
    const [, rank, id] = parts;
    if (parts.length !== 3 || !RANK.test(rank ?? '') || !isId(id ?? '')) throw invalid();
    return { order, rank: rank!, id: id! };
  }
  const [, id] = parts;
  if (parts.length !== 2 || !isId(id ?? '')) throw invalid();
  return { order, id: id! };
}
