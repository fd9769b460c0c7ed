/**
 * The HTTP floor: what ANY Node server must spend to answer the benchmark's requests. A bare
 * `node:http` server over the same database (pg pool or PGlite) that parses the same request
 * body, checks a bearer token as cheaply as possible (a map of the bench's known tokens, then a
 * constant-time compare), runs the statements Parley runs on that path with the same tenant
 * scope and access rule, and writes the same JSON Parley's GraphQL answer has for the
 * benchmark's documents (same fields, same order). Nothing else: no framework, no GraphQL, no
 * ORM, no JWT verification, no user lookup, no logging, no rate limiter. bench/NOTES.md says why
 * this is fair and what it leaves out.
 *
 * It runs in a child process of its own (bench/lib/http-floor-process.ts), like Parley, so the
 * load generator never shares its event loop.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { WebSocketServer } from 'ws';
import { decodeCursor, encodeCursor } from '../../src/messages/cursor.js';
import { MAX_CONTENT_LENGTH } from '../../src/shared/limits.js';

export type FloorQuery = (sql: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[]; count: number }>;

/** The database under the floor: one statement at a time, or a transaction on one connection. */
export interface FloorDb {
  query: FloorQuery;
  transaction<T>(body: (query: FloorQuery) => Promise<T>): Promise<T>;
}

/** A signed-in bench actor as the floor knows it (resolved once at start, never per request). */
export interface FloorActor {
  token: string;
  userId: string;
  tenantId: string;
  role: 'ADMIN' | 'STAFF' | 'USER' | 'BOT';
}

/** What the bench's GraphQL documents ask for, answered by path (the scenarios point a GraphQLClient at each). */
export const FLOOR_PATHS = {
  bare: '/bare',
  send: '/send',
  cursor: '/messages',
  since: '/messages-since',
  offset: '/messages-page',
  broadcast: '/broadcast',
} as const;

/** The constant answer of the bare round trip: `{ __typename }` as GraphQL writes it. */
const BARE = Buffer.from(JSON.stringify({ data: { __typename: 'Query' } }));
const MAX_BODY_BYTES = 1_048_576;
const PAGE_SIZE = 50;
const ID = /^[1-9]\d{0,17}$/;
const WATERMARK = /^(0|[1-9]\d{0,17})$/;

class FloorError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Variables = Record<string, unknown>;

interface SessionRow {
  id: string;
  tenantId: string;
  kind: string;
  status: string;
  customerId: string | null;
  agentId: string | null;
  messageCount: number;
  noteCount: number;
  lastMessageId: string;
}

interface ParticipantRow {
  id: string;
  role: string;
  userId: string | null;
  name: string;
  username: string | null;
  lastRead: bigint;
  lastDelivered: bigint;
}

const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const iso = (value: unknown): string | null => (value === null || value === undefined ? null : new Date(value as string | Date).toISOString());

function idArg(value: unknown, field: string, pattern = ID): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new FloorError(400, 'BAD_USER_INPUT', `${field} must be an id`);
  return value;
}

/** Staff, admins and bots see private notes (src/sessions/message-visibility.ts). */
const seesNotes = (actor: FloorActor): boolean => actor.role !== 'USER';

/**
 * The session row, tenant-scoped, and DESIGN §4's rule for support sessions (rooms are not
 * benchmarked; the floor refuses them rather than answer differently from Parley).
 */
