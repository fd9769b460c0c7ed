import { randomUUID } from 'node:crypto';
import type { ReceivedFile } from '../attachments/attachment.service.js';
import type { Db } from '../db/orm.js';
import { type AttachmentRecord, attachmentRecord, type MessageRow } from '../sessions/message-record.js';
import type { ParticipantRole, SenderType } from '../shared/enums.js';
import { messageRowColumns } from './message-reads.js';

/**
 * The send transaction's statements as plain SQL (no unit of work, no hydration on the hottest
 * write). Each states `tenant_id = ?` itself: the ORM's tenant filter does not apply.
 * Database triggers still number the outbox row and keep the unread counters.
 */

/** A user's participant row, created on their first write (sessions/participants.ts findOrCreateParticipant). */
export async function insertParticipant(tx: Db, tenantId: string, sessionId: string, userId: string, role: ParticipantRole, now: Date): Promise<string> {
  const [row] = await tx.execute<{ id: string }[]>(
    `insert into participants (tenant_id, session_id, user_id, role, last_read_message_id, last_delivered_message_id, joined_at)
     values (?, ?, ?, ?, 0, 0, ?::timestamptz) returning id::text as id`,
    [tenantId, sessionId, userId, role, now.toISOString()],
  );
  return row!.id;
}

export interface NewMessage {
  uuid: string;
  tenantId: string;
  sessionId: string;
  /** Null for SYSTEM messages. */
  senderId: string | null;
  senderType: SenderType;
  content: string;
  metadata: Record<string, unknown>;
  clientMessageId: string | null;
  createdAt: Date;
  isPrivate: boolean;
  responseMs: number | null;
  /** An auto-reply (sender type SYSTEM, no sender). */
  automatic?: boolean;
}

/** Inserts the message; returns its row as stored (metadata as jsonb keeps it), which every read maps the same way. */
export async function insertMessage(tx: Db, m: NewMessage): Promise<MessageRow> {
  const [row] = await tx.execute<MessageRow[]>(
    `insert into chat_messages (uuid, tenant_id, session_id, sender_id, sender_type, content, metadata, client_message_id, created_at, private, version, response_ms, automatic)
     values (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?::timestamptz, ?, 1, ?, ?) returning ${messageRowColumns('')}`,
    [m.uuid, m.tenantId, m.sessionId, m.senderId, m.senderType, m.content, JSON.stringify(m.metadata), m.clientMessageId, m.createdAt.toISOString(), m.isPrivate, m.responseMs, m.automatic === true],
  );
  return row!;
}

/** The rows of received files, in order, in one statement; returns them as readers see them. */
export async function insertAttachments(tx: Db, tenantId: string, messageId: string, files: readonly ReceivedFile[], now: Date): Promise<AttachmentRecord[]> {
  if (files.length === 0) return [];
  const rows = files.map((file, position) => ({ id: randomUUID(), position, ...file }));
  const params = rows.flatMap((row) => [row.id, tenantId, messageId, row.position, row.storageKey, row.name, row.contentType, row.size, row.sha256, JSON.stringify(row.metadata), now.toISOString()]);
  await tx.execute(
    `insert into attachments (id, tenant_id, message_id, position, storage_key, name, content_type, size, sha256, metadata, created_at)
     values ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::timestamptz)').join(', ')}`,
    params,
  );
  return rows.map(attachmentRecord);
}

/** What a sent message changes on its session row, besides `updated_at` and `last_message_id`. */
export interface SessionCounters {
  note: boolean;
  createdAt: Date;
  /** Set: the new values of the response-time bookkeeping (MessageService.trackResponseTime). */
  waitingSince?: Date | null;
  response?: { ms: number };
  queuedAt?: Date;
}

export async function updateSessionAfterSend(tx: Db, tenantId: string, sessionId: string, messageId: string, c: SessionCounters): Promise<void> {
  const at = c.createdAt.toISOString();
  const sets = ['updated_at = ?::timestamptz', 'last_message_id = ?'];
  const params: unknown[] = [at, messageId];
  if (c.note) sets.push('note_count = note_count + 1');
  else {
    sets.push('message_count = message_count + 1', 'last_message_at = ?::timestamptz');
    params.push(at);
  }
  if (c.waitingSince !== undefined) {
    sets.push('waiting_since = ?::timestamptz');
    params.push(c.waitingSince?.toISOString() ?? null);
  }
  if (c.response) {
    sets.push(
      'response_count = response_count + 1',
      'response_ms_total = response_ms_total + ?',
      'first_response_at = coalesce(first_response_at, ?::timestamptz)',
      'first_response_ms = coalesce(first_response_ms, ?)',
    );
    params.push(c.response.ms, at, c.response.ms);
  }
  if (c.queuedAt) {
    sets.push('queued_at = ?::timestamptz');
    params.push(c.queuedAt.toISOString());
  }
  await tx.execute(`update chat_sessions set ${sets.join(', ')} where tenant_id = ? and id = ?`, [...params, tenantId, sessionId]);
}

/** The sender has read (and received) everything up to their own message. */
export async function moveSenderWatermarks(tx: Db, tenantId: string, participantId: string, messageId: string): Promise<void> {
  await tx.execute('update participants set last_read_message_id = ?, last_delivered_message_id = ? where tenant_id = ? and id = ?', [messageId, messageId, tenantId, participantId]);
}
