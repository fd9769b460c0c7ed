import type { RestMessageFragment } from '../generated/graphql.js';

/** The rooms dialect's message object (seed 004, DRF `MessageSerializer`). */
export interface RoomMessage {
  id: number;
  chat_room: number;
  sender: string;
  content: string;
  created_at: string;
  is_read: boolean;
}

/** DRF's DateTimeField: ISO 8601 in UTC with "Z", microseconds only when there are any. */
export function drfTime(value: string): string {
  const iso = new Date(value).toISOString();
  return iso.endsWith('.000Z') ? iso.replace('.000Z', 'Z') : iso.replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** `sender` is the sender's username (DRF's StringRelatedField); a guest or system sender shows its display name. */
export function toRoomMessage(message: RestMessageFragment): RoomMessage {
  return {
    id: Number(message.id),
    chat_room: Number(message.sessionId),
    sender: message.senderUsername ?? message.senderName,
    content: message.content,
    created_at: drfTime(message.createdAt),
    is_read: message.read,
  };
}

/**
 * The dialect's cursor: opaque to clients, it wraps a GraphQL message cursor and the direction
 * to page from it ("older": the page just before it; "newer": the page just after it).
 */
export interface RoomCursor {
  direction: 'older' | 'newer';
  cursor: string;
}

export function encodeRoomCursor(value: RoomCursor): string {
  return Buffer.from(`${value.direction === 'older' ? 'o' : 'n'}|${value.cursor}`, 'utf8').toString('base64url');
}

export function decodeRoomCursor(text: string): RoomCursor | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) return null;
  const match = /^([on])\|([A-Za-z0-9_-]{1,100})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match) return null;
  return { direction: match[1] === 'o' ? 'older' : 'newer', cursor: match[2]! };
}
