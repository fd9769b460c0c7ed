import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

/** jest globalTeardown: drops the run's template database (helpers/database-template.ts) and its directory. */
export default async function globalTeardown() {
  const dir = process.env.PARLEY_TEST_RUN_DIR;
  if (!dir) return;
  const ready = join(dir, 'template.json');
  const template = existsSync(ready) ? JSON.parse(readFileSync(ready, 'utf8')) : null;
  if (template?.postgres && process.env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      await client.query(`drop database if exists "${template.postgres}" with (force)`);
    } finally {
      await client.end();
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
