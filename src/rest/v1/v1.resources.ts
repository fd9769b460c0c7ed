import { type ChatApiAttachment, toChatApiAttachment } from '../chat-api/chat-api.shapes.js';
import type { RestAttachmentFragment, RestMessageFragment, RestSessionFragment } from '../generated/graphql.js';
import { v1Timestamp } from './v1.envelope.js';

/** `ChatSessionResource` and `ChatMessageResource` (seeds 000, 003): snake_case, integer ids. */
export interface V1SessionResource {
  id: number;
  session_id: string | null;
  guest_name: string | null;
  status: 'active' | 'closed';
  assigned_to: number | null;
  started_at: string;
  ended_at: string | null;
}

export interface V1MessageResource {
  id: number;
  session_id: number;
  sender_type: 'user' | 'support' | 'assistant' | 'system';
  sender_id: number | null;
  sender_name: string;
  message: string;
  /** The v1 seeds leave the shape open: seed 001's ChatAttachment, whose keys are single words already. */
  attachments: ChatApiAttachment[];
  is_read: boolean;
  created_at: string;
}

const time = (value: string) => v1Timestamp(new Date(value));

export function toV1Session(session: RestSessionFragment): V1SessionResource {
  return {
    id: Number(session.id),
    session_id: session.sessionKey ?? null,
    guest_name: session.guestName ?? null,
    status: session.status === 'CLOSED' ? 'closed' : 'active',
    assigned_to: session.agent ? Number(session.agent.id) : null,
    started_at: time(session.startedAt),
    ended_at: session.endedAt ? time(session.endedAt) : null,
  };
}

/** `sender_id` is the sender's user id; guests (no account) and system messages have none. */
export function toV1Message(message: RestMessageFragment & { attachments: readonly RestAttachmentFragment[] }): V1MessageResource {
  return {
    id: Number(message.id),
    session_id: Number(message.sessionId),
    sender_type: message.senderType.toLowerCase() as V1MessageResource['sender_type'],
    sender_id: message.senderUserId ? Number(message.senderUserId) : null,
    sender_name: message.senderName,
    message: message.content,
    attachments: message.attachments.map(toChatApiAttachment),
    is_read: message.read,
    created_at: time(message.createdAt),
  };
}
