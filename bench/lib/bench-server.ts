import pg from 'pg';
import { withScratchDatabase } from './database.js';
import { type BenchActor, Fixtures, GraphQLClient, type ParleyProcess, type SpawnOptions, spawnParley } from './parley.js';

/** What a scenario on its own scratch database works with: the server, a GraphQL client, raw SQL, and the signed-in admin. */
export interface BenchServer {
  server: ParleyProcess;
  client: GraphQLClient;
  sql: pg.Client;
  fixtures: Fixtures;
  admin: BenchActor;
}

/** A scratch database, a Parley server on it and a raw SQL connection for `body`; all taken down afterwards. */
export function withBenchServer<T>(postgresUrl: string, label: string, spawn: Omit<SpawnOptions, 'databaseUrl'>, body: (bench: BenchServer) => Promise<T>): Promise<T> {
  return withScratchDatabase(postgresUrl, label, async (db) => {
    const server = await spawnParley({ ...spawn, databaseUrl: db.url });
    const client = new GraphQLClient(server.graphqlUrl);
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      const fixtures = new Fixtures(client);
      return await body({ server, client, sql, fixtures, admin: await fixtures.admin() });
    } finally {
      client.close();
      await sql.end();
      await server.stop();
    }
  });
}
