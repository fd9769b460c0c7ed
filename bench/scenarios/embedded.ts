import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Orm, openOrm } from '../../src/db/orm.js';
import { FLOOR_PATHS } from '../lib/http-floor.js';
import { type HttpFloorProcess, spawnHttpFloor } from '../lib/http-floor-spawn.js';
import { GraphQLClient, spawnParley } from '../lib/parley.js';
import { CONTENT, compareSends, HTTP_FLOOR_SEND, prepareSenders, type Query, SEND_LEVELS, sendAtSqlLevel } from '../lib/send-workload.js';
import type { BenchResult, Scenario } from '../scenario.js';

interface Pglite {
  transaction<T>(body: (tx: { query: Query }) => Promise<T>): Promise<T>;
}

/**
 * Scenario 6: scenario 1 on embedded PGlite (on disk under DATA_DIR, the default when no
 * DATABASE_URL is set). PGlite is one in-process connection running one query at a time, so
 * sends serialise; the floor is the same SQL transaction on the same PGlite data directory, and
 * the HTTP floor is bench/lib/http-floor.ts in a process of its own over that directory.
 */
export const scenario: Scenario = {
  name: 'embedded',
  async run(options): Promise<BenchResult> {
    const seconds = options.quick ? 2 : 20;
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-embedded-'));
    const server = await spawnParley({ databaseUrl: null, dataDir, profileDir: options.profileDir ?? null });
    const client = new GraphQLClient(server.graphqlUrl);
    let floorOrm: Orm | null = null;
    let floorDb: Pglite | null = null;
    let httpFloor: HttpFloorProcess | null = null;
    try {
      const senders = await prepareSenders(client, Math.max(...SEND_LEVELS));
      const rows = await compareSends({
        senders,
        client,
        order: 'parley-first',
        // One PGlite data directory cannot be opened by two processes: stop Parley (and the HTTP floor), then open it raw.
        beforeFloor: async () => {
          await server.stop();
          floorOrm = await openOrm({ kind: 'pglite', dataDir: join(dataDir, 'pglite') });
          floorDb = (await floorOrm.em.getConnection().getNativeClient()) as Pglite;
        },
        floorSend: async (sender) => {
          await floorDb!.transaction((tx) => sendAtSqlLevel((sql, params) => tx.query(sql, params), sender.sessionId, sender.actor.userId, CONTENT));
        },
        seconds,
        // PGlite's WebAssembly tiers up and its buffers fill from disk over the first seconds after
        // it opens: warm longer than on PostgreSQL, or the first level measures a cold engine.
        warmupSeconds: options.quick ? 2 : 5,
        log: options.log,
        withTarget: true,
        // In its own process over the same data directory, once Parley has stopped (one process at a time).
        httpFloor: {
          start: async () => {
            await server.stop();
            httpFloor = await spawnHttpFloor(
              { kind: 'pglite', dataDir: join(dataDir, 'pglite') },
              senders.map((s) => s.actor),
            );
            return new GraphQLClient(`${httpFloor.url}${FLOOR_PATHS.send}`);
          },
          stop: async () => httpFloor?.stop(),
        },
      });
      return {
        scenario: 'embedded',
        description: `Scenario 1 on embedded PGlite (on disk, the default without DATABASE_URL): N = ${SEND_LEVELS.join(', ')} clients send over GraphQL for ${seconds} s at each level. PGlite runs one query at a time, so concurrency adds queueing, not throughput.`,
        floor: "The same send transaction as scenario 1, run with PGlite's own client on the same data directory at the same concurrency.",
        httpFloor: `${HTTP_FLOOR_SEND} Here over PGlite opened on the same data directory (after Parley stopped; before the raw floor opens it), in a process of its own as Parley's was, so both pay for PGlite in one Node process the same way.`,
        database: 'pglite',
        rows,
      };
    } finally {
      client.close();
      await server.stop();
      await (httpFloor as HttpFloorProcess | null)?.stop();
      await (floorOrm as Orm | null)?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
