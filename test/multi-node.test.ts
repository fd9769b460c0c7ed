import type { Client } from 'graphql-ws';
import { UserRole } from '../src/shared/enums.js';
import { AssignAgentDocument, CreateSessionDocument, SendMessageDocument, SessionEventsDocument, SetTypingDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { clusterAvailable, skipReason, startCluster } from './helpers/cluster.js';
import { loginAdmin, userWithRole } from './helpers/fixtures.js';
import { subscribe, untilLive, wsClient } from './helpers/subscriptions.js';

const available = clusterAvailable();
skipReason(available, 'the multi-node test needs two nodes sharing PostgreSQL and Redis (DATABASE_URL and REDIS_URL)');

describe('two nodes sharing PostgreSQL and Redis', () => {
  (available ? it : it.skip)(
    'deliver a message, a typing event and a session update made on one node to a subscriber on the other',
    async () => {
      // Node A runs in this process; node B is a process of its own (what `npm start` runs).
      const { a, b, dispose } = await startCluster();
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
        await untilLive(
          onB,
          () => ok(a.graphqlUrl, SetTypingDocument, { sessionId, isTyping: false }, admin.token),
          (item) => item.sessionEvents.__typename === 'TypingEvent',
        );

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
        await dispose();
      }
    },
    60_000,
  );
});
