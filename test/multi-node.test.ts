import type { Client } from 'graphql-ws';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserRole } from '../src/shared/enums.js';
import { AssignAgentDocument, CreateSessionDocument, SendMessageDocument, SessionEventsDocument, SetTypingDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { createTestDatabase, usingPostgres } from './helpers/database.js';
import { loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startServerProcess, type ServerProcess } from './helpers/process.js';
import { ADMIN_PASSWORD, JWT_SECRET, redisPrefixFor, startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, untilLive, wsClient } from './helpers/subscriptions.js';

const multiNode = usingPostgres() && Boolean(process.env.REDIS_URL);

describe('two nodes sharing PostgreSQL and Redis', () => {
  (multiNode ? it : it.skip)('deliver a message, a typing event and a session update made on one node to a subscriber on the other', async () => {
    const database = await createTestDatabase();
    // Node A runs in this process; node B is a process of its own (what `npm start` runs).
    const a = await startTestServer({ database });
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-node-b-'));
    const node: ServerProcess = await startServerProcess({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL ?? '',
      REDIS_PREFIX: redisPrefixFor(database),
      JWT_SECRET,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'error',
    });
    const b = { url: node.url, graphqlUrl: `${node.url}/graphql` } as TestServer;
    expect(b.url).not.toBe(a.url);
    let client: Client | null = null;
    try {
      const admin = await loginAdmin(a);
      const owner = await userWithRole(a, admin, UserRole.USER);
      const staff = await userWithRole(a, admin, UserRole.STAFF);
      const { createSession } = await ok(a.graphqlUrl, CreateSessionDocument, { subject: 'across nodes' }, owner.token);
      const sessionId = createSession.id;

      client = wsClient(b.url, owner.token);
      const onB = subscribe(client, SessionEventsDocument, { sessionId });
      // Pings go through node A, so "live" already means "reaches B through Redis".
      await untilLive(onB, () => ok(a.graphqlUrl, SetTypingDocument, { sessionId, isTyping: false }, admin.token), (item) => item.sessionEvents.__typename === 'TypingEvent');

      await ok(a.graphqlUrl, SendMessageDocument, { sessionId, content: 'sent on A' }, admin.token);
      await ok(a.graphqlUrl, SetTypingDocument, { sessionId, isTyping: true }, admin.token);
      await ok(a.graphqlUrl, AssignAgentDocument, { sessionId, agentId: staff.userId }, admin.token);
      const items = (await onB.until((all) => all.some((item) => item.sessionEvents.__typename === 'SessionUpdateEvent'))).map((item) => item.sessionEvents);
      expect(items.find((event) => event.__typename === 'MessageEvent')).toMatchObject({ message: { content: 'sent on A' } });
      expect(items.find((event) => event.__typename === 'TypingEvent' && event.isTyping)).toMatchObject({ userId: admin.userId });
      expect(items.find((event) => event.__typename === 'SessionUpdateEvent')).toMatchObject({ agentId: staff.userId });
      onB.stop();
    } finally {
      await client?.dispose();
      node.child.kill('SIGTERM');
      expect(await node.exited).toBe(0);
      rmSync(dataDir, { recursive: true, force: true });
      await a.dispose();
    }
  }, 60_000);
});
