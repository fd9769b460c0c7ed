import { UserRole } from '../src/shared/enums.js';
import { CreateSessionDocument, SendMessageDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { skipReason } from './helpers/cluster.js';
import { createTestDatabase, usingPostgres } from './helpers/database.js';
import { loginAdmin, userWithRole } from './helpers/fixtures.js';
import { ResumingSubscriber } from './helpers/resuming-subscriber.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { wsClient } from './helpers/subscriptions.js';
import { TcpProxy } from './helpers/tcp-proxy.js';

const available = usingPostgres();
skipReason(available, 'the database outage test reaches PostgreSQL through a TCP proxy (DATABASE_URL); embedded PGlite has no connection to cut');

/** How a graphql-ws connection attempt ends: acknowledged, or closed with a code and reason. */
async function connectOutcome(url: string, token: string): Promise<{ code: number; reason: string } | 'acknowledged'> {
  return new Promise((resolve) => {
    const client = wsClient(url, token);
    client.on('connected', () => {
      resolve('acknowledged');
      Promise.resolve(client.dispose()).catch(() => undefined);
    });
    client.on('closed', (event) => {
      const { code, reason } = event as { code: number; reason: string };
      resolve({ code, reason });
    });
    // A subscription makes the lazy client connect.
    client.subscribe({ query: 'subscription { inbox { id } }' }, { next: () => undefined, error: () => undefined, complete: () => undefined });
  });
}

describe('the database out of reach', () => {
  (available ? it : it.skip)(
    'keeps subscriptions open, refuses new connections with a retryable 1013 (not an auth code), and delivers what was missed once it is back',
    async () => {
      const database = await createTestDatabase();
      const target = new URL(database.url);
      const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
      const viaProxy = new URL(database.url);
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      let t: TestServer | null = null;
      const subscriber: { current: ResumingSubscriber | null } = { current: null };
      try {
        t = await startTestServer({ database: { ...database, url: viaProxy.toString() } });
        const admin = await loginAdmin(t);
        const owner = await userWithRole(t, admin, UserRole.USER);
        const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'outage' }, owner.token);
        const watching = new ResumingSubscriber(createSession.id, admin.token);
        subscriber.current = watching;
        watching.connect(t.url);
        const first = await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'before' }, owner.token);
        await watching.until(await eventOf(t, first.sendMessage.message.id), 10_000);

        proxy.cut();
        const ready = await fetch(`${t.url}/readyz`);
        expect(ready.status).toBe(503);
        expect(((await ready.json()) as { checks: unknown }).checks).toMatchObject({ database: 'down' });
        expect(await connectOutcome(t.url, owner.token)).toEqual({ code: 1013, reason: 'SERVICE_UNAVAILABLE' });
        // Several periodic access checks fail meanwhile; none of them ends the subscription.
        await new Promise((resolve) => setTimeout(resolve, 9_000));
        expect(watching.errors).toEqual([]);

        proxy.restore();
        const after = await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'after' }, owner.token);
        await watching.until(await eventOf(t, after.sendMessage.message.id), 10_000);
        expect(watching.errors).toEqual([]);
        expect(await connectOutcome(t.url, owner.token)).toBe('acknowledged');
      } finally {
        proxy.restore();
        await subscriber.current?.close();
        await t?.stop();
        await proxy.close();
        await database.drop();
      }
    },
    60_000,
  );
});

/** The outbox event of a message. */
async function eventOf(t: TestServer, messageId: string): Promise<string> {
  const rows = await t.server.orm.em
    .fork()
    .getConnection()
    .execute<{ id: string }[]>(`select id::text as id from session_events where type = 'message.created' and payload->'message'->>'id' = ?`, [messageId]);
  return rows[0]!.id;
}
