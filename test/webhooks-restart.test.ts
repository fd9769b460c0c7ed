import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserRole } from '../src/shared/enums.js';
import { CreateSessionDocument, CreateWebhookDocument, SendMessageDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from './helpers/database.js';
import { loginAdmin, userWithRole } from './helpers/fixtures.js';
import { type ServerProcess, startServerProcess } from './helpers/process.js';
import { ADMIN_PASSWORD, JWT_SECRET, type TestServer } from './helpers/server.js';
import { expectOrderedPerSession, FAST_RETRIES, startWebhookReceiver, verifyAll } from './helpers/webhook-receiver.js';

describe('webhook deliveries across a crash', () => {
  it('loses nothing when the server is killed (SIGKILL) mid-backlog and started again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-webhook-crash-'));
    const database: TestDatabase | null = usingPostgres() ? await createTestDatabase() : null;
    const env = {
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      // Without DATABASE_URL: PGlite on disk under DATA_DIR, which survives the process.
      ...(database ? { DATABASE_URL: database.url } : {}),
      JWT_SECRET,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'error',
      RATE_LIMIT_MAX: '1000000',
      ...FAST_RETRIES,
      // A delivery cut off by the kill is retried once its claim runs out: WEBHOOK_TIMEOUT_MS plus a margin.
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_CONNECT_TIMEOUT_MS: '2000',
    };
    const receiver = await startWebhookReceiver();
    // A slow receiver, so a backlog builds up.
    receiver.respond = () => new Promise((resolve) => setTimeout(() => resolve(200), 40));
    let node: ServerProcess | null = await startServerProcess(env);
    try {
      const t = { url: node.url, graphqlUrl: `${node.url}/graphql` } as TestServer;
      const admin = await loginAdmin(t);
      const { createWebhook } = await ok(t.graphqlUrl, CreateWebhookDocument, { url: receiver.url, events: [] }, admin.token);
      const owner = await userWithRole(t, admin, UserRole.USER);
      const sessions: string[] = [];
      for (let s = 0; s < 3; s++) sessions.push((await ok(t.graphqlUrl, CreateSessionDocument, { subject: `crash ${s}` }, owner.token)).createSession.id);
      const perSession = 10;
      for (let i = 0; i < perSession; i++) for (const sessionId of sessions) await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: `m${i}` }, owner.token);
      await receiver.waitFor((received) => received.length >= 3, 'the first deliveries');
      const beforeCrash = receiver.received.length;
      node.child.kill('SIGKILL');
      await node.exited;
      node = null;
      expect(beforeCrash).toBeLessThan(sessions.length * (perSession + 1));

      node = await startServerProcess(env);
      await receiver.waitFor(
        (received) => sessions.every((id) => new Set(received.filter((r) => r.status === 200 && r.json.sessionId === id).map((r) => r.json.seq)).size === perSession + 1),
        'every event after the restart',
        60_000,
      );
      verifyAll(receiver.accepted(), createWebhook.secret);
      expectOrderedPerSession(receiver.received);
      for (const sessionId of sessions) {
        const messages = receiver.accepted().filter((r) => r.json.sessionId === sessionId && r.json.type === 'message.created');
        // At least once: an attempt cut off by the kill may come again, always with its webhook-id.
        expect([...new Set(messages.map((r) => (r.json.data.message as { content: string }).content))]).toEqual(Array.from({ length: perSession }, (_, i) => `m${i}`));
        expect(new Set(messages.map((r) => r.id)).size).toBe(perSession);
      }
    } finally {
      if (node) {
        node.child.kill('SIGTERM');
        await node.exited;
      }
      await receiver.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
