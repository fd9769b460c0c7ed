import type { Scope } from '../db/scope.js';
import { ChatMessage } from '../model/message.entity.js';
import { Participant } from '../model/participant.entity.js';
import { ChatSession } from '../model/session.entity.js';
import { messageRecordOf } from '../sessions/message-record.js';
import { searchableMessagesCondition } from '../sessions/message-visibility.js';
import { loadAccessibleSession, readableSessionsCondition, type SqlCondition, sessionIdFrom } from '../sessions/session-access.js';
import { type MessageView, WatermarkView } from '../sessions/watermarks.js';
import type { PageInfo } from '../shared/connection.js';
import { UserRole } from '../shared/enums.js';
import { badInput, unauthenticated } from '../shared/errors.js';
import { requireSupportStaff, requireUser } from '../shared/guards.js';
import { intInRange, requireText } from '../shared/validate.js';
import { HEADLINE_OPTIONS, MATCH_END, MATCH_START, renderHighlight } from './highlight.js';
import { decodeSearchCursor, encodeSearchCursor, SearchOrder, type SearchPosition } from './search-cursor.js';
import { keyset, SqlText } from './search-sql.js';

/** Longer queries are refused (TOO_LONG): a query is a few words, not a document. */
export const MAX_QUERY_LENGTH = 256;
export const MAX_SEARCH_PAGE = 50;
export const DEFAULT_SEARCH_PAGE = 20;
/** Up to this many readable sessions are passed to the search as a list of ids (see messages()). */
const MAX_LISTED_SESSIONS = 1_000;
/** Ranked order ranks this many of the newest matches (all of them for rarer words). */
export const RANK_CANDIDATES = 1_000;

export interface SearchArgs {
  /** Web-search syntax (websearch_to_tsquery): words, "quoted phrases", -word, or. */
  query: string;
  first?: number | null;
  after?: string | null;
  /** RANK unless given. */
  order?: SearchOrder | null;
}

export interface MessageSearchArgs extends SearchArgs {
  /** Only this session (numeric id or UUID); it must be readable. */
  sessionId?: string | null;
  /** createdAt >= from. */
  from?: Date | null;
  /** createdAt < to. */
  to?: Date | null;
}

export interface SearchConnection<E> {
  edges: E[];
  pageInfo: PageInfo;
}

export interface MessageHit {
  node: MessageView;
  cursor: string;
  /** HTML-escaped excerpt with matches in <mark>…</mark> (search/highlight.ts). */
  highlight: string;
}

export interface SessionHit {
  node: ChatSession;
  cursor: string;
}

interface ParsedQuery {
  /** The tenant's text-search configuration, e.g. `simple`. */
  config: string;
  text: string;
}

interface Page {
  size: number;
  order: SearchOrder;
  after: SearchPosition | null;
}

interface RankedRow {
  id: string;
  rank: string;
}

/**
 * Full-text search (docs/search.md): messages by content, sessions by subject, tags and who the
 * customer is, always within what the viewer may read. Raw SQL, so the tenant is stated in every
 * query (`tenant_id = ?`): the ORM's tenant filter does not apply to it.
 */
export class SearchService {
  constructor(private readonly scope: Scope) {}

  async messages(args: MessageSearchArgs): Promise<SearchConnection<MessageHit>> {
    const { em, viewer } = this.scope;
    const readable = readableSessionsCondition(viewer);
    const page = this.page(args);
    const { config, text } = await this.parse(args.query);
    // A named session is checked the way reading it is: NOT_FOUND or FORBIDDEN rather than nothing.
    const sessionId = args.sessionId == null ? null : (await loadAccessibleSession(em, viewer, await sessionIdFrom(em, args.sessionId, 'sessionId'))).id;

    const sessionIds = sessionId !== null ? [sessionId] : await this.readableSessionIds(readable);
    if (sessionIds !== null && sessionIds.length === 0) return { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: args.after != null, startCursor: null, endCursor: null } };

