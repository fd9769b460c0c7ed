import type { Db } from '../db/orm.js';
import type { AttachmentRow, MessageRecord, MessageRow, SenderRecord } from '../sessions/message-record.js';
import { attachmentRecord, messageRecordFromRow } from '../sessions/message-record.js';
import { displayNameOf, type ParticipantKey } from '../sessions/participants.js';
import type { ParticipantWatermarks } from '../sessions/watermarks.js';
import type { ParticipantRole, SessionKind, SessionStatus } from '../shared/enums.js';

/**
 * The message hot paths' reads as plain SQL: no entity is hydrated for a page, a
 * since-poll or its read state (bench/NOTES.md: hydration was 40% of a page's CPU). Raw SQL
 * leaves the ORM's tenant filter behind, so every statement states `tenant_id = ?` itself.
 */

/** A session participant as pages need it: the sender's names and the watermarks read state compares. */
export type ParticipantRecord = SenderRecord &
  ParticipantWatermarks & {
    /** A room member who was removed: the row keeps their authorship but grants nothing. */
    readonly left: boolean;
  };

/** Which of a session's messages, in which order: `where` is extra SQL on chat_messages with its `?` params. */
export interface MessageSelection {
  tenantId: string;
  sessionId: string;
  where: string;
  params: unknown[];
  order: 'id asc' | 'id desc' | 'created_at asc, id asc';
  limit: number;
  offset?: number;
}

export type MessageRowWithAttachments = MessageRow & { attachments: AttachmentRow[] | null };

/** The MessageRow columns of chat_messages (aliased `table`, or unqualified with ''), ids as text. */
export const messageRowColumns = (table: string): string =>
  `${table}id::text as id, ${table}uuid, ${table}session_id::text as session_id, ${table}sender_id::text as sender_id, ${table}sender_type, ${table}content, ${table}metadata,
   ${table}client_message_id, ${table}created_at, ${table}edited_at, ${table}deleted_at, ${table}version, ${table}private, ${table}automatic`;

/**
 * The selected messages with their attachments, in one statement. The page is cut in the inner
 * query, so the attachments subquery runs for returned rows only (never for rows an offset skips).
 */
export async function selectMessageRows(em: Db, selection: MessageSelection): Promise<MessageRowWithAttachments[]> {
  const { tenantId, sessionId, where, params, order, limit, offset = 0 } = selection;
  return em.execute<MessageRowWithAttachments[]>(
    `select ${messageRowColumns('m.')},
            (select json_agg(json_build_object('id', a.id, 'name', a.name, 'contentType', a.content_type, 'size', a.size, 'metadata', a.metadata) order by a.position)
               from attachments a where a.tenant_id = ? and a.message_id = m.id) as attachments
       from (select id, uuid, session_id, sender_id, sender_type, content, metadata, client_message_id, created_at, edited_at, deleted_at, version, private, automatic
               from chat_messages where tenant_id = ? and session_id = ?${where} order by ${order} limit ? offset ?) m
      order by ${order.replace(/(^|, )/g, '$1m.')}`,
    [tenantId, tenantId, sessionId, ...params, limit, offset],
  );
}

/** Whether the session has any message matching `where` (the has-previous/next probe). */
export async function anyMessage(em: Db, tenantId: string, sessionId: string, where: string, params: unknown[]): Promise<boolean> {
  const rows = await em.execute<unknown[]>(`select 1 from chat_messages where tenant_id = ? and session_id = ?${where} limit 1`, [tenantId, sessionId, ...params]);
  return rows.length > 0;
}

/** Every participant of the session with its user's names, in one statement. */
export async function selectParticipants(em: Db, tenantId: string, sessionId: string): Promise<ParticipantRecord[]> {
  const rows = await em.execute<
    {
      id: string;
      role: ParticipantRole;
      user_id: string | null;
      guest_name: string | null;
      last_read: string;
      last_delivered: string;
      display_name: string | null;
      username: string | null;
      left: boolean;
    }[]
  >(
    `select p.id::text as id, p.role, p.user_id::text as user_id, p.guest_name, p.last_read_message_id::text as last_read,
            p.last_delivered_message_id::text as last_delivered, u.display_name, u.username,
            p.left_at is not null as left
       from participants p left join users u on u.tenant_id = ? and u.id = p.user_id
      where p.tenant_id = ? and p.session_id = ?`,
    [tenantId, tenantId, sessionId],
  );
  return rows.map((row) => ({
    id: row.id,
    role: row.role,
    userId: row.user_id,
    name: displayNameOf(row.display_name, row.guest_name),
    username: row.username,
    lastReadMessageId: row.last_read,
    lastDeliveredMessageId: row.last_delivered,
    left: row.left === true,
  }));
}

