import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { databaseTemplate } from './database-template.js';

/**
 * Each test file gets a database of its own: a fresh PostgreSQL database when DATABASE_URL
 * names a server (dropped afterwards), otherwise an in-memory PGlite. Both start from the run's
 * migrated template when jest's globalSetup made one (helpers/database-template.ts).
 */
export interface TestDatabase {
  url: string;
  /** Unique per test database (namespaces Redis keys and channels). */
  name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const base = process.env.DATABASE_URL;
  const name = `parley_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  if (!base || !/^postgres/.test(base)) return { url: 'memory://', name, drop: async () => {} };
  const template = (await databaseTemplate())?.postgres;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"${template ? ` template "${template}"` : ''}`);
    // No test crashes the PostgreSQL server, so a commit need not wait for its WAL flush (2-20 ms
    // each on the CI machine); what a commit makes visible, and in what order, is unchanged.
    await admin.query(`alter database "${name}" set synchronous_commit = off`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export const usingPostgres = (): boolean => /^postgres/.test(process.env.DATABASE_URL ?? '');
