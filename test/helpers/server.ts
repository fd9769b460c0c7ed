import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { type ParleyServer, startServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { databaseTemplate } from './database-template.js';

export const ADMIN_PASSWORD = 'admin-password-for-tests';
export const JWT_SECRET = 'test-secret-that-is-long-enough-0123456789';
/** One SECRETS_KEY for every test node: nodes sharing a database must open each other's sealed secrets. */
export const SECRETS_KEY = 'test-secrets-key-that-is-long-enough-0123456789';

export interface TestServer {
  server: ParleyServer;
  url: string;
  graphqlUrl: string;
  database: TestDatabase;
  dataDir: string;
  /** Stops this server but keeps its database (for restart tests). */
  stop(): Promise<void>;
  /** Stops the server and removes its database and data directory. */
  dispose(): Promise<void>;
}

export interface TestServerOptions {
  database?: TestDatabase;
  dataDir?: string;
  env?: Record<string, string>;
  /** Where the server logs (default: a logger at TEST_LOG_LEVEL, silent unless set). */
  logger?: Logger;
}

/**
 * Test files run concurrently against one Redis and their databases reuse the same ids, so each
 * test database gets its own REDIS_PREFIX; servers sharing a database (multi-node tests) share it.
 */
const redisPrefixes = new WeakMap<TestDatabase, string>();
/** The Redis namespace of a test database: every node started on it shares it. */
export function redisPrefixFor(database: TestDatabase): string {
  let prefix = redisPrefixes.get(database);
  if (prefix === undefined) {
    prefix = `parley-test:${randomBytes(6).toString('hex')}:`;
    redisPrefixes.set(database, prefix);
  }
  return prefix;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'parley-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: database.url === 'pglite-on-disk' ? '' : database.url,
    JWT_SECRET,
    SECRETS_KEY,
    ADMIN_PASSWORD,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    REDIS_URL: process.env.REDIS_URL ?? '',
    // A new embedded database starts from the run's migrated one (helpers/database-template.ts).
    PGLITE_TEMPLATE: (await databaseTemplate())?.pglite ?? '',
    // Test files run concurrently against one Redis and their databases reuse ids: one namespace per database.
    REDIS_PREFIX: redisPrefixFor(database),
    // Functional tests make hundreds of calls per user; the rate-limit tests set the real policy.
    RATE_LIMIT_MAX: '1000000',
    ...options.env,
  });
  const server = await startServer(config, { logger: options.logger });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
  };
  return {
    server,
    url: server.url,
    graphqlUrl: `${server.url}/graphql`,
    database,
    dataDir,
    stop,
    dispose: async () => {
      await stop();
      await database.drop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
