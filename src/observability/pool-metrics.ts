import type { DatabaseTarget } from '../config/config.js';
import type { Orm } from '../db/orm.js';
import type { Metrics } from './metrics.js';

/** What `pg.Pool` exposes about its connections. */
interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options: { max?: number };
}

/**
 * Feeds `parley_db_pool_connections` at scrape time. On PostgreSQL it reads the `pg` pool behind
 * MikroORM's connection: connections in use, idle, requests waiting for one, and the maximum.
 * Embedded PGlite has no pool, only one in-process connection that runs one query at a time,
 * so only `max` (1) is meaningful and reported.
 */
export async function observeDatabasePool(metrics: Metrics, orm: Orm, target: DatabaseTarget): Promise<void> {
  if (target.kind !== 'postgres') {
    metrics.observePool(() => ({ max: 1 }));
    return;
  }
  const pool = (await orm.em.getConnection().getNativeClient()) as PgPool;
  metrics.observePool(() => ({
    used: pool.totalCount - pool.idleCount,
    free: pool.idleCount,
    pending: pool.waitingCount,
    max: pool.options.max ?? 10,
  }));
}
