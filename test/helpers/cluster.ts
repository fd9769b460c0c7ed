import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserRole } from '../../src/shared/enums.js';
import { CreateSessionDocument } from '../generated/graphql.js';
import { ok } from './client.js';
import { createTestDatabase, usingPostgres } from './database.js';
import { type Actor, loginAdmin, userWithRole } from './fixtures.js';
import { type ServerProcess, startServerProcess } from './process.js';
import { ADMIN_PASSWORD, JWT_SECRET, redisPrefixFor, SECRETS_KEY, startTestServer, type TestServer } from './server.js';

/** Multi-node tests need a database and a Redis that two processes can share. */
export const clusterAvailable = (): boolean => usingPostgres() && Boolean(process.env.REDIS_URL);

/** Says once, in the test output, why a suite is skipped (a silent skip hides missing coverage). */
export function skipReason(available: boolean, reason: string): void {
  if (!available) process.stdout.write(`skipped: ${reason}\n`);
}

export interface Cluster {
  /** Node A runs in the test process (its ORM is reachable); node B is a process of its own. */
  a: TestServer;
  b: { url: string; graphqlUrl: string };
  nodes: { url: string; graphqlUrl: string }[];
  /** Kills node B's process at once (SIGKILL): nothing on it gets to close cleanly. */
  killB(): void;
  dispose(): Promise<void>;
}

/** Two nodes on one fresh PostgreSQL database and one Redis (by default the suite's). */
export async function startCluster(options: { redisUrl?: string; env?: Record<string, string> } = {}): Promise<Cluster> {
  const database = await createTestDatabase();
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL ?? '';
  const a = await startTestServer({ database, env: { REDIS_URL: redisUrl, ...options.env } });
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-node-b-'));
  let node: ServerProcess;
  try {
    node = await startServerProcess({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: redisPrefixFor(database),
      JWT_SECRET,
      SECRETS_KEY,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'error',
      RATE_LIMIT_MAX: '1000000',
      ...options.env,
    });
  } catch (error) {
    await a.dispose();
    throw error;
  }
  const b = { url: node.url, graphqlUrl: `${node.url}/graphql` };
  return {
    a,
    b,
    nodes: [a, b],
    killB: () => {
      node.child.kill('SIGKILL');
    },
    dispose: async () => {
      node.child.kill('SIGTERM');
      await node.exited;
      rmSync(dataDir, { recursive: true, force: true });
      await a.dispose();
    },
  };
}

export interface StreamFixture {
  /** Owns the sessions and sends into them. */
  owner: Actor;
  /**
   * Watches: an admin without a participant row, so it leaves no delivery receipts and the
   * event stream is exactly what the senders caused.
   */
  watcher: Actor;
  sessions: string[];
}

/** An owner with `count` support sessions, and a watcher who may read them all. */
export async function streamFixture(cluster: Cluster, count: number): Promise<StreamFixture> {
  const admin = await loginAdmin(cluster.a);
  const owner = await userWithRole(cluster.a, admin, UserRole.USER);
  const watcher = await userWithRole(cluster.a, admin, UserRole.ADMIN);
  const sessions: string[] = [];
  for (let i = 0; i < count; i++) sessions.push((await ok(cluster.a.graphqlUrl, CreateSessionDocument, { subject: `stream ${i}` }, owner.token)).createSession.id);
  return { owner, watcher, sessions };
}

/** The session's outbox in sequence order: event ids, and the message id each carries (if any). */
export async function outboxOf(cluster: Cluster, sessionId: string): Promise<{ ids: string[]; messages: (string | null)[] }> {
  const rows = await cluster.a.server.orm.em
    .fork()
    .getConnection()
    .execute<{ id: string; message: string | null }[]>(`select id::text as id, payload->'message'->>'id' as message from session_events where session_id = ? order by seq`, [sessionId]);
  return { ids: rows.map((row) => row.id), messages: rows.map((row) => row.message) };
}
