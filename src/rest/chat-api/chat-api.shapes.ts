/**
 * The chat API dialect's resource shapes (seed 001: ChatSession, ChatMessage, ChatAttachment,
 * ChatTypingEvent). Shared by the REST routes and the legacy WebSocket `/ws/chat/{sessionId}`,
 * so a message looks the same whether it was fetched or pushed. Pure functions over plain data:
 * the inputs are what GraphQL results and published event payloads carry.
 */

export type ChatApiSender = 'user' | 'support';
export type ChatApiMessageStatus = 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

export interface ChatApiAttachment {
  id: string;
  url: string;
  type: string;
  name: string;
  size: number;
  metadata?: { width?: number; height?: number; duration?: number; [key: string]: unknown };
}

export interface ChatApiMessage {
  id: string;
  content: string;
  sender: ChatApiSender;
  timestamp: string;
  read: boolean;
  status?: ChatApiMessageStatus;
  attachments?: ChatApiAttachment[];
}

export interface ChatApiSession {
  id: string;
  userId: string;
  agentId?: string | null;
  status: 'active' | 'closed';
  startedAt: string;
  endedAt?: string | null;
  subject?: string | null;
  priority: 'low' | 'medium' | 'high';
  tags?: string[];
}

export interface ChatApiTypingEvent {
  userId: string;
  isTyping: boolean;
  timestamp: string;
}

/** What a message source must carry (a GraphQL `Message` selection or an event payload). */
export interface MessageSource {
  id: string;
  content: string;
  senderType: string;
  createdAt: string | Date;
  read?: boolean | null;
  status?: string | null;
  attachments?: readonly AttachmentSource[] | null;
}

export interface AttachmentSource {
  id: string;
  url: string;
  type: string;
  name: string;
  size: number;
  metadata?: { width?: number | null; height?: number | null; duration?: number | null } | null;
}

/** What a session source must carry (a GraphQL `Session` selection or an event payload). */
export interface SessionSource {
  id: string;
  status: string;
  priority: string;
  subject?: string | null;
  tags?: readonly string[] | null;
  startedAt: string | Date;
  endedAt?: string | Date | null;
  /** The customer's user id; null for guest sessions. */
  customerId?: string | null;
  agentId?: string | null;
}

const iso = (value: string | Date): string => (value instanceof Date ? value : new Date(value)).toISOString();

/** The seed has two sides: everything not written by the customer side is "support". */
export function chatApiSender(senderType: string): ChatApiSender {
  return senderType === 'USER' ? 'user' : 'support';
}

export function toChatApiAttachment(attachment: AttachmentSource): ChatApiAttachment {
  const metadata: ChatApiAttachment['metadata'] = {};
  for (const key of ['width', 'height', 'duration'] as const) {
    const value = attachment.metadata?.[key];
    if (typeof value === 'number') metadata[key] = value;
  }
  return {
    id: attachment.id,
    url: attachment.url,
    type: attachment.type,
    name: attachment.name,
    size: attachment.size,
    ...(Object.keys(metadata).length ? { metadata } : {}),
  };
}

export function toChatApiMessage(message: MessageSource): ChatApiMessage {
  const status = (message.status ?? 'SENT').toLowerCase() as ChatApiMessageStatus;
  return {
    id: message.id,
    content: message.content,
    sender: chatApiSender(message.senderType),
    timestamp: iso(message.createdAt),
    read: message.read ?? false,
    status,
    ...(message.attachments?.length ? { attachments: message.attachments.map(toChatApiAttachment) } : {}),
  };
}

/**
 * `userId` is the customer's user id. A guest has no user account, so guest sessions report
 * `guest:<sessionId>`: stable, never colliding with a numeric user id, and free of PII.
 */
export function toChatApiSession(session: SessionSource): ChatApiSession {
  return {
    id: session.id,
    userId: session.customerId ?? `guest:${session.id}`,
    agentId: session.agentId ?? null,
    status: session.status === 'CLOSED' ? 'closed' : 'active',
    startedAt: iso(session.startedAt),
    endedAt: session.endedAt ? iso(session.endedAt) : null,
    subject: session.subject ?? null,
    priority: session.priority.toLowerCase() as ChatApiSession['priority'],
    tags: [...(session.tags ?? [])],
  };
}

export function toChatApiTyping(event: { userId: string; isTyping: boolean; timestamp: string | Date }): ChatApiTypingEvent {
  return { userId: event.userId, isTyping: event.isTyping, timestamp: iso(event.timestamp) };
}
