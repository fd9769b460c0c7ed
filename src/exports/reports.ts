import type { Db } from '../db/orm.js';
import { streamRows } from '../db/stream-rows.js';
import { messageRowColumns } from '../messages/message-reads.js';
import { type MessageRow, messageRecordFromRow } from '../sessions/message-record.js';
import { displayNameOf } from '../sessions/participants.js';
import { type ParticipantRole, SessionKind } from '../shared/enums.js';
import { slaOutcomes } from '../sla/sla-report.js';
import type { AgentStats } from '../stats/stats.service.js';
import { type CsvValue, csvRow } from './csv.js';

/**
 * The rows of each report, read in keyset batches of `EXPORT_BATCH_ROWS`: every batch is one
 * indexed statement of its own (no transaction or cursor held open between batches, so the
 * embedded database's single connection serves other requests in between), its rows streamed
 * (db/stream-rows.ts) and written as CSV as they arrive, so only one batch's text is in memory. A report is therefore not a snapshot: a row written in the range while
 * the export runs may or may not be in it. Raw SQL leaves the ORM's tenant filter behind, so
 * every statement states `tenant_id = ?` itself. Only support sessions (and their messages)
 * are reported, as `stats` counts them: rooms are group chats, not desk work.
 */
export const EXPORT_BATCH_ROWS = 1_000;

export interface ReportRange {
  tenantId: string;
  from: Date;
  to: Date;
}

/** A keyset position: the row's timestamp as PostgreSQL prints it (microseconds kept) and its id. */
interface Position {
  at: string;
  id: string;
}

/** The report's CSV in chunks: the header row first, then one chunk per batch. */
async function* keysetCsv<Row extends { cursor_at: string; id: string }>(
  header: readonly string[],
  next: (after: Position | null) => AsyncIterable<Row>,
  cells: (row: Row) => readonly CsvValue[],
): AsyncGenerator<string> {
  yield csvRow(header);
  let after: Position | null = null;
  for (;;) {
    // Each row becomes its CSV line as it is read (db/stream-rows.ts: no batch of row objects is held).
    let chunk = '';
    let count = 0;
    let last: Row | null = null;
    for await (const row of next(after)) {
      chunk += csvRow(cells(row));
      count++;
      last = row;
    }
    if (chunk) yield chunk;
    if (count < EXPORT_BATCH_ROWS || last === null) return;
    after = { at: last.cursor_at, id: last.id };
  }
}

/** `(column, id) > position` in the keyset order, with its parameters; nothing for the first batch. */
const after = (column: string, id: string, position: Position | null): [string, unknown[]] =>
  position === null ? ['', []] : [` and (${column}, ${id}) > (?::timestamptz, ?)`, [position.at, position.id]];

const date = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

interface SessionReportRow {
  id: string;
  cursor_at: string;
  uuid: string;
  status: string;
  priority: string;
  subject: string | null;
  tags: string[] | null;
  customer_user_id: string | null;
  customer_display_name: string | null;
  customer_email: string | null;
  guest_name: string | null;
  guest_email: string | null;
  agent_id: string | null;
  agent_name: string | null;
  started_at: Date | string;
  ended_at: Date | string | null;
  first_response_at: Date | string | null;
  first_response_ms: number | null;
  message_count: number;
  note_count: number;
  rating: number | null;
  rating_comment: string | null;
}

export const SESSION_COLUMNS = [
  'id',
  'uuid',
  'status',
  'priority',
  'subject',
  'tags',
  'customer_user_id',
  'customer_name',
  'customer_email',
  'agent_id',
  'agent_name',
  'started_at',
  'ended_at',
  'first_response_at',
  'first_response_ms',
  'messages',
  'private_notes',
  'rating',
  'rating_comment',
] as const;