async function accessibleSession(query: FloorQuery, actor: FloorActor, sessionId: string, lock: boolean): Promise<SessionRow> {
  const { rows } = await query(
    `select id, tenant_id, kind, status, customer_id, agent_id, message_count, note_count, last_message_id from chat_sessions where tenant_id = $1 and id = $2${lock ? ' for update' : ''}`,
    [actor.tenantId, sessionId],
  );
  const row = rows[0];
  if (!row) throw new FloorError(404, 'NOT_FOUND', `Session ${sessionId} not found`);
  const session: SessionRow = {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    kind: String(row.kind),
    status: String(row.status),
    customerId: str(row.customer_id),
    agentId: str(row.agent_id),
    messageCount: Number(row.message_count),
    noteCount: Number(row.note_count),
    lastMessageId: String(row.last_message_id),
  };
  if (session.kind !== 'SUPPORT') throw new FloorError(400, 'BAD_USER_INPUT', 'the HTTP floor serves support sessions only');
  const allowed = actor.role === 'ADMIN' || (actor.role === 'STAFF' && session.agentId === actor.userId) || (actor.role === 'USER' && session.customerId === actor.userId);
  if (!allowed) throw new FloorError(403, 'FORBIDDEN', 'not your session');
  return session;
}

/** Every participant of the session with its user's names, tenant-scoped (one query, as Parley). */
async function participantsOf(query: FloorQuery, session: SessionRow): Promise<ParticipantRow[]> {
  const { rows } = await query(
    `select p.id, p.role, p.user_id, p.guest_name, p.last_read_message_id, p.last_delivered_message_id, u.display_name, u.username
     from participants p left join users u on u.id = p.user_id and u.tenant_id = $1
     where p.tenant_id = $1 and p.session_id = $2`,
    [session.tenantId, session.id],
  );
  return rows.map((p) => ({
    id: String(p.id),
    role: String(p.role),
    userId: str(p.user_id),
    name: str(p.display_name) ?? str(p.guest_name) ?? 'Guest',
    username: str(p.username),
    lastRead: BigInt(String(p.last_read_message_id)),
    lastDelivered: BigInt(String(p.last_delivered_message_id)),
  }));
}

type Side = 'customer' | 'staff' | 'member';
const sideOf = (role: string): Side => (role === 'CUSTOMER' ? 'customer' : role === 'MEMBER' ? 'member' : 'staff');

/** Read state as src/sessions/watermarks.ts derives it: the other side's watermarks. */
function readState(participants: readonly ParticipantRow[], messageId: string, sender: ParticipantRow | undefined): { read: boolean; status: string } {
  const id = BigInt(messageId);
  const senderSide = sender ? sideOf(sender.role) : null;
  let read = false;
  let delivered = false;
  for (const p of participants) {
    if (p === sender) continue;
    const side = sideOf(p.role);
    if (senderSide !== null && side === senderSide && side !== 'member') continue;
    if (p.lastRead >= id) read = true;
    if (p.lastDelivered >= id) delivered = true;
  }
  return { read, status: read ? 'READ' : delivered ? 'DELIVERED' : 'SENT' };
}

const MESSAGE_COLUMNS = 'id, uuid, sender_id, sender_type, content, metadata, client_message_id, created_at, edited_at, deleted_at';

/** The bench's message selection (bench/scenarios/history.ts FIELDS), in its order. */
function messageNodes(session: SessionRow, rows: Record<string, unknown>[], participants: readonly ParticipantRow[]) {
  const byId = new Map(participants.map((p) => [p.id, p]));
  return rows.map((row) => {
    const id = String(row.id);
    const senderId = str(row.sender_id);
    const sender = senderId === null ? undefined : byId.get(senderId);
    const { read, status } = readState(participants, id, sender);
    return {
      id,
      uuid: String(row.uuid),
      sessionId: session.id,
      senderType: String(row.sender_type),
      senderId,
      senderName: senderId === null ? 'System' : (sender?.name ?? 'Guest'),
      content: row.deleted_at ? '' : String(row.content),
      metadata: row.metadata,
      clientMessageId: str(row.client_message_id),
      createdAt: iso(row.created_at),
      editedAt: iso(row.edited_at),
      read,
      status,
    };
  });
}

