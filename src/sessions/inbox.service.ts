import type { Scope } from '../db/scope.js';
import { ChatMessage } from '../model/message.entity.js';
import { Participant } from '../model/participant.entity.js';
import { ChatSession } from '../model/session.entity.js';
import { type Connection, forwardConnection } from '../shared/connection.js';
import { Priority, SessionKind, SessionStatus, UserRole } from '../shared/enums.js';
import { badInput, unauthenticated } from '../shared/errors.js';
import { requireSupportStaff } from '../shared/guards.js';
import { MAX_TAG_LENGTH } from '../shared/limits.js';
import { intInRange, isId, parseId, requireName } from '../shared/validate.js';
import type { Viewer } from '../shared/viewer.js';
import { messageRecordOf } from './message-record.js';
import { seesPrivateNotes, visibleMessagesSql } from './message-visibility.js';
import { participantKeyOf } from './participants.js';
import { allOf, readableSessionsCondition, type SqlCondition } from './session-access.js';
import { type MessageView, WatermarkView } from './watermarks.js';

export const INBOX_MAX_PAGE_SIZE = 100;
export const INBOX_DEFAULT_PAGE_SIZE = 25;

/** Which assignee the inbox lists: the viewer's own sessions, the unassigned queue, any, or one agent's (agentId). */
export enum InboxAssignee {
  ME = 'ME',
  UNASSIGNED = 'UNASSIGNED',
  ANY = 'ANY',
}

export interface InboxFilter {
  status?: SessionStatus | null;
  assignee?: InboxAssignee | null;
  agentId?: string | null;
  priority?: Priority | null;
  tag?: string | null;
  /** The customer spoke last and no support reply followed (the session's open wait, see stats). */
  waitingForReply?: boolean | null;
  /** True: at least one SLA breach is recorded on the session (any metric, any cycle: what `Session.sla.breaches` lists); false: none. */
  slaBreached?: boolean | null;
}

/** The inbox's order: last activity, newest first (the default), or the nearest running SLA due time first. */
export enum InboxOrder {
  LAST_ACTIVITY = 'LAST_ACTIVITY',
  SLA_DUE = 'SLA_DUE',
}

export interface InboxRow {
  session: ChatSession;
  unreadCount: number;
  lastMessage: MessageView | null;
  lastActivityAt: Date;
  /** The nearest due time of the session's running SLA clocks (the SLA_DUE order's key); null when none runs. */
  slaDueAt: Date | null;
  /** Whether an SLA breach is recorded on the session (the slaBreached filter's test). */
  slaBreached: boolean;
}

export interface InboxTabs {
  mine: number;
  unassigned: number;
  all: number;
  /** Snoozed sessions (any assignee): listed with `status: SNOOZED`. */
  snoozed: number;
}

export interface InboxPage extends Connection<InboxRow> {
  /** Counted only when asked for (an aggregate over the matching sessions, unlike the page). */
  tabs: () => Promise<InboxTabs>;
}

export interface UnreadSummary {
  total: number;
  sessions: number;
}

const CURSOR_PREFIX = 'inbox:';

