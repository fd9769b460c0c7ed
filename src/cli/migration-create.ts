import 'reflect-metadata';
import { migrate, openOrm } from '../db/orm.js';

/**
 * Writes a migration for the difference between the entities and the migrated schema
 * into src/db/migrations/. Register it in src/db/migrations/index.ts afterwards.
 * Runs on a throwaway in-memory database so it never depends on local state.
 */
const orm = await openOrm({ kind: 'pglite', dataDir: null });
try {
  await migrate(orm, { kind: 'pglite', dataDir: null });
  const name = process.argv[2];
  const result = await orm.migrator.create(undefined, false, false, name);
  console.log(result.fileName ? `created ${result.fileName}` : 'no changes');
} finally {
  await orm.close();
}