/** Returned messages count as delivered to the reader (src/messages/message.service.ts markDelivered). */
async function markDelivered(db: FloorDb, actor: FloorActor, session: SessionRow, participants: readonly ParticipantRow[], messageId: string | undefined): Promise<void> {
  if (messageId === undefined) return;
  const own = participants.find((p) => p.userId === actor.userId);
  if (!own || own.lastDelivered >= BigInt(messageId)) return;
  await db.transaction(async (tx) => {
    await tx('select id from chat_sessions where tenant_id = $1 and id = $2 for update', [session.tenantId, session.id]);
    const moved = await tx('update participants set last_delivered_message_id = $3 where tenant_id = $1 and id = $2 and last_delivered_message_id < $3', [session.tenantId, own.id, messageId]);
    if (moved.count === 0) return;
    const payload = { participantId: own.id, userId: actor.userId, lastDeliveredMessageId: messageId };
    await tx(`insert into session_events (tenant_id, session_id, type, payload, created_at) values ($1, $2, 'delivery.updated', $3, $4)`, [
      session.tenantId,
      session.id,
      JSON.stringify(payload),
      new Date(),
    ]);
  });
}

const notesFilter = (actor: FloorActor) => (seesNotes(actor) ? '' : ' and private = false');

/** `messages(sessionId, first: 50, after)`: a Relay page forward, cut at the session's last message. */
async function cursorPage(db: FloorDb, actor: FloorActor, v: Variables) {
  const session = await accessibleSession(db.query, actor, idArg(v.s, 's'), false);
  let after: string | null = null;
  if (v.after !== null && v.after !== undefined) {
    try {
      after = decodeCursor(String(v.after), 'after');
    } catch {
      throw new FloorError(400, 'BAD_USER_INPUT', 'after is not a valid cursor');
    }
  }
  const params: unknown[] = [session.tenantId, session.id, session.lastMessageId];
  if (after !== null) params.push(after);
  const { rows } = await db.query(
    `select ${MESSAGE_COLUMNS} from chat_messages where tenant_id = $1 and session_id = $2 and id <= $3${after !== null ? ' and id > $4' : ''}${notesFilter(actor)} order by id asc limit ${PAGE_SIZE + 1}`,
    params,
  );
  const more = rows.length > PAGE_SIZE;
  const page = rows.slice(0, PAGE_SIZE);
  const hasPreviousPage =
    after !== null &&
    (await db.query(`select id from chat_messages where tenant_id = $1 and session_id = $2 and id <= $3${notesFilter(actor)} limit 1`, [session.tenantId, session.id, after])).rows.length > 0;
  const participants = page.length ? await participantsOf(db.query, session) : [];
  const nodes = messageNodes(session, page, participants);
  const last = nodes[nodes.length - 1]?.id;
  await markDelivered(db, actor, session, participants, last);
  return {
    messages: {
      totalCount: session.messageCount + (seesNotes(actor) ? session.noteCount : 0),
      pageInfo: { hasNextPage: more, hasPreviousPage, endCursor: last ? encodeCursor(last) : null },
      edges: nodes.map((node) => ({ cursor: encodeCursor(node.id), node })),
    },
  };
}

/** `messagesSince(sessionId, afterId, limit: 50)`: the polling primitive. */
async function sincePage(db: FloorDb, actor: FloorActor, v: Variables) {
  const afterId = idArg(v.after, 'after', WATERMARK);
  const session = await accessibleSession(db.query, actor, idArg(v.s, 's'), false);
  const { rows } = await db.query(`select ${MESSAGE_COLUMNS} from chat_messages where tenant_id = $1 and session_id = $2 and id > $3${notesFilter(actor)} order by id asc limit ${PAGE_SIZE}`, [
    session.tenantId,
    session.id,
    afterId,
  ]);
  const participants = rows.length ? await participantsOf(db.query, session) : [];
  const nodes = messageNodes(session, rows, participants);
  await markDelivered(db, actor, session, participants, nodes[nodes.length - 1]?.id);
  return { messagesSince: nodes };
}

