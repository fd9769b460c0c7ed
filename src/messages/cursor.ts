import { decodeIdCursor, encodeIdCursor } from '../shared/connection.js';

const KIND = 'msg';

/** Message cursors carry the message id, the paging key. */
export function encodeCursor(messageId: string): string {
  return encodeIdCursor(KIND, messageId);
}

export function decodeCursor(cursor: string, field: string): string {
  return decodeIdCursor(KIND, cursor, field);
}
