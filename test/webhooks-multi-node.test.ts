import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserRole } from '../src/shared/enums.js';
import { CreateSessionDocument, CreateWebhookDocument, SendMessageDocument, WebhookDeliveriesDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { skipReason } from './helpers/cluster.js';
import { createTestDatabase, usingPostgres } from './helpers/database.js';
import { loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startServerProcess } from './helpers/process.js';
import { ADMIN_PASSWORD, JWT_SECRET, SECRETS_KEY, startTestServer, type TestServer } from './helpers/server.js';
import { expectOrderedPerSession, FAST_RETRIES, startWebhookReceiver, verifyAll } from './helpers/webhook-receiver.js';

skipReason(usingPostgres(), "two webhook workers need a PostgreSQL server both reach (DATABASE_URL); the embedded database is one process's");

(usingPostgres() ? describe : describe.skip)('webhook delivery with two server processes', () => {
  it('never makes the same attempt twice at once: each event is delivered once, in order per session', async () => {
    const database = await createTestDatabase();
    const env = { ...FAST_RETRIES, WEBHOOK_POLL_INTERVAL_MS: '20', REDIS_URL: '' };
    const a = await startTestServer({ database, env });
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-webhook-node-b-'));
    const b = await startServerProcess({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      JWT_SECRET,
      SECRETS_KEY,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'error',
      RATE_LIMIT_MAX: '1000000',
      ...env,
    });
    const nodeB = { url: b.url, graphqlUrl: `${b.url}/graphql` } as TestServer;
    const receiver = await startWebhookReceiver();
    // Slow answers, and one failure per event, so claims overlap and retries race between the nodes.
    const seen = new Set<string>();
    receiver.respond = (hook) =>
      new Promise((resolve) =>
        setTimeout(() => {
          const first = !seen.has(hook.id);
          seen.add(hook.id);
          resolve(first ? 500 : 200);
        }, 15),
      );
    try {
      const admin = await loginAdmin(a);
      const { createWebhook } = await ok(a.graphqlUrl, CreateWebhookDocument, { url: receiver.url, events: [] }, admin.token);
      const owner = await userWithRole(a, admin, UserRole.USER);
      const sessions: string[] = [];
      for (let s = 0; s < 6; s++) sessions.push((await ok(a.graphqlUrl, CreateSessionDocument, { subject: `nodes ${s}` }, owner.token)).createSession.id);
      const perSession = 6;
      // Sends alternate between the nodes, so both wake on their own commits.
      for (let i = 0; i < perSession; i++) {
        await Promise.all(sessions.map((sessionId, s) => ok((s + i) % 2 ? nodeB.graphqlUrl : a.graphqlUrl, SendMessageDocument, { sessionId, content: `m${i}` }, owner.token)));
      }
      const total = sessions.length * (perSession + 1);
      await receiver.waitFor((received) => received.filter((r) => r.status === 200).length >= total, 'every event', 90_000);

      expect(receiver.maxConcurrentPerId).toBe(1);
      // Exactly two attempts per event (the planned failure, then the success): none repeated by a second node.
      const attemptsPerId = new Map<string, number>();
      for (const hook of receiver.received) attemptsPerId.set(hook.id, (attemptsPerId.get(hook.id) ?? 0) + 1);
      expect(attemptsPerId.size).toBe(total);
      expect([...attemptsPerId.values()].every((count) => count === 2)).toBe(true);
      verifyAll(receiver.accepted(), createWebhook.secret);
      expectOrderedPerSession(receiver.received);
      const { webhookDeliveries } = await ok(a.graphqlUrl, WebhookDeliveriesDocument, { webhookId: createWebhook.id, limit: 100 }, admin.token);
      expect(webhookDeliveries.map((d) => [d.status, d.attemptCount])).toEqual(webhookDeliveries.map(() => ['DELIVERED', 2]));
    } finally {
      b.child.kill('SIGTERM');
      await b.exited;
      rmSync(dataDir, { recursive: true, force: true });
      await receiver.close();
      await a.dispose();
    }
  }, 120_000);
});