    const sql = new SqlText();
    const tsquery = () => `websearch_to_tsquery(${sql.value(config)}::regconfig, ${sql.value(text)})`;
    const keys = keyset(page.order, 'hit.rank', 'hit.id');
    // The readable sessions as a list of ids, not a join: joined, the planner drives the search
    // from the sessions and ANDs their whole message ranges into the bitmap (measured: 28 ms
    // instead of 0.3 ms for a rare word at 1,000,000 messages in 20 sessions); a list lets it
    // weigh the sessions' share of the table. Past MAX_LISTED_SESSIONS, the condition itself.
    const readableScope = () => {
      if (sessionIds === null) return 'true';
      if (sessionIds.length <= MAX_LISTED_SESSIONS) return `m.session_id in (${sessionIds.map((id) => sql.value(id)).join(', ')})`;
      return `exists (select 1 from chat_sessions s where s.id = m.session_id and s.tenant_id = ${sql.value(viewer.tenantId)} and ${sql.condition(readable)})`;
    };
    const inner = keyset(page.order, 'r.rank', 'm.id');
    const matches = () => `
    m.tenant_id = ${sql.value(viewer.tenantId)}
    and m.search_vector @@ ${tsquery()}
    and ${sql.condition(searchableMessagesCondition(viewer))}
    and ${readableScope()}
    and ${args.from == null ? 'true' : `m.created_at >= ${sql.value(args.from.toISOString())}::timestamptz`}
    and ${args.to == null ? 'true' : `m.created_at < ${sql.value(args.to.toISOString())}::timestamptz`}`;
    // Ranked order ranks the newest RANK_CANDIDATES matches: ranking every match of a common
    // word costs as much as reading all of them (0.6 s for 100,000 matches), while the newest
    // ones come off the id index in a few ms. Newest first needs no candidates. (One template,
    // written in text order: SqlText numbers its parameters in the order they are written.)
    const ranked = page.order === SearchOrder.RANK;
    const query = `
select hit.id, hit.rank::text as rank,
  ts_headline(${sql.value(config)}::regconfig, translate(hit.content, ${sql.value(MATCH_START + MATCH_END)}, ''), ${tsquery()}, ${sql.value(HEADLINE_OPTIONS)}) as headline
from (
  select m.id, m.content, r.rank
  from ${ranked ? `(select m.id, m.content, m.search_vector from chat_messages m where ${matches()} order by m.id desc limit ${sql.value(RANK_CANDIDATES)}) m` : 'chat_messages m'}
  cross join lateral (select ${ranked ? `ts_rank(m.search_vector, ${tsquery()})` : '0::real'} as rank) r
  where ${ranked ? 'true' : matches()}
    and ${inner.after(sql, page.after)}
  order by ${inner.orderBy}
  limit ${sql.value(page.size + 1)}
) hit
order by ${keys.orderBy}`;
    const rows = await em.execute<(RankedRow & { headline: string })[]>(query, sql.params);
    const { hits, pageInfo } = this.cut(rows, page);
    const views = await this.messageViews(hits.map((row) => row.id));
    return {
      edges: hits.map((row) => ({ node: views.get(row.id)!, cursor: row.cursor, highlight: renderHighlight(row.headline) })),
      pageInfo,
    };
  }

  /** Staff and admins only: sessions by subject, tags, and the customer's or guest's name and email. */
  async sessions(args: SearchArgs): Promise<SearchConnection<SessionHit>> {
    const { em, viewer } = this.scope;
    const staff = requireSupportStaff(viewer);
    const readable = readableSessionsCondition(viewer);
    const page = this.page(args);
    const { config, text } = await this.parse(args.query);

    const sql = new SqlText();
    const tsquery = () => `websearch_to_tsquery(${sql.value(config)}::regconfig, ${sql.value(text)})`;
    const keys = keyset(page.order, 'r.rank', 's.id');
    // Computed per row, not indexed: sessions are far fewer than messages, and the access
    // condition narrows staff to their own. A user's email is personal data only admins read
    // (shared/personal-data.ts), so only an admin's search looks at it; guest contact details
    // are the support side's to read.
    const fields = ['s.subject', `array_to_string(s.tags, ' ')`, 's.guest_name', 's.guest_email', 'u.display_name', 'u.username', ...(staff.role === UserRole.ADMIN ? ['u.email'] : [])];
    const query = `
select s.id, r.rank::text as rank
from chat_sessions s
left join users u on u.id = s.customer_id
cross join lateral (select to_tsvector(${sql.value(config)}::regconfig, concat_ws(' ', ${fields.join(', ')})) as document) d
cross join lateral (select ts_rank(d.document, ${tsquery()}) as rank) r
where s.tenant_id = ${sql.value(viewer.tenantId)}
  and ${sql.condition(readable)}
  and d.document @@ ${tsquery()}
  and ${keys.after(sql, page.after)}
order by ${keys.orderBy}
limit ${sql.value(page.size + 1)}`;
    const rows = await em.execute<RankedRow[]>(query, sql.params);
    const { hits, pageInfo } = this.cut(rows, page);
    const sessions = await em.find(ChatSession, { id: { $in: hits.map((row) => row.id) } }, { populate: ['customer', 'agent'] });
    const byId = new Map(sessions.map((session) => [session.id, session]));
    return { edges: hits.map((row) => ({ node: byId.get(row.id)!, cursor: row.cursor })), pageInfo };
  }

  /**
   * Admins only: the tenant's text-search configuration (a name from pg_ts_config, such as
   * `simple`, `english`, `german`). Re-indexes the tenant's messages in the same transaction, so
   * every message is searched with the configuration it was indexed with; on a large tenant
   * this rewrites every message row.
   */
  async setLanguage(configArg: string): Promise<string> {
    const { em, viewer } = this.scope;
    requireUser(viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const name = requireText(configArg, 'config', 128);
    const [found] = await em.execute<{ config: string }[]>('select cfgname::text as config from pg_ts_config where cfgname = ? limit 1', [name]);
    const config = found?.config ?? null;
    if (config === null) throw badInput('config', 'config must name a text-search configuration (pg_ts_config)', 'UNKNOWN_SEARCH_CONFIG');
    await em.transactional(async (tx) => {
      await tx.execute('update tenants set search_config = ?::regconfig where id = ?', [config, viewer.tenantId]);
      await tx.execute('update chat_messages set search_config = ?::regconfig where tenant_id = ? and search_config <> ?::regconfig', [config, viewer.tenantId, config]);
    });
    return config;
  }

  /** The ids of the sessions the viewer may read; null when that is every session of the tenant (admins). */
  private async readableSessionIds(readable: SqlCondition): Promise<string[] | null> {
    const { em, viewer } = this.scope;
    if (viewer.kind === 'user' && viewer.role === UserRole.ADMIN) return null;
    const sql = new SqlText();
    const query = `select s.id from chat_sessions s where s.tenant_id = ${sql.value(viewer.tenantId)} and ${sql.condition(readable)}`;
    const rows = await em.execute<{ id: string }[]>(query, sql.params);
    return rows.map((row) => String(row.id));
  }

  private page(args: SearchArgs): Page {
    const order = args.order ?? SearchOrder.RANK;
    const size = intInRange(args.first, 'first', 1, MAX_SEARCH_PAGE, DEFAULT_SEARCH_PAGE);
    return { size, order, after: args.after == null ? null : decodeSearchCursor(args.after, order, 'after') };
  }

  /**
   * The query in the tenant's configuration. Refused when it leaves nothing to look up in the
   * index: no words at all (`"" - or`), or only excluded words (`-refund`), which would match
   * nearly everything by reading every row.
   */
  private async parse(queryArg: string): Promise<ParsedQuery> {
    const { em, viewer } = this.scope;
    const text = requireText(queryArg, 'query', MAX_QUERY_LENGTH);
    const [row] = await em.execute<{ config: string; tree: string }[]>(
      'select t.search_config::text as config, querytree(websearch_to_tsquery(t.search_config, ?)) as tree from tenants t where t.id = ?',
      [text, viewer.tenantId],
    );
    if (!row) throw unauthenticated('INVALID_CLAIMS');
    if (row.tree === '' || row.tree === 'T') throw badInput('query', 'query has no words to search for', 'SEARCH_QUERY_EMPTY');
    return { config: row.config, text };
  }

  /** A page of size + 1 rows: the page, its cursors and whether another follows. */
  private cut<R extends RankedRow>(rows: R[], page: Page): { hits: (R & { cursor: string })[]; pageInfo: SearchConnection<unknown>['pageInfo'] } {
    const hits = rows.slice(0, page.size).map((row) => {
      const id = String(row.id);
      const position: SearchPosition = page.order === SearchOrder.RANK ? { order: page.order, rank: row.rank, id } : { order: page.order, id };
      return { ...row, id, cursor: encodeSearchCursor(position) };
    });
    const pageInfo = {
      hasNextPage: rows.length > page.size,
      // As Relay allows when paging forward: a page that starts after a cursor has one before it.
      hasPreviousPage: page.after !== null,
      startCursor: hits[0]?.cursor ?? null,
      endCursor: hits[hits.length - 1]?.cursor ?? null,
    };
    return { hits, pageInfo };
  }

  /** The hits as Message views; read state comes from each hit's own session's watermarks. */
  private async messageViews(ids: string[]): Promise<Map<string, MessageView>> {
    const { em } = this.scope;
    if (ids.length === 0) return new Map();
    const messages = await em.find(ChatMessage, { id: { $in: ids } }, { populate: ['sender.user', 'attachments'] });
    const sessionIds = [...new Set(messages.map((message) => message.session.id))];
    const participants = await em.find(Participant, { session: { $in: sessionIds } }, { populate: ['user'] });
    const watermarks = new Map(sessionIds.map((id) => [id, new WatermarkView(participants.filter((p) => p.session.id === id))]));
    return new Map(messages.map((message) => [message.id, watermarks.get(message.session.id)!.view(messageRecordOf(message))]));
  }
}
