import { isId } from '../shared/validate.js';
import { badInput } from '../shared/errors.js';

const PREFIX = 'msg:';

/** Cursors are opaque to clients; inside they carry the message id, the paging key. */
export function encodeCursor(messageId: string): string {
  return Buffer.from(PREFIX + messageId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, field: string): string {
  const raw = typeof cursor === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const id = raw.startsWith(PREFIX) ? raw.slice(PREFIX.length) : '';
  if (!isId(id)) throw badInput(field, `${field} is not a valid cursor`, 'INVALID_CURSOR');
  return id;
}
