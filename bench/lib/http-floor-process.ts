/**
 * Child-process entry of the HTTP floor (bench/lib/http-floor.ts): its own event loop, like the
 * Parley server it is compared with. The harness sends `{ type: 'start', db, actors }` over IPC;
 * this opens the database, resolves each actor's tenant and role once, listens on port 0 and
 * answers `{ type: 'ready', url }`. `'stop'` (or the harness going away) closes everything.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { type Orm, openOrm } from '../../src/db/orm.js';
import { createFloorServer, type FloorActor, type FloorDb, type FloorQuery } from './http-floor.js';
import type { FloorStart } from './http-floor-spawn.js';

interface PgliteClient {
  query(sql: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[]; affectedRows?: number }>;
  transaction<T>(body: (tx: { query: PgliteClient['query'] }) => Promise<T>): Promise<T>;
}

async function open(target: NonNullable<FloorStart['db']>): Promise<{ db: FloorDb; close(): Promise<void> }> {
  if (target.kind === 'postgres') {
    // The same pool size Parley uses (src/db/orm.ts).
    const pool = new pg.Pool({ connectionString: target.url, max: 10 });
    const query: FloorQuery = async (sql, params) => {
      const result = await pool.query(sql, params);
      return { rows: result.rows, count: result.rowCount ?? 0 };
    };
    return {
      db: {
        query,
        transaction: async (body) => {
          const connection = await pool.connect();
          try {
            await connection.query('begin');
            const result = await body(async (sql, params) => {
              const r = await connection.query(sql, params);
              return { rows: r.rows, count: r.rowCount ?? 0 };
            });
            await connection.query('commit');
            return result;
          } catch (error) {
            await connection.query('rollback').catch(() => undefined);
            throw error;
          } finally {
            connection.release();
          }
        },
      },
      close: () => pool.end(),
    };
  }
  // PGlite opened the way Parley opens it (src/db/orm.ts), then used through its own client.
  const orm: Orm = await openOrm({ kind: 'pglite', dataDir: target.dataDir });
  const client = (await orm.em.getConnection().getNativeClient()) as PgliteClient;
  const adapt =
    (run: PgliteClient['query']): FloorQuery =>
    async (sql, params) => {
      const r = await run(sql, params);
      return { rows: r.rows, count: r.affectedRows ?? 0 };
    };
  return {
    db: { query: adapt((sql, params) => client.query(sql, params)), transaction: (body) => client.transaction((tx) => body(adapt((sql, params) => tx.query(sql, params)))) },
    close: () => orm.close(),
  };
}

async function start(message: FloorStart): Promise<() => Promise<void>> {
  const opened = message.db ? await open(message.db) : null;
  const actors: FloorActor[] = [];
  for (const { token, userId } of message.actors) {
    const { rows } = await opened!.db.query('select tenant_id, role from users where id = $1', [userId]);
    if (!rows[0]) throw new Error(`the HTTP floor knows no user ${userId}`);
    actors.push({ token, userId, tenantId: String(rows[0].tenant_id), role: String(rows[0].role) as FloorActor['role'] });
  }
  const server = createFloorServer(opened?.db ?? null, actors);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await opened?.close();
  };
}

let stopServer: (() => Promise<void>) | null = null;
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await stopServer?.();
  process.exit(0);
};
process.on('message', (message: FloorStart | 'stop') => {
  if (message === 'stop') {
    stop().catch(() => process.exit(1));
    return;
  }
  if (message?.type === 'start') {
    start(message).then(
      (close) => {
        stopServer = close;
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  }
});
process.on('disconnect', () => {
  stop().catch(() => process.exit(1));
});
