import type { Client } from 'graphql-ws';
import { UserRole } from '../src/shared/enums.js';
import { pruneEvents } from '../src/realtime/retention.js';
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
import { loginAdmin, userWithRole, type Actor } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, wsClient, type Collected } from './helpers/subscriptions.js';

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

/** The server's own record: the outbox ids of the session, in order. */
async function outboxIds(sessionId: string): Promise<string[]> {
  const rows = await t.server.orm.em.fork().getConnection().execute<{ id: string }[]>('select id::text as id from session_events where session_id = ? order by session_events.id', [sessionId]);
  return rows.map((row) => row.id);
}

/**
 * A client that keeps what it received across reconnects, the way a real one would: it resumes
 * with the last event id it saw.
 */
class ResumingClient {
  readonly received: Persisted[] = [];
  private client: Client | null = null;
  private current: Collected<{ sessionEvents: Event }> | null = null;
  private taken = 0;

  constructor(private readonly sessionId: string, private readonly token: string) {}

  get lastId(): string | null {
    this.collect();
    return this.received.at(-1)?.id ?? null;
  }

  connect(since: string | null): void {
    this.client = wsClient(t.url, this.token);
    this.current = subscribe(this.client, SessionEventsDocument, { sessionId: this.sessionId, since });
    this.taken = 0;
  }

  /** Drops the socket: whatever has not arrived yet is lost to this connection. */
  async disconnect(): Promise<void> {
    this.collect();
    this.current?.stop();
    this.current = null;
    await this.client?.dispose();
  }

  async waitFor(id: string): Promise<void> {
    await this.current!.until((items) => items.some((item) => 'id' in item.sessionEvents && item.sessionEvents.id === id), `event ${id}`);
    this.collect();
  }

  private collect(): void {
    if (!this.current) return;
    for (const item of this.current.items.slice(this.taken)) {
      if (item.sessionEvents.__typename !== 'TypingEvent') this.received.push(item.sessionEvents);
    }
    this.taken = this.current.items.length;
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
    const missed = (await outboxIds(sessionId)).filter((id) => BigInt(id) > BigInt(since));

    client.connect(since);
    await client.waitFor(missed.at(-1)!);
    const replayed = client.received.filter((event) => BigInt(event.id) > BigInt(since));
    expect(replayed.map((event) => event.id)).toEqual(missed);
    const types = replayed.map((event) => event.type);
    expect(types.filter((type) => type === 'MESSAGE_CREATED')).toHaveLength(50);
    expect(types.filter((type) => type === 'SESSION_UPDATED')).toHaveLength(2);
    expect(types.filter((type) => type === 'READ_UPDATED')).toHaveLength(5);
    const contents = replayed.flatMap((event) => (event.__typename === 'MessageEvent' ? [event.message.content] : []));
    expect(contents).toEqual(Array.from({ length: 50 }, (_, i) => `missed ${i}`));
    await client.disconnect();
  });

  it('loses and doubles nothing over 20 reconnects racing concurrent sends', async () => {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'race' }, owner.token);
    const sessionId = createSession.id;
    const client = new ResumingClient(sessionId, owner.token);
    client.connect('0');
    await client.waitFor((await outboxIds(sessionId)).at(-1)!);

    for (let round = 0; round < 20; round++) {
      await client.disconnect();
      const writes = (async () => {
        let last = '';
        for (let i = 0; i < 4; i++) {
          ({ sendMessage: { message: { id: last } } } = await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: `r${round} m${i}` }, i % 2 ? owner.token : admin.token));
        }
        await ok(t.graphqlUrl, MarkReadDocument, { sessionId, messageIds: [last] }, admin.token);
      })();
      // Reconnect somewhere in the middle of the writes (varies by round).
      await new Promise((resolve) => setTimeout(resolve, (round * 7) % 40));
      client.connect(client.lastId);
      await writes;
      await client.waitFor((await outboxIds(sessionId)).at(-1)!);
    }
    await client.disconnect();
    expect(client.received.map((event) => event.id)).toEqual(await outboxIds(sessionId));
    const contents = client.received.flatMap((event) => (event.__typename === 'MessageEvent' ? [event.message.content] : []));
    expect(contents).toHaveLength(80);
    expect(new Set(contents).size).toBe(80);
  }, 60_000);

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