/** Opaque cursor over the inbox key (last activity in microseconds since the epoch, session id). */
export function encodeInboxCursor(activityMicros: string, sessionId: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${activityMicros}:${sessionId}`, 'utf8').toString('base64url');
}

export function decodeInboxCursor(cursor: string, field: string): { micros: string; id: string } {
  const raw = typeof cursor === 'string' && /^[A-Za-z0-9_-]{1,96}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^inbox:(-?\d{1,18}):(\d+)$/.exec(raw);
  if (!match || !isId(match[2]!)) throw badInput(field, `${field} is not a valid cursor`, 'INVALID_CURSOR');
  return { micros: match[1]!, id: match[2]! };
}

const DUE_CURSOR_PREFIX = 'inbox-due:';

/** Opaque cursor over the SLA_DUE key (nearest due time in microseconds since the epoch, empty when none runs; session id). */
export function encodeInboxDueCursor(dueMicros: string | null, sessionId: string): string {
  return Buffer.from(`${DUE_CURSOR_PREFIX}${dueMicros ?? ''}:${sessionId}`, 'utf8').toString('base64url');
}

export function decodeInboxDueCursor(cursor: string, field: string): { micros: string | null; id: string } {
  const raw = typeof cursor === 'string' && /^[A-Za-z0-9_-]{1,96}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^inbox-due:(-?\d{1,18})?:(\d+)$/.exec(raw);
  if (!match || !isId(match[2]!)) throw badInput(field, `${field} is not a valid cursor`, 'INVALID_CURSOR');
  return { micros: match[1] ?? null, id: match[2]! };
}

/** Session `s` has a recorded SLA breach (any metric, any cycle). */
const SLA_BREACHED_SQL = `exists (select 1 from sla_alerts a where a.session_id = s.id and a.tenant_id = s.tenant_id and a.kind = 'BREACH')`;

const micros = (column: string) => `(extract(epoch from ${column}) * 1000000)::bigint::text`;
const fromMicros = `timestamptz 'epoch' + ? * interval '1 microsecond'`;

/**
 * How a page of each order is read: its key as selected, the condition for "after this cursor"
 * (a cursor of another order is INVALID_CURSOR), its ORDER BY and the cursor of a row. SLA_DUE
 * sorts by `sla_due_at` ascending (an overdue clock first), sessions without a running clock
 * last, ties by id: the order is total, so a cursor continues it exactly.
 */
const INBOX_ORDERS: Record<InboxOrder, { key: string; after: (cursor: string) => SqlCondition; orderBy: string; cursor: (row: { id: string; micros: string | null }) => string }> = {
  [InboxOrder.LAST_ACTIVITY]: {
    key: micros('s.last_activity_at'),
    after: (after) => {
      const cursor = decodeInboxCursor(after, 'after');
      return { sql: `(s.last_activity_at, s.id) < (${fromMicros}, ?)`, params: [cursor.micros, cursor.id] };
    },
    orderBy: 's.last_activity_at desc, s.id desc',
    cursor: (row) => encodeInboxCursor(row.micros!, row.id),
  },
  [InboxOrder.SLA_DUE]: {
    key: micros('s.sla_due_at'),
    after: (after) => {
      const cursor = decodeInboxDueCursor(after, 'after');
      return cursor.micros === null
        ? { sql: 's.sla_due_at is null and s.id > ?', params: [cursor.id] }
        : { sql: `((s.sla_due_at, s.id) > (${fromMicros}, ?) or s.sla_due_at is null)`, params: [cursor.micros, cursor.id] };
    },
    orderBy: 's.sla_due_at asc nulls last, s.id asc',
    cursor: (row) => encodeInboxDueCursor(row.micros, row.id),
  },
};

/**
 * Per-viewer unread counts and the staff/admin inbox. The counters are maintained by the database
 * in the transaction of every write (Migration20261130010000_unread_inbox), so reading one is a
 * single-row lookup whatever the session's size; the inbox is a keyset page over
 * (tenant, last_activity_at, id). Raw SQL states the tenant scope itself.
 */
export class InboxService {
  constructor(private readonly scope: Scope) {}

  private get tenantId(): string {
    return this.scope.viewer.tenantId;
  }

  private async query<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.scope.em.getConnection().execute<T[]>(sql, params);
  }

  /**
   * The viewer's unread messages in a session they may read (the caller checked access): their
   * participant counter, or, for a reader who never joined (an admin looking in), everything they
   * may see, as a watermark of 0 means.
   */
  async unreadCount(sessionId: string): Promise<number> {
    const viewer = this.scope.viewer;
    const own = viewerParticipant(viewer);
    if (own === null) return 0;
    const column = seesPrivateNotes(viewer) ? 'staff_visible_count' : 'visible_count';
    const rows = await this.query<{ unread: number | null }>(
      `select coalesce((select p.unread_count from participants p where p.session_id = s.id and ${own.sql} limit 1), s.${column}) as unread
         from chat_sessions s where s.id = ? and s.tenant_id = ?`,
      [...own.params, sessionId, this.tenantId],
    );
    return Number(rows[0]?.unread ?? 0);
  }

  /**
   * Across the sessions the viewer takes part in and may still read: the unread total and how
   * many sessions have any. Admins count the sessions they joined (wrote or read in, or were
   * added to), not the whole tenant: the inbox shows the rest. Reads only participant rows with
   * something unread (a partial index).
   */
  unreadSummary(): Promise<UnreadSummary> {
    // One query per operation, however many fields ask (me { unreadTotal unreadSessions }).
    this.summary ??= this.readSummary();
    return this.summary;
  }

  private summary: Promise<UnreadSummary> | null = null;

  private async readSummary(): Promise<UnreadSummary> {
    const viewer = this.scope.viewer;
    if (viewer.kind === 'anonymous') throw unauthenticated();
    const own = viewerParticipant(viewer)!;
    const readable = readableSessionsCondition(viewer);
    const rows = await this.query<{ total: string | number; sessions: string | number }>(
      `select coalesce(sum(p.unread_count), 0) as total, count(*) as sessions
         from participants p join chat_sessions s on s.id = p.session_id
        where ${own.sql} and p.unread_count > 0 and p.left_at is null and p.tenant_id = ? and s.tenant_id = ? and (${readable.sql})`,
      [...own.params, this.tenantId, this.tenantId, ...readable.params],
    );
    return { total: Number(rows[0]?.total ?? 0), sessions: Number(rows[0]?.sessions ?? 0) };
  }

  /**
   * Support sessions by last activity, newest first. Staff see the sessions assigned to them
   * (DESIGN §4: the unassigned queue is not theirs to read, so its tab counts 0 for them); admins
   * the whole tenant. Keyset paging on (last_activity_at, id): a page costs the same at any depth
   * and tenant size. A session with new activity moves to the top, so paging on never repeats it.
   * With SLA_DUE, keyset paging on (sla_due_at, id) instead (INBOX_ORDERS): a session whose due
   * time moves while one pages moves with it, as a re-sorted list would.
   */
  async page(filterArg: InboxFilter | null | undefined, firstArg?: number | null, after?: string | null, orderArg?: InboxOrder | null): Promise<InboxPage> {
    const viewer = requireSupportStaff(this.scope.viewer);
    const first = intInRange(firstArg, 'first', 1, INBOX_MAX_PAGE_SIZE, INBOX_DEFAULT_PAGE_SIZE);
    const filter = filterArg ?? {};
    const common = this.commonConditions(filter, viewer);
    const assignee = this.assigneeCondition(filter, viewer);
    const where: SqlCondition[] = [...common, ...(assignee ? [assignee] : [])];
    const order = orderArg ?? InboxOrder.LAST_ACTIVITY;
    const keyset = INBOX_ORDERS[order];
    if (!keyset) throw badInput('order', 'order must be LAST_ACTIVITY or SLA_DUE');
    if (after != null) where.push(keyset.after(after));
    const { sql, params } = allOf(where);
    const rows = await this.query<{ id: string; micros: string | null }>(
      `select s.id::text as id, ${keyset.key} as micros
         from chat_sessions s where ${sql}
        order by ${keyset.orderBy} limit ?`,
      [...params, first + 1],
    );
    const page = rows.slice(0, first);
    const cursors = new Map(page.map((row) => [row.id, keyset.cursor(row)]));
    const built = await this.rows(page.map((row) => row.id));
    const edges = built.map((node) => ({ cursor: cursors.get(node.session.id)!, node }));
    return { ...forwardConnection(edges, rows.length > first, after), tabs: () => this.tabs(common, viewer.userId, filter) };
  }

  /** Tab counts (mine, unassigned, all) under the filter's other conditions (its assignee is what the tabs choose). */
  async tabCounts(filterArg: InboxFilter | null | undefined): Promise<InboxTabs> {
    const viewer = requireSupportStaff(this.scope.viewer);
    return this.tabs(this.commonConditions(filterArg ?? {}, viewer), viewer.userId, filterArg ?? {});
  }

  /**
   * The inbox rows of `sessionIds` for the viewer, in the given order (ids the viewer may not see
   * in the inbox are left out): the session, the viewer's unread count, the last message (notes
   * included, marked private: the inbox is staff-only) and the last activity.
   */
  async rows(sessionIds: readonly string[]): Promise<InboxRow[]> {
    if (sessionIds.length === 0) return [];
    const viewer = requireSupportStaff(this.scope.viewer);
    const { em } = this.scope;
    const visible = allOf([...this.commonConditions({}, viewer), { sql: `s.id in (${sessionIds.map(() => '?').join(', ')})`, params: [...sessionIds] }]);
    const facts = await this.query<{ id: string; unread: number; last_activity_at: Date | string; sla_due_at: Date | string | null; sla_breached: boolean; last_message_id: string }>(
      `select s.id::text as id, s.last_activity_at, s.sla_due_at, ${SLA_BREACHED_SQL} as sla_breached, ${lastMessageIdSql(viewer)}::text as last_message_id,
              coalesce((select p.unread_count from participants p where p.session_id = s.id and p.user_id = ? limit 1), s.staff_visible_count) as unread
         from chat_sessions s where ${visible.sql}`,
      [viewer.userId, ...visible.params],
    );
    const byId = new Map(facts.map((fact) => [fact.id, fact]));
    const ids = sessionIds.filter((id) => byId.has(id));
    if (ids.length === 0) return [];
    const sessions = await em.find(ChatSession, { id: { $in: ids } }, { populate: ['customer', 'agent'] });
    const sessionById = new Map(sessions.map((session) => [session.id, session]));
    const lastMessages = await this.messageViews(ids.map((id) => byId.get(id)!.last_message_id));
    const rows: InboxRow[] = [];
    for (const id of ids) {
      const fact = byId.get(id)!;
      const session = sessionById.get(id);
      if (!session) continue;
      rows.push({
        session,
        unreadCount: Number(fact.unread),
        lastMessage: lastMessages.get(id) ?? null,
        lastActivityAt: new Date(fact.last_activity_at),
        slaDueAt: fact.sla_due_at === null ? null : new Date(fact.sla_due_at),
        slaBreached: Boolean(fact.sla_breached),
      });
    }
    return rows;
  }

  /**
   * The newest message of a session the viewer may read (the caller checked access), as
   * `lastMessages` reads it. Calls made together (one per session of a list) share one batch.
   */
  async lastMessage(sessionId: string): Promise<MessageView | null> {
    let batch = this.lastBatch;
    if (!batch) {
      const ids: string[] = [];
      // A list's field resolvers all ask before the event loop turns: one read serves them.
      const views = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.lastBatch = null;
        return this.lastMessages(ids);
      });
      batch = { ids, views };
      this.lastBatch = batch;
    }
    batch.ids.push(sessionId);
    return (await batch.views).get(sessionId) ?? null;
  }

  private lastBatch: { ids: string[]; views: Promise<Map<string, MessageView>> } | null = null;

  /**
   * The newest message the viewer may see in each of `sessionIds` (sessions of the viewer's tenant
   * they may read: the caller checked), by session id, with its read state: a private note, marked,
   * for those who see notes, otherwise the newest message before it. Sessions without one are absent.
   */
  async lastMessages(sessionIds: readonly string[]): Promise<Map<string, MessageView>> {
    if (sessionIds.length === 0) return new Map();
    const rows = await this.query<{ last_message_id: string }>(
      `select ${lastMessageIdSql(this.scope.viewer)}::text as last_message_id
         from chat_sessions s where s.tenant_id = ? and s.id in (${sessionIds.map(() => '?').join(', ')})`,
      [this.tenantId, ...sessionIds],
    );
    return this.messageViews(rows.map((row) => row.last_message_id));
  }

  /** Messages with their read state, by session id. */
  private async messageViews(messageIdsArg: readonly string[]): Promise<Map<string, MessageView>> {
    const { em } = this.scope;
    const messageIds = messageIdsArg.filter((id) => id !== '0');
    if (messageIds.length === 0) return new Map();
    const messages = await em.find(ChatMessage, { id: { $in: messageIds } }, { populate: ['sender.user', 'attachments'] });
    const sessionIds = messages.map((m) => m.session.id);
    const participants = messages.length ? await em.find(Participant, { session: { $in: sessionIds } }, { populate: ['user'] }) : [];
    return new Map(
      messages.map((message) => {
        const watermarks = new WatermarkView(participants.filter((p) => p.session.id === message.session.id));
        return [message.session.id, watermarks.view(messageRecordOf(message))];
      }),
    );
  }

  /** Each tab counts what the page lists with that assignee (`snoozed`: with `status: SNOOZED`), under the same other conditions. */
  private async tabs(common: SqlCondition[], userId: string, filter: InboxFilter): Promise<InboxTabs> {
    const { sql, params } = allOf(common);
    const awake = awakeSql(filter);
    const rows = await this.query<{ mine: string | number; unassigned: string | number; total: string | number; snoozed: string | number }>(
      `select count(*) filter (where s.agent_id = ? and ${awake}) as mine, count(*) filter (where s.agent_id is null and ${awake}) as unassigned, count(*) as total,
              count(*) filter (where s.status = '${SessionStatus.SNOOZED}') as snoozed
         from chat_sessions s where ${sql}`,
      [userId, ...params],
    );
    const row = rows[0];
    return { mine: Number(row?.mine ?? 0), unassigned: Number(row?.unassigned ?? 0), all: Number(row?.total ?? 0), snoozed: Number(row?.snoozed ?? 0) };
  }

  /** Tenant, support sessions only, what the viewer may see, and the filter's conditions other than the assignee. */
  private commonConditions(filter: InboxFilter, viewer: Extract<Viewer, { kind: 'user' }>): SqlCondition[] {
    const where: SqlCondition[] = [
      { sql: 's.tenant_id = ?', params: [this.tenantId] },
      { sql: `s.kind = '${SessionKind.SUPPORT}'`, params: [] },
    ];
    if (viewer.role === UserRole.STAFF) where.push({ sql: 's.agent_id = ?', params: [viewer.userId] });
    if (filter.status != null) {
      if (!Object.values(SessionStatus).includes(filter.status)) throw badInput('status', 'status is not a session status');
      where.push({ sql: 's.status = ?', params: [filter.status] });
    }
    if (filter.priority != null) {
      if (!Object.values(Priority).includes(filter.priority)) throw badInput('priority', 'priority is not a priority');
      where.push({ sql: 's.priority = ?', params: [filter.priority] });
    }
    if (filter.tag != null) where.push({ sql: '? = any(s.tags)', params: [requireName(filter.tag, 'tag', MAX_TAG_LENGTH).toLowerCase()] });
    if (filter.waitingForReply != null) where.push({ sql: filter.waitingForReply ? 's.waiting_since is not null' : 's.waiting_since is null', params: [] });
    if (filter.slaBreached != null) where.push({ sql: filter.slaBreached ? SLA_BREACHED_SQL : `not ${SLA_BREACHED_SQL}`, params: [] });
    return where;
  }

  private assigneeCondition(filter: InboxFilter, viewer: Extract<Viewer, { kind: 'user' }>): SqlCondition | null {
    if (filter.agentId != null) {
      if (filter.assignee != null) throw badInput('agentId', 'pass either assignee or agentId, not both');
      return { sql: 's.agent_id = ?', params: [parseId(filter.agentId, 'agentId')] };
    }
    switch (filter.assignee ?? InboxAssignee.ANY) {
      case InboxAssignee.ME:
        return { sql: `s.agent_id = ? and ${awakeSql(filter)}`, params: [viewer.userId] };
      case InboxAssignee.UNASSIGNED:
        return { sql: `s.agent_id is null and ${awakeSql(filter)}`, params: [] };
      case InboxAssignee.ANY:
        return null;
      default:
        throw badInput('assignee', 'assignee must be ME, UNASSIGNED or ANY');
    }
  }
}

/**
 * Snoozed sessions leave the mine and unassigned tabs (they have their own, and `all` keeps
 * everything): unless the filter names a status, which then decides alone (`status: SNOOZED` with
 * `assignee: ME` lists the viewer's snoozed sessions).
 */
function awakeSql(filter: InboxFilter): string {
  return filter.status != null ? 'true' : `s.status <> '${SessionStatus.SNOOZED}'`;
}

/**
 * The id of the newest message of session `s` that `viewer` may see (0: none), as SQL: the row's
 * own for those who see notes, otherwise the newest message at or below it that is no note.
 */
function lastMessageIdSql(viewer: Viewer): string {
  const notes = visibleMessagesSql(viewer);
  if (notes === '') return 's.last_message_id';
  return `coalesce((select max(id) from chat_messages where tenant_id = s.tenant_id and session_id = s.id and id <= s.last_message_id${notes}), 0)`;
}

/** The viewer's own participant row, as a condition on the participant alias `p` (null: no participant can be the viewer's). */
function viewerParticipant(viewer: Viewer): SqlCondition | null {
  const key = participantKeyOf(viewer);
  if (key === null) return null;
  return 'participantId' in key ? { sql: 'p.id = ?', params: [key.participantId] } : { sql: 'p.user_id = ?', params: [key.userId] };
}
