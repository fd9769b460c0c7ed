import type { Db } from './orm.js';

/** How many rows a cursor reads per round trip. */
export const STREAM_CHUNK_ROWS = 100;

/**
 * The rows of one statement, handed over as they are read rather than as one array. On
 * PostgreSQL they come through a cursor (MikroORM's `connection.stream`, pg-cursor), a chunk at
 * a time, and the statement ends when the last row was read (or the caller stops early).
 *
 * Why not `em.execute`: a plain `pg` query accumulates its whole result, and rows built up over
 * many socket reads survive V8's young-generation collections at a high rate (about 40% of what
 * is allocated), so a long export fills old space with garbage and makes V8 grow its young
 * generation to the maximum: a 1M-row report grew the server by ~200 MB before the next full
 * collection. The same rows read through a cursor leave old space flat (bench/NOTES.md,
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