/** Support sessions started in [from, to), in (started_at, id) order (index (tenant_id, started_at)). */
export function sessionsReport(em: Db, { tenantId, from, to }: ReportRange): AsyncGenerator<string> {
  return keysetCsv<SessionReportRow>(
    SESSION_COLUMNS,
    (position) => {
      const [keyset, keysetParams] = after('s.started_at', 's.id', position);
      return streamRows<SessionReportRow>(
        em,
        `select s.id::text as id, s.started_at::text as cursor_at, s.uuid, s.status, s.priority, s.subject, s.tags,
                s.customer_id::text as customer_user_id, c.display_name as customer_display_name, c.email as customer_email,
                s.guest_name, s.guest_email, s.agent_id::text as agent_id, a.display_name as agent_name,
                s.started_at, s.ended_at, s.first_response_at, s.first_response_ms, s.message_count, s.note_count,
                r.score as rating, r.comment as rating_comment
           from chat_sessions s
           left join users c on c.tenant_id = s.tenant_id and c.id = s.customer_id
           left join users a on a.tenant_id = s.tenant_id and a.id = s.agent_id
           left join session_ratings r on r.tenant_id = s.tenant_id and r.session_id = s.id
          where s.tenant_id = ? and s.kind = ? and s.started_at >= ? and s.started_at < ?${keyset}
          order by s.started_at, s.id
          limit ?`,
        [tenantId, SessionKind.SUPPORT, from, to, ...keysetParams, EXPORT_BATCH_ROWS],
      );
    },
    (row) => [
      row.id,
      row.uuid,
      row.status,
      row.priority,
      row.subject,
      (row.tags ?? []).join(';'),
      row.customer_user_id,
      row.customer_user_id === null ? displayNameOf(null, row.guest_name) : row.customer_display_name,
      row.customer_user_id === null ? row.guest_email : row.customer_email,
      row.agent_id,
      row.agent_name,
      date(row.started_at),
      date(row.ended_at),
      date(row.first_response_at),
      row.first_response_ms,
      Number(row.message_count),
      Number(row.note_count),
      row.rating === null ? null : Number(row.rating),
      row.rating_comment,
    ],
  );
}

type MessageReportRow = MessageRow & {
  cursor_at: string;
  sender_role: ParticipantRole | null;
  sender_user_id: string | null;
  sender_guest_name: string | null;
  sender_display_name: string | null;
  sender_username: string | null;
  attachments: number | string;
};

export const MESSAGE_COLUMNS = [
  'id',
  'uuid',
  'session_id',
  'created_at',
  'edited_at',
  'deleted_at',
  'sender_type',
  'sender_user_id',
  'sender_name',
  'private',
  'automatic',
  'attachments',
  'content',
] as const;

/**
 * Messages of support sessions created in [from, to), in (created_at, id) order (index
 * (tenant_id, created_at, id)). Private notes are included and marked (only admins export);
 * a deleted message keeps its row and timestamps but no content, as every reader sees it.
 */
export function messagesReport(em: Db, { tenantId, from, to }: ReportRange): AsyncGenerator<string> {
  return keysetCsv<MessageReportRow>(
    MESSAGE_COLUMNS,
    (position) => {
      const [keyset, keysetParams] = after('m.created_at', 'm.id', position);
      return streamRows<MessageReportRow>(
        em,
        `select ${messageRowColumns('m.')}, m.created_at::text as cursor_at,
                p.role as sender_role, p.user_id::text as sender_user_id, p.guest_name as sender_guest_name,
                u.display_name as sender_display_name, u.username as sender_username,
                (select count(*) from attachments f where f.tenant_id = m.tenant_id and f.message_id = m.id) as attachments
           from chat_messages m
           join chat_sessions s on s.tenant_id = m.tenant_id and s.id = m.session_id
           left join participants p on p.tenant_id = m.tenant_id and p.id = m.sender_id
           left join users u on u.tenant_id = m.tenant_id and u.id = p.user_id
          where m.tenant_id = ? and s.kind = ? and m.created_at >= ? and m.created_at < ?${keyset}
          order by m.created_at, m.id
          limit ?`,
        [tenantId, SessionKind.SUPPORT, from, to, ...keysetParams, EXPORT_BATCH_ROWS],
      );
    },
    (row) => {
      const sender =
        row.sender_id === null || row.sender_role === null
          ? undefined
          : {
              id: row.sender_id,
              role: row.sender_role,
              userId: row.sender_user_id,
              name: displayNameOf(row.sender_display_name, row.sender_guest_name),
              username: row.sender_username,
            };
      const message = messageRecordFromRow(row, sender, null);
      const deleted = message.deletedAt !== null;
      return [
        message.id,
        message.uuid,
        message.sessionId,
        message.createdAt,
        message.editedAt,
        message.deletedAt,
        message.senderType,
        message.senderUserId,
        message.senderName,
        message.private,
        message.automatic,
        deleted ? 0 : Number(row.attachments),
        message.content,
      ];
    },
  );
}