/** Rows as records, their senders found among the session's participants. */
export function messageRecords(rows: readonly MessageRowWithAttachments[], participants: readonly ParticipantRecord[]): MessageRecord[] {
  const byId = new Map(participants.map((p) => [p.id, p]));
  return rows.map((row) => messageRecordFromRow(row, row.sender_id === null ? undefined : byId.get(row.sender_id), (row.attachments ?? []).map(attachmentRecord)));
}

/** The viewer's delivered watermark in a session, read plainly (null: the viewer has no participant row). */
export async function deliveredWatermark(em: Db, tenantId: string, sessionId: string, by: ParticipantKey): Promise<{ id: string; lastDeliveredMessageId: string } | null> {
  const [column, value] = 'participantId' in by ? ['id', by.participantId] : ['user_id', by.userId];
  const [row] = await em.execute<{ id: string; last_delivered: string }[]>(
    `select id::text as id, last_delivered_message_id::text as last_delivered from participants where tenant_id = ? and session_id = ? and ${column} = ?`,
    [tenantId, sessionId, value],
  );
  return row ? { id: row.id, lastDeliveredMessageId: row.last_delivered } : null;
}

/**
 * What a watermark event records for viewers who do not see notes (model/event-visibility.ts), read
 * before the participant's watermark moves to `target` (under the session lock, so "before" is
 * exact): nothing when `target` is a message everyone sees; otherwise the last such message at or
 * below it that is past the watermark now, or null when there is none (the mark passes notes only).
 */
export async function noteBlindMark(
  em: Db,
  mark: { tenantId: string; sessionId: string; participantId: string; watermark: 'read' | 'delivered'; target: string },
): Promise<{ visibleMessageId?: string | null }> {
  const column = mark.watermark === 'read' ? 'last_read_message_id' : 'last_delivered_message_id';
  const [row] = await em.execute<{ on_note: boolean; visible: string | null }[]>(
    `select m.private as on_note,
            (select max(v.id)::text from chat_messages v
              where v.tenant_id = m.tenant_id and v.session_id = m.session_id and not v.private and v.id <= m.id and v.id > p.${column}) as visible
       from chat_messages m join participants p on p.tenant_id = m.tenant_id and p.session_id = m.session_id
      where m.tenant_id = ? and m.session_id = ? and m.id = ? and p.id = ?`,
    [mark.tenantId, mark.sessionId, mark.target, mark.participantId],
  );
  return row?.on_note === true ? { visibleMessageId: row.visible } : {};
}

/** The session row as a read or a send needs it: access (DESIGN §4), the page cut, counts, position, and the send's bookkeeping. */
export interface SessionRow {
  id: string;
  tenantId: string;
  kind: SessionKind;
  status: SessionStatus;
  agentId: string | null;
  customerId: string | null;
  lastMessageId: string;
  lastEventSeq: string;
  messageCount: number;
  noteCount: number;
  waitingSince: Date | null;
  queuedAt: Date | null;
}

/** The session row, tenant stated; `lock`: FOR UPDATE (inside the send transaction). */
export async function selectSession(em: Db, tenantId: string, sessionId: string, lock = false): Promise<SessionRow | null> {
  const [row] = await em.execute<
    {
      id: string;
      kind: SessionKind;
      status: SessionStatus;
      agent_id: string | null;
      customer_id: string | null;
      last_message_id: string;
      last_event_seq: string;
      message_count: number;
      note_count: number;
      waiting_since: Date | string | null;
      queued_at: Date | string | null;
    }[]
  >(
    `select id::text as id, kind, status, agent_id::text as agent_id, customer_id::text as customer_id, last_message_id::text as last_message_id,
            last_event_seq::text as last_event_seq, message_count, note_count, waiting_since, queued_at
       from chat_sessions where tenant_id = ? and id = ?${lock ? ' for update' : ''}`,
    [tenantId, sessionId],
  );
  if (!row) return null;
  return {
    id: row.id,
    tenantId,
    kind: row.kind,
    status: row.status,
    agentId: row.agent_id,
    customerId: row.customer_id,
    lastMessageId: row.last_message_id,
    lastEventSeq: row.last_event_seq,
    messageCount: Number(row.message_count),
    noteCount: Number(row.note_count),
    waitingSince: dateOrNull(row.waiting_since),
    queuedAt: dateOrNull(row.queued_at),
  };
}

const dateOrNull = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

/** Whether the user has a participant row in the session that they have not left (room members, bots). */
export async function isMember(em: Db, tenantId: string, sessionId: string, userId: string): Promise<boolean> {
  const rows = await em.execute<unknown[]>('select 1 from participants where tenant_id = ? and session_id = ? and user_id = ? and left_at is null limit 1', [tenantId, sessionId, userId]);
  return rows.length > 0;
}
