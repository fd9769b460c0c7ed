import type { Client } from 'graphql-ws';
import { toPublished } from '../src/events/event-bus.js';
import { SessionEvent } from '../src/model/session-event.entity.js';
import { pruneEvents } from '../src/realtime/retention.js';
import { UserRole } from '../src/shared/enums.js';
import {
  AssignAgentDocument,
  CloseSessionDocument,
  CreateSessionDocument,
  InboxDocument,
  MarkReadDocument,
  SendMessageDocument,
  SessionEventsDocument,
  type SessionEventsSubscription,
} from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { type Actor, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { type Collected, subscribe, wsClient } from './helpers/subscriptions.js';

type Event = SessionEventsSubscription['sessionEvents'];
type Persisted = Exclude<Event, { __typename: 'TypingEvent' }>;

let t: TestServer;
let admin: Actor;
let owner: Actor;
let staff: Actor;

beforeAll(async () => {
  t = await startTestServer();
  admin = await loginAdmin(t);
  owner = await userWithRole(t, admin, UserRole.USER);
  staff = await userWithRole(t, admin, UserRole.STAFF);
});

afterAll(async () => {
  await t.dispose();
});

/** The server's own record: the outbox ids of the session in sequence order, after the event id `since` when given. */
async function outboxIds(sessionId: string, since = '0'): Promise<string[]> {
  const rows = await t.server.orm.em.fork().getConnection().execute<{ id: string }[]>('select id::text as id from session_events where session_id = ? and id > ? order by seq', [sessionId, since]);
  return rows.map((row) => row.id);
}

/**
 * A client that keeps what it received across reconnects, the way a real one would: it resumes
 * with the last event id it saw. Nothing it receives is filtered, so a duplicate stays visible.
 */
class ResumingClient {
  readonly received: Persisted[] = [];
  private client: Client | null = null;
  private current: Collected<{ sessionEvents: Event }> | null = null;
  private taken = 0;
  /** Where the current connection's events start in `received`. */
  private connectionStart = 0;

  constructor(
    private readonly sessionId: string,
    private readonly token: string,
  ) {}

  get lastId(): string | null {
    this.collect();
    return this.received.at(-1)?.id ?? null;
  }

  /** The persisted events the current connection delivered up to the last `waitFor`, replayed and live, in arrival order. */
  get sinceConnect(): Persisted[] {
    return this.received.slice(this.connectionStart);
  }

  connect(since: string | null): void {
    this.collect();
    this.client = wsClient(t.url, this.token);
    this.current = subscribe(this.client, SessionEventsDocument, { sessionId: this.sessionId, since });
    this.taken = 0;
    this.connectionStart = this.received.length;
  }

  /** Drops the socket: whatever has not arrived yet is lost to this connection. */
  async disconnect(): Promise<void> {
    this.collect();
    this.current?.stop();
    this.current = null;
    await this.client?.dispose();
  }

  /** Waits for the event `id`, and keeps what arrived up to it (nothing after it: the stream is in order). */
  async waitFor(id: string): Promise<void> {
    await this.current!.until((items) => items.some((item) => 'id' in item.sessionEvents && item.sessionEvents.id === id), `event ${id}`);
    this.collect(id);
  }

  private collect(upTo?: string): void {
    if (!this.current) return;
    const items = this.current.items;
    const end = upTo === undefined ? items.length : items.findIndex((item) => 'id' in item.sessionEvents && item.sessionEvents.id === upTo) + 1;
    for (const item of items.slice(this.taken, end)) {
      if (item.sessionEvents.__typename !== 'TypingEvent') this.received.push(item.sessionEvents);
    }
    this.taken = Math.max(this.taken, end);
  }
}

describe('gap-free resume', () => {
  it('replays exactly the events missed while disconnected (50 messages, 2 session updates, read changes), in order, once', async () => {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'resume' }, owner.token);
    const sessionId = createSession.id;
    const client = new ResumingClient(sessionId, owner.token);
    client.connect('0');
    await client.waitFor((await outboxIds(sessionId)).at(-1)!);
    await client.disconnect();
    const since = client.lastId!;

    for (let i = 0; i < 50; i++) {
      const { sendMessage } = await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: `missed ${i}` }, i % 2 ? owner.token : admin.token);
      if (i % 10 === 9) await ok(t.graphqlUrl, MarkReadDocument, { sessionId, messageIds: [sendMessage.message.id] }, admin.token);
    }
    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId, agentId: staff.userId }, admin.token);
    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId }, admin.token);
    const missed = await outboxIds(sessionId, since);

    client.connect(since);
    await client.waitFor(missed.at(-1)!);
    // Nothing filtered: the connection brought exactly the outbox after `since`, each event once.
    expect(client.sinceConnect.map((event) => event.id)).toEqual(missed);
    const replayed = client.sinceConnect;
    const types = replayed.map((event) => event.type);
    expect(types.filter((type) => type === 'MESSAGE_CREATED')).toHaveLength(50);
    expect(types.filter((type) => type === 'SESSION_UPDATED')).toHaveLength(2);
    expect(types.filter((type) => type === 'READ_UPDATED')).toHaveLength(5);
    const contents = replayed.flatMap((event) => (event.__typename === 'MessageEvent' ? [event.message.content] : []));
    expect(contents).toEqual(Array.from({ length: 50 }, (_, i) => `missed ${i}`));

    await client.disconnect();
  });

  it('delivers every event exactly once to 5 clients reconnecting 20 times while sends keep committing around each subscribe', async () => {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'race' }, owner.token);
    const sessionId = createSession.id;
    const clients = Array.from({ length: 5 }, () => new ResumingClient(sessionId, owner.token));
    const first = (await outboxIds(sessionId)).at(-1)!;
    for (const client of clients) client.connect('0');
    for (const client of clients) await client.waitFor(first);

    // Writers send without pause the whole time, so some commits land while a resume replays
    // (they reach it live as well, and must not be delivered twice), on every database.
    let writing = true;
    let sent = 0;
    const writer = async (token: string) => {
      while (writing) await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: `m${sent++}` }, token);
    };
    const writers = Promise.all([writer(owner.token), writer(admin.token), writer(admin.token)]);
    /** Resumes a client and checks what that connection delivers against the outbox. */
    const resume = async (client: ResumingClient) => {
      await client.disconnect();
      const since = client.lastId!;
      client.connect(since);
      let expected: string[] = [];
      while (expected.length < 3) {
        // Embedded PGlite answers without yielding to the event loop: let the writers' requests in.
        await new Promise((resolve) => setTimeout(resolve, 5));
        expected = await outboxIds(sessionId, since);
      }
      await client.waitFor(expected.at(-1)!);
      // Nothing filtered: exactly the outbox after `since`, replayed and live, each event once.
      expect(client.sinceConnect.map((event) => event.id)).toEqual(expected);
    };
    try {
      for (let round = 0; round < 20; round++) {
        await Promise.all(
          clients.map(async (client, i) => {
            // Each client reconnects at a different point of the writes.
            await new Promise((resolve) => setTimeout(resolve, ((round + 1) * (i + 3) * 7) % 40));
            await resume(client);
          }),
        );
      }
    } finally {
      writing = false;
      await writers;
    }
    const all = await outboxIds(sessionId);
    for (const client of clients) {
      await client.waitFor(all.at(-1)!);
      await client.disconnect();
      expect(client.received.map((event) => event.id)).toEqual(all);
      const contents = client.received.flatMap((event) => (event.__typename === 'MessageEvent' ? [event.message.content] : []));
      expect(contents).toHaveLength(sent);
      expect(new Set(contents).size).toBe(sent);
    }
  }, 60_000);

  it('delivers an event once when pub/sub brings it again after the stream replayed it', async () => {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'twice' }, owner.token);
    const sessionId = createSession.id;
    for (let i = 0; i < 3; i++) await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: `before ${i}` }, owner.token);
    const client = new ResumingClient(sessionId, owner.token);
    client.connect('0');
    await client.waitFor((await outboxIds(sessionId)).at(-1)!);

    // The replayed events come live as well, as they do when they commit while a resume replays
    // them, on any database: the server's own bus publishes them again.
    const rows = await t.server.orm.em.fork().find(SessionEvent, { session: sessionId }, { filters: false, orderBy: { seq: 'asc' } });
    t.server.deps.events.publish(rows.map(toPublished));
    // A live event after the copies: a copy delivered again would arrive before it.
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'after the copies' }, owner.token);
    const all = await outboxIds(sessionId);
    await client.waitFor(all.at(-1)!);
    expect(client.sinceConnect.map((event) => event.id)).toEqual(all);
    await client.disconnect();
  });

  it('fails with RESYNC_REQUIRED when events after `since` were pruned', async () => {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'old' }, owner.token);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'soon pruned' }, owner.token);
    const [first] = await outboxIds(createSession.id);
    // Everything is older than a 7-day window seen from 30 days ahead.
    await pruneEvents(t.server.orm, 7, new Date(Date.now() + 30 * 24 * 3600 * 1000));
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'after the prune' }, owner.token);

    const client = wsClient(t.url, owner.token);
    const events = subscribe(client, SessionEventsDocument, { sessionId: createSession.id, since: String(BigInt(first!) - 1n) });
    expect((await events.ended())?.[0]?.extensions).toMatchObject({ code: 'RESYNC_REQUIRED', reason: 'EVENTS_PRUNED' });
    expect(events.items).toEqual([]);
    await client.dispose();
  });

  it('counts retention in days: keeps events 1 hour inside a 7-day window, prunes them 1 hour outside it (RESYNC_REQUIRED)', async () => {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'boundary' }, owner.token);
    const sessionId = createSession.id;
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'near the boundary' }, owner.token);
    const events = await outboxIds(sessionId);
    const [span] = await t.server.orm.em
      .fork()
      .getConnection()
      .execute<{ oldest: number; newest: number }[]>(
        'select (extract(epoch from min(created_at)) * 1000)::float8 as oldest, (extract(epoch from max(created_at)) * 1000)::float8 as newest from session_events where session_id = ?',
        [sessionId],
      );
    const hour = 3600 * 1000;
    const week = 7 * 24 * hour;
    const since = String(BigInt(events[0]!) - 1n);

    // Moving "now" instead of the rows: the oldest event is 6 days 23 hours old.
    await pruneEvents(t.server.orm, 7, new Date(Number(span!.oldest) + week - hour));
    expect(await outboxIds(sessionId)).toEqual(events);
    const client = wsClient(t.url, owner.token);
    const kept = subscribe(client, SessionEventsDocument, { sessionId, since });
    await kept.until((items) => items.some((item) => 'id' in item.sessionEvents && item.sessionEvents.id === events.at(-1)), 'the last event', 10_000);
    expect(kept.items.flatMap(({ sessionEvents: event }) => (event.__typename === 'TypingEvent' ? [] : [event.id]))).toEqual(events);
    kept.stop();

    // The newest event is 7 days 1 hour old.
    await pruneEvents(t.server.orm, 7, new Date(Number(span!.newest) + week + hour));
    expect(await outboxIds(sessionId)).toEqual([]);
    const pruned = subscribe(client, SessionEventsDocument, { sessionId, since });
    expect((await pruned.ended())?.[0]?.extensions).toMatchObject({ code: 'RESYNC_REQUIRED', reason: 'EVENTS_PRUNED' });
    await client.dispose();
  });
});

describe('inbox resume', () => {
  it('replays the lifecycle events after `since` in inbox order, then continues live, each once', async () => {
    const inboxIds = async () =>
      (
        await t.server.orm.em
          .fork()
          .getConnection()
          .execute<{ id: string }[]>('select id::text as id from session_events where tenant_id = ? and inbox_seq is not null order by inbox_seq', [t.server.defaultTenantId])
      ).map((row) => row.id);
    await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'inbox 1' }, owner.token);
    const since = (await inboxIds()).at(-1)!;
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'inbox 2' }, owner.token);
    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: createSession.id, agentId: staff.userId }, admin.token);

    const client = wsClient(t.url, admin.token);
    const inbox = subscribe(client, InboxDocument, { since });
    await inbox.count(2);
    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: createSession.id }, admin.token);
    const all = await inboxIds();
    const expected = all.slice(all.indexOf(since) + 1);
    await inbox.count(expected.length);
    expect(inbox.items.map((item) => item.inbox.id)).toEqual(expected);
    expect(inbox.items.map((item) => item.inbox.status)).toEqual(['ACTIVE', 'ACTIVE', 'CLOSED']);
    await client.dispose();
  });
});
