import type { Db } from './orm.js';

/** How many rows a cursor reads per round trip. */
export const STREAM_CHUNK_ROWS = 100;

/**
 * The rows of one statement, handed over as they are read rather than as one array. On
 * PostgreSQL they come through a cursor (MikroORM's `connection.stream`, pg-cursor), a chunk at
 * a time, and the statement ends when the last row was read (or the caller stops early).
 *
 * Why not `em.execute`: measured on the same statements (a keyset batch of 1,000 rows), a plain
 * `pg` query, which gathers its whole result before handing it over, left about 40% of what it
 * allocated alive at each young-generation collection; V8 promoted it and grew its young
 * generation to the maximum, so a 1M-row export grew the server by ~200 MB of garbage before a
 * full collection (nothing was held: a full GC went back to the baseline). Read through a
 * cursor, the same rows leave old space flat and RSS grows by ~28 MB (bench/scenarios/exports.ts,
 * NOTES-sla-reports.md). PGlite cannot stream (kysely's PGlite driver refuses) and runs in
 * process, so there the statement's rows come at once.
 */
export async function* streamRows<Row extends object>(db: Db, sql: string, params: readonly unknown[]): AsyncGenerator<Row> {
  const connection = db.getConnection();
  if (connection.constructor.name === 'PgliteConnection') {
    yield* await db.execute<Row[]>(sql, [...params]);
    return;
  }
  yield* connection.stream(sql, [...params], undefined, undefined, STREAM_CHUNK_ROWS) as AsyncIterable<Row>;
}