/** `messagesPage(sessionId, offset, limit: 50)`: offset paging in (createdAt, id) order. */
async function offsetPage(db: FloorDb, actor: FloorActor, v: Variables) {
  const offset = v.offset === null || v.offset === undefined ? 0 : v.offset;
  if (!Number.isInteger(offset) || (offset as number) < 0 || (offset as number) > 10_000_000) throw new FloorError(400, 'BAD_USER_INPUT', 'offset must be 0 to 10,000,000');
  const session = await accessibleSession(db.query, actor, idArg(v.s, 's'), false);
  const { rows } = await db.query(
    `select ${MESSAGE_COLUMNS} from chat_messages where tenant_id = $1 and session_id = $2 and id <= $3${notesFilter(actor)} order by created_at asc, id asc limit ${PAGE_SIZE + 1} offset $4`,
    [session.tenantId, session.id, session.lastMessageId, offset],
  );
  const page = rows.slice(0, PAGE_SIZE);
  const participants = page.length ? await participantsOf(db.query, session) : [];
  const nodes = messageNodes(session, page, participants);
  let highest: string | undefined;
  for (const node of nodes) if (highest === undefined || BigInt(node.id) > BigInt(highest)) highest = node.id;
  await markDelivered(db, actor, session, participants, highest);
  return { messagesPage: { totalCount: session.messageCount + (seesNotes(actor) ? session.noteCount : 0), hasMore: rows.length > PAGE_SIZE, items: nodes } };
}

/**
 * `sendMessage(sessionId, content) { created message { id uuid createdAt senderType content } }`
 * as a customer: Parley's transaction (src/messages/message.service.ts write()) statement for
 * statement, except that the session's counters and its last message id go in one UPDATE where
 * Parley's unit of work issues two. The outbox row's `seq` is numbered by the same trigger.
 */
async function send(db: FloorDb, actor: FloorActor, v: Variables) {
  const sessionId = idArg(v.sessionId, 'sessionId');
  const content = v.content;
  if (typeof content !== 'string' || content.trim() === '' || content.length > MAX_CONTENT_LENGTH) {
    throw new FloorError(400, 'BAD_USER_INPUT', `content must be 1 to ${MAX_CONTENT_LENGTH} characters`);
  }
  if (actor.role !== 'USER') throw new FloorError(400, 'BAD_USER_INPUT', "the HTTP floor sends as the session's customer only");
  const message = await db.transaction(async (tx) => {
    const session = await accessibleSession(tx, actor, sessionId, true);
    if (session.status === 'CLOSED') throw new FloorError(409, 'CONFLICT', 'The session is closed and accepts no new messages');
    const participants = await participantsOf(tx, session);
    const sender = participants.find((p) => p.userId === actor.userId);
    if (!sender) throw new FloorError(403, 'FORBIDDEN', 'not a participant');
    // Parley reads the tenant's auto-assignment setting when a customer writes into an unassigned session.
    if (session.agentId === null) await tx('select auto_assign from tenants where id = $1', [session.tenantId]);
    const createdAt = new Date();
    const uuid = randomUUID();
    const { rows } = await tx(
      `insert into chat_messages (uuid, tenant_id, session_id, sender_id, sender_type, content, metadata, client_message_id, created_at, private, version)
       values ($1, $2, $3, $4, 'USER', $5, '{}', null, $6, false, 1) returning id`,
      [uuid, session.tenantId, session.id, sender.id, content, createdAt],
    );
    const id = String(rows[0]!.id);
    // The event payload Parley writes (src/messages/message.dto.ts messageDto), field for field.
    const payload = {
      message: {
        id,
        uuid,
        sessionId: session.id,
        senderType: 'USER',
        senderId: sender.id,
        senderUserId: actor.userId,
        senderName: sender.name,
        senderUsername: sender.username,
        content,
        metadata: {},
        clientMessageId: null,
        createdAt: createdAt.toISOString(),
        editedAt: null,
        deletedAt: null,
        version: 1,
        private: false,
        attachments: [],
      },
    };
    await tx(`insert into session_events (tenant_id, session_id, type, payload, created_at) values ($1, $2, 'message.created', $3, $4) returning id, seq, inbox_seq`, [
      session.tenantId,
      session.id,
      JSON.stringify(payload),
      new Date(),
    ]);
    // A customer's message opens a wait (response-time stats) if none is open.
    await tx(
      `update chat_sessions set message_count = message_count + 1, last_message_at = $3, updated_at = $3, waiting_since = coalesce(waiting_since, $3), last_message_id = $4
       where tenant_id = $1 and id = $2`,
      [session.tenantId, session.id, createdAt, id],
    );
    await tx('update participants set last_read_message_id = $3, last_delivered_message_id = $3 where tenant_id = $1 and id = $2', [session.tenantId, sender.id, id]);
    return { id, uuid, createdAt: createdAt.toISOString(), senderType: 'USER', content };
  });
  return { sendMessage: { created: true, message } };
}

