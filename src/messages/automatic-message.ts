import { randomUUID } from 'node:crypto';
import type { Db } from '../db/orm.js';
import { appendEvent, type EventBus } from '../events/event-bus.js';
import { messageRecordFromRow } from '../sessions/message-record.js';
import { deskDate } from '../shared/desk-clock.js';
import { SenderType, SessionKind, SessionStatus } from '../shared/enums.js';
import { messageDto } from './message.dto.js';
import { selectSession } from './message-reads.js';
import { insertMessage, updateSessionAfterSend } from './send-statements.js';

export interface AutomaticMessage {
  tenantId: string;
  sessionId: string;
  content: string;
  /** At most one automatic message per session and key, however often the caller runs (reactions run at least once). */
  key: string;
}

/**
 * Writes a message from the desk itself into an open support session: sender type SYSTEM, no
 * sender, `automatic`. Like a send, it takes the session's row lock and records `message.created`
 * in the same transaction (so streams, the inbox, unread counts and webhooks carry it), but it is
 * no reply: a customer's wait, and the clocks on it, go on. Returns false when the key was used
 * already or the session is gone, closed or no support session.
 */
export async function sendAutomaticMessage(em: Db, events: EventBus, { tenantId, sessionId, content, key }: AutomaticMessage): Promise<boolean> {
  const published = await em.transactional(async (tx) => {
    const session = await selectSession(tx, tenantId, sessionId, true);
    if (!session || session.kind !== SessionKind.SUPPORT || session.status === SessionStatus.CLOSED) return [];
    const createdAt = deskDate();
    const claimed = await tx.execute<{ key: string }[]>(
      `insert into automatic_messages (session_id, key, tenant_id, created_at) values (?, ?, ?, ?::timestamptz) on conflict do nothing returning key`,
      [sessionId, key, tenantId, createdAt.toISOString()],
    );
    if (claimed.length === 0) return [];
    const row = await insertMessage(tx, {
      uuid: randomUUID(),
      tenantId,
      sessionId,
      senderId: null,
      senderType: SenderType.SYSTEM,
      content,
      metadata: {},
      clientMessageId: null,
      createdAt,
      isPrivate: false,
      responseMs: null,
      automatic: true,
    });
    const message = messageRecordFromRow(row, undefined, []);
    const event = await appendEvent(tx, { tenantId, sessionId }, { type: 'message.created', payload: { message: messageDto(message) } });
    await updateSessionAfterSend(tx, tenantId, sessionId, row.id, { note: false, createdAt });
    await tx.execute('update automatic_messages set message_id = ? where session_id = ? and key = ?', [row.id, sessionId, key]);
    return [event];
  });
  if (published.length > 0) events.publish(published);
  return published.length > 0;
}