export const AGENT_COLUMNS = [
  'agent_id',
  'username',
  'display_name',
  'sessions_handled',
  'sessions_resolved',
  'first_response_count',
  'first_response_mean_ms',
  'first_response_median_ms',
  'resolution_count',
  'resolution_mean_ms',
  'resolution_median_ms',
  'csat_count',
  'csat_average',
] as const;

/** One row per agent with support sessions started in the range: the numbers `stats(from, to)` gives per agent. */
export async function* agentsReport(agents: () => Promise<readonly AgentStats[]>): AsyncGenerator<string> {
  yield csvRow(AGENT_COLUMNS);
  let chunk = '';
  for (const a of await agents()) {
    chunk += csvRow([
      a.agent.id,
      a.agent.username,
      a.agent.displayName,
      a.sessionsHandled,
      a.sessionsResolved,
      a.firstResponseTime.count,
      a.firstResponseTime.meanMs,
      a.firstResponseTime.medianMs,
      a.resolutionTime.count,
      a.resolutionTime.meanMs,
      a.resolutionTime.medianMs,
      a.csat.count,
      a.csat.average,
    ]);
  }
  if (chunk) yield chunk;
}

export const SLA_COLUMNS = ['session_id', 'reference', 'priority', 'policy', 'metric', 'cycle', 'started_at', 'stopped_at', 'due_at', 'state', 'breached_at', 'agent_id', 'agent_name'] as const;

/**
 * One row per SLA clock cycle (a first response, a resolution, each next-response wait) of the
 * tenant's support sessions decided in [from, to) (met: stopped then; breached: breach recorded
 * then) or started in it and still running, as `stats`' attainment counts them
 * (sla/sla-report.ts); per session in id order. State is `met`, `breached` or `running`.
 */
export async function* slaReport(em: Db, range: ReportRange, now: number): AsyncGenerator<string> {
  yield csvRow(SLA_COLUMNS);
  for await (const outcomes of slaOutcomes(em, range, now, { running: true })) {
    let chunk = '';
    for (const o of outcomes) {
      chunk += csvRow([o.sessionId, o.reference, o.priority, o.policyName, o.metric, o.cycle, o.startedAt, o.stoppedAt, o.dueAt, o.state.toLowerCase(), o.breachedAt, o.agentId, o.agentName]);
    }
    yield chunk;
  }
}

interface AuditReportRow {
  id: string;
  cursor_at: string;
  at: Date | string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  diff: unknown;
  hash: string;
}

export const AUDIT_REPORT_COLUMNS = ['id', 'at', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id', 'ip', 'user_agent', 'diff', 'hash'] as const;

/**
 * Audit log entries made in [from, to), in (at, id) order (index (tenant_id, at, id)); the diff
 * as JSON text, already redacted when it was written (audit/audit-log.ts). The hash lets a reader
 * holding an earlier export see that the entries it has are still the ones stored.
 */
export function auditReport(em: Db, { tenantId, from, to }: ReportRange): AsyncGenerator<string> {
  return keysetCsv<AuditReportRow>(
    AUDIT_REPORT_COLUMNS,
    (position) => {
      const [keyset, keysetParams] = after('at', 'id', position);
      return streamRows<AuditReportRow>(
        em,
        `select id::text as id, at::text as cursor_at, at, actor_type, actor_id, action, target_type, target_id, ip, user_agent, diff, hash
           from audit_log
          where tenant_id = ? and at >= ? and at < ?${keyset}
          order by at, id
          limit ?`,
        [tenantId, from, to, ...keysetParams, EXPORT_BATCH_ROWS],
      );
    },
    (row) => [
      row.id,
      date(row.at),
      row.actor_type,
      row.actor_id,
      row.action,
      row.target_type,
      row.target_id,
      row.ip,
      row.user_agent,
      row.diff === null ? null : typeof row.diff === 'string' ? row.diff : JSON.stringify(row.diff),
      row.hash,
    ],
  );
}