const ROUTES: Record<string, (db: FloorDb, actor: FloorActor, variables: Variables) => Promise<unknown>> = {
  [FLOOR_PATHS.send]: send,
  [FLOOR_PATHS.cursor]: cursorPage,
  [FLOOR_PATHS.since]: sincePage,
  [FLOOR_PATHS.offset]: offsetPage,
};

function reply(res: ServerResponse, status: number, body: Buffer | string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  reply(res, status, JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Looks the bearer token up among the bench's actors; the compare is constant-time. */
function authenticate(actors: Map<string, { actor: FloorActor; token: Buffer }>, header: string | undefined): FloorActor | null {
  if (!header?.startsWith('Bearer ')) return null;
  const token = header.slice(7);
  const known = actors.get(token);
  if (!known) return null;
  const given = Buffer.from(token);
  return given.length === known.token.length && timingSafeEqual(given, known.token) ? known.actor : null;
}

/**
 * The floor server. `db` null: only the bare round trip and the `ws` broadcast (the fan-out
 * floor: a POST to /broadcast sends one frame to every socket).
 */
export function createFloorServer(db: FloorDb | null, actorList: readonly FloorActor[]): Server {
  const actors = new Map(actorList.map((actor) => [actor.token, { actor, token: Buffer.from(actor.token) }]));
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((req, res) => {
    readBody(req).then(
      async (body) => {
        if (body === null) return fail(res, 413, 'PAYLOAD_TOO_LARGE', `at most ${MAX_BODY_BYTES} bytes`);
        const path = req.url ?? '/';
        if (req.method !== 'POST') return fail(res, 405, 'METHOD_NOT_ALLOWED', 'POST only');
        if (path === FLOOR_PATHS.bare) return reply(res, 200, BARE);
        if (path === FLOOR_PATHS.broadcast) {
          let content: unknown;
          try {
            content = (JSON.parse(body.toString('utf8')) as { content?: unknown }).content;
          } catch {
            return fail(res, 400, 'BAD_USER_INPUT', 'body is not JSON');
          }
          const frame = JSON.stringify({ data: { messageAdded: { content } } });
          for (const client of wss.clients) client.send(frame);
          return reply(res, 200, '{}');
        }
        const route = ROUTES[path];
        if (!route || !db) return fail(res, 404, 'NOT_FOUND', `no route ${path}`);
        const actor = authenticate(actors, req.headers.authorization);
        if (!actor) return fail(res, 401, 'UNAUTHENTICATED', 'a known bearer token is required');
        let variables: Variables;
        try {
          const parsed = JSON.parse(body.toString('utf8')) as { variables?: unknown };
          variables = parsed && typeof parsed.variables === 'object' && parsed.variables !== null ? (parsed.variables as Variables) : {};
        } catch {
          return fail(res, 400, 'BAD_USER_INPUT', 'body is not JSON');
        }
        try {
          reply(res, 200, JSON.stringify({ data: await route(db, actor, variables) }));
        } catch (error) {
          if (error instanceof FloorError) return fail(res, error.status, error.code, error.message);
          fail(res, 500, 'INTERNAL_SERVER_ERROR', error instanceof Error ? error.message : String(error));
        }
      },
      () => fail(res, 400, 'BAD_REQUEST', 'could not read the body'),
    );
  });
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
  server.on('close', () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
  return server;
}
