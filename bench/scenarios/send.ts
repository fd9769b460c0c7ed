import pg from 'pg';
import { withScratchDatabase } from '../lib/database.js';
import { FLOOR_PATHS } from '../lib/http-floor.js';
import { type HttpFloorProcess, spawnHttpFloor } from '../lib/http-floor-spawn.js';
import { GraphQLClient, spawnParley } from '../lib/parley.js';
import { CONTENT, compareSends, HTTP_FLOOR_SEND, prepareSenders, type Query, SEND_LEVELS, sendAtSqlLevel } from '../lib/send-workload.js';
import type { BenchResult, Scenario } from '../scenario.js';

/** Scenario 1: sending messages over GraphQL on PostgreSQL against the same rows written with raw pg. */
export const scenario: Scenario = {
  name: 'send',
  async run(options): Promise<BenchResult> {
    const seconds = options.quick ? 2 : 20;
    return withScratchDatabase(options.postgresUrl, 'send', async (db) => {
      const server = await spawnParley({ databaseUrl: db.url, profileDir: options.profileDir ?? null });
      const client = new GraphQLClient(server.graphqlUrl);
      // The same pool size Parley uses (src/db/orm.ts), so neither side queues differently.
      const pool = new pg.Pool({ connectionString: db.url, max: 10 });
      let httpFloor: HttpFloorProcess | null = null;
      try {
        const senders = await prepareSenders(client, Math.max(...SEND_LEVELS));
        const rows = await compareSends({
          senders,
          client,
          order: 'interleaved',
          seconds,
          warmupSeconds: options.quick ? 0.5 : 2,
          log: options.log,
          withTarget: true,
          httpFloor: {
            start: async () => {
              httpFloor = await spawnHttpFloor(
                { kind: 'postgres', url: db.url },
                senders.map((s) => s.actor),
              );
              return new GraphQLClient(`${httpFloor.url}${FLOOR_PATHS.send}`);
            },
            stop: async () => httpFloor?.stop(),
          },
          floorSend: async (sender) => {
            const connection = await pool.connect();
            try {
              await connection.query('begin');
              await sendAtSqlLevel(connection.query.bind(connection) as Query, sender.sessionId, sender.actor.userId, CONTENT);
              await connection.query('commit');
            } catch (error) {
              await connection.query('rollback').catch(() => undefined);
              throw error;
            } finally {
              connection.release();
            }
          },
        });
        return {
          scenario: 'send',
          description: `N concurrent clients (N = ${SEND_LEVELS.join(', ')}) each send messages into a support session of their own with the GraphQL sendMessage mutation over keep-alive HTTP for ${seconds} s; Parley runs in a child process. Latency is per request, client side.`,
          httpFloor: HTTP_FLOOR_SEND,
          floor:
            'The same rows written with raw pg at the same concurrency and pool size (10): one transaction that locks the session row, reads the sender, inserts the message, updates the session counters and watermarks, and inserts the outbox event.',
          database: 'postgresql',
          rows,
        };
      } finally {
        client.close();
        await pool.end();
        await (httpFloor as HttpFloorProcess | null)?.stop();
        await server.stop();
      }
    });
  },
};
