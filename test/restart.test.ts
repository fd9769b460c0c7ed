import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserRole } from '../src/shared/enums.js';
import { MessagesSinceDocument, SendMessageDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { skipReason } from './helpers/cluster.js';
import { createTestDatabase, usingPostgres } from './helpers/database.js';
import { assignedSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServerOptions } from './helpers/server.js';

skipReason(usingPostgres(), 'the PostgreSQL restart test needs a PostgreSQL server (DATABASE_URL); the embedded one runs');

async function survivesRestart(options: TestServerOptions): Promise<void> {
  const first = await startTestServer(options);
  const admin = await loginAdmin(first);
  const staff = await userWithRole(first, admin, UserRole.STAFF);
  const owner = await userWithRole(first, admin, UserRole.USER);
  const sessionId = await assignedSession(first, admin, owner, staff);
  await ok(first.graphqlUrl, SendMessageDocument, { sessionId, content: 'before the restart' }, owner.token);
  await first.stop();

  const second = await startTestServer(options);
  try {
    // The same token still works: users, sessions, messages and the signing secret all persisted.
    const { messagesSince } = await ok(second.graphqlUrl, MessagesSinceDocument, { sessionId, afterId: '0' }, owner.token);
    expect(messagesSince.map((m) => m.content)).toEqual(['before the restart']);
    await ok(second.graphqlUrl, SendMessageDocument, { sessionId, content: 'after the restart' }, staff.token);
  } finally {
    await second.stop();
  }
}

describe('data survives a restart', () => {
  it('on embedded PGlite under DATA_DIR, with the generated development secret', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-restart-'));
    try {
      await survivesRestart({ dataDir, database: { url: 'pglite-on-disk', name: `pglite_on_disk_${process.pid}`, drop: async () => {} }, env: { JWT_SECRET: '', NODE_ENV: 'development' } });
      expect(statSync(join(dataDir, 'pglite')).isDirectory()).toBe(true);
      expect(statSync(join(dataDir, 'jwt-secret')).mode & 0o077).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    // Two cold starts of an on-disk PGlite (initdb, every migration, then recovery): 17 s on a quiet
    // 2-core machine, over a minute when the machine is busy. Nothing here waits on a timer.
  }, 180_000);

  (usingPostgres() ? it : it.skip)(
    'on PostgreSQL',
    async () => {
      const database = await createTestDatabase();
      try {
        await survivesRestart({ database });
      } finally {
        await database.drop();
      }
    },
    60_000,
  );
});
