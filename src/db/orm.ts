import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import type { MikroORM, Options, SqlEntityManager } from '@mikro-orm/sql';
import type { DatabaseTarget } from '../config/config.js';
import { entities } from '../model/entities.js';
import { migrations } from './migrations/index.js';

export type Db = SqlEntityManager;
export type Orm = MikroORM;

function baseOptions(): Options {
  return {
    entities,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    // Entities are validated against the migrations, never created from metadata at run time.
    discovery: { warnWhenNoEntities: true },
    forceUtcTimezone: true,
    ignoreUndefinedInQuery: true,
    // The only filter is the tenant filter, and a row never references another tenant's row, so
    // re-checking it on every M:1 target would add a join per relation to every query (a message
    // page joined chat_sessions and participants on each row) and change no result. bench/NOTES.md.
    autoJoinRefsForFilters: false,
    allowGlobalContext: false,
    migrations: {
      migrationsList: migrations,
      path: 'src/db/migrations',
      emit: 'ts',
      snapshot: false,
      transactional: true,
      allOrNothing: true,
    },
  } as Options;
}

/** Opens the database named by the config (PostgreSQL or embedded PGlite). */
export async function openOrm(target: DatabaseTarget, extra: Partial<Options> = {}): Promise<Orm> {
  if (target.kind === 'postgres') {
    const { MikroORM } = await import('@mikro-orm/postgresql');
    return (await MikroORM.init({
      ...baseOptions(),
      clientUrl: target.url,
      pool: { min: 0, max: 10 },
      ...extra,
    } as never)) as unknown as Orm;
  }
  const { MikroORM } = await import('@mikro-orm/pglite');
  const { existsSync, mkdirSync, readFileSync } = await import('node:fs');
  if (target.dataDir) mkdirSync(target.dataDir, { recursive: true });
  // PGlite refuses to load a tarball over an existing cluster, and must not: it is the data.
  const fresh = target.dataDir === null || !existsSync(`${target.dataDir}/PG_VERSION`);
  const template = target.template && fresh ? readFileSync(target.template) : null;
  return (await MikroORM.init({
    ...baseOptions(),
    ...(target.dataDir ? { dbName: target.dataDir } : {}),
    ...(template ? { driverOptions: { loadDataDir: tarball(template) } } : {}),
    ...extra,
  } as never)) as unknown as Orm;
}

/**
 * PGlite reads `loadDataDir` through `arrayBuffer()` alone; a real Blob would not survive
 * MikroORM copying its options (the copy loses the Blob's internal slot: "Illegal invocation").
 */
function tarball(bytes: Buffer): { type: string; arrayBuffer(): Promise<ArrayBuffer> } {
  // A file this size is read into a buffer of its own: hand that over rather than copy 40 MB.
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return { type: 'application/x-tar', arrayBuffer: async () => (whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) as ArrayBuffer };
}

/** Any constant works; it only has to be the same for every node of one deployment. */
const MIGRATION_LOCK_KEY = 727_274_001;

/**
 * Applies every committed migration not yet applied; safe to call at every start. On PostgreSQL
 * a session advisory lock (on a connection of its own) makes nodes starting together take turns.
 */
export async function migrate(orm: Orm, target: DatabaseTarget): Promise<void> {
  if (target.kind !== 'postgres') {
    await orm.migrator.up();
    return;
  }
  const { default: pg } = await import('pg');
  const lock = new pg.Client({ connectionString: target.url });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await orm.migrator.up();
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}
