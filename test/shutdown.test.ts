import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserRole } from '../src/shared/enums.js';
import { CreateSessionDocument, MessagesSinceDocument, SendMessageDocument, SessionEventsDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from './helpers/database.js';
import { loginAdmin, userWithRole } from './helpers/fixtures.js';
import { type ServerProcess, startServerProcess, within } from './helpers/process.js';
import { ADMIN_PASSWORD, JWT_SECRET, SECRETS_KEY, startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, wsClient } from './helpers/subscriptions.js';

describe('graceful shutdown', () => {
  it('on SIGTERM commits every acknowledged message, closes sockets with 1001 and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-shutdown-'));
    const database: TestDatabase = usingPostgres() ? await createTestDatabase() : { url: 'pglite-on-disk', name: `pglite_on_disk_${process.pid}`, drop: async () => {} };
    let after: TestServer | null = null;
    try {
      const { child, url, exited } = await startServerProcess({
        NODE_ENV: 'test',
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        DATABASE_URL: database.url === 'pglite-on-disk' ? '' : database.url,
        REDIS_URL: process.env.REDIS_URL ?? '',
        REDIS_PREFIX: `parley-test:shutdown-${process.pid}:`,
        JWT_SECRET,
        SECRETS_KEY,
        ADMIN_PASSWORD,
        LOG_LEVEL: 'error',
      });
      const node = { url, graphqlUrl: `${url}/graphql` } as TestServer;
      const admin = await loginAdmin(node);
      const owner = await userWithRole(node, admin, UserRole.USER);
      const { createSession } = await ok(node.graphqlUrl, CreateSessionDocument, { subject: 'shutdown' }, owner.token);
      const sessionId = createSession.id;

      const closeCodes: number[] = [];
      const client = wsClient(url, owner.token, (code) => closeCodes.push(code));
      const live = subscribe(client, SessionEventsDocument, { sessionId, since: '0' });
      await live.count(1);

      // A stream of sends; SIGTERM lands while some are in flight.
      const acknowledged: string[] = [];
      const sends = Array.from({ length: 30 }, (_, i) =>
        new Promise((resolve) => setTimeout(resolve, i * 5))
          .then(() => gql(node.graphqlUrl, SendMessageDocument, { sessionId, content: `in flight ${i}` }, owner.token))
          .then((result) => {
            if (result.data?.sendMessage) acknowledged.push(result.data.sendMessage.message.id);
          })
          .catch(() => undefined),
      );
      await new Promise((resolve) => setTimeout(resolve, 40));
      child.kill('SIGTERM');
      await Promise.all(sends);
      expect(await exited).toBe(0);
      await live.ended();
      expect(closeCodes).toContain(1001);
      await client.dispose();

      after = await startTestServer({ database, dataDir });
      const { messagesSince } = await ok(after.graphqlUrl, MessagesSinceDocument, { sessionId, afterId: '0', limit: 100 }, owner.token);
      const committed = new Set(messagesSince.map((message) => message.id));
      expect(acknowledged.length).toBeGreaterThan(0);
      for (const id of acknowledged) expect(committed.has(id)).toBe(true);
    } finally {
      await after?.stop();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  // Outside NODE_ENV=test, Apollo Server installs SIGTERM/SIGINT handlers of its own unless told not to.
  it.each(['development', 'production'])(
    'exits 0 on SIGTERM under NODE_ENV=%s, not killed by the signal',
    async (profile) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'parley-shutdown-'));
      let server: ServerProcess | null = null;
      try {
        server = await startServerProcess({
          NODE_ENV: profile,
          PORT: '0',
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
          DATABASE_URL: 'memory://',
          JWT_SECRET,
          SECRETS_KEY,
          ADMIN_PASSWORD,
          LOG_LEVEL: 'error',
        });
        expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
        server.child.kill('SIGTERM');
        expect(await within(server.ended, 15_000, 'exit after SIGTERM')).toEqual({ code: 0, signal: null });
      } finally {
        if (server?.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
