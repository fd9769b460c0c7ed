/**
 * `node dist/bench/cpu-per-request.js [sends] [pages] [typenames]`: CPU milliseconds one request costs,
 * client and server in this one process (process.cpuUsage around sequential requests). Used for
 * before/after comparisons of a fix: CPU time is far steadier than wall-clock latency on a machine
 * shared with other work. Runs on a scratch database of BENCH_DATABASE_URL / DATABASE_URL.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { startServer } from '../src/server.js';
import { withScratchDatabase } from './lib/database.js';
import { BENCH_ADMIN_PASSWORD, BENCH_RATE_LIMIT_MAX, Fixtures, GraphQLClient } from './lib/parley.js';
import { CONTENT, SEND_MUTATION } from './lib/send-workload.js';

const PAGE = `query($s: ID!) { messages(sessionId: $s, first: 50) { totalCount edges { cursor node {
  id uuid senderType senderName content createdAt read status } } } }`;

const [sends = 500, pages = 500, typenames = 500] = process.argv.slice(2).map(Number);
const serverUrl = [process.env.BENCH_DATABASE_URL, process.env.DATABASE_URL].find((u) => u && /^postgres/.test(u)) ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function cpuPer(times: number, op: () => Promise<unknown>): Promise<{ cpu: number; wall: number }> {
  for (let i = 0; i < Math.min(100, times); i++) await op();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < times; i++) await op();
  const used = process.cpuUsage(cpu0);
  return { cpu: (used.user + used.system) / 1000 / times, wall: (performance.now() - t0) / times };
}

await withScratchDatabase(serverUrl, 'cpu', async (db) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-cpu-'));
  const server = await startServer(
    loadConfig({
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      JWT_SECRET: randomBytes(32).toString('hex'),
      SECRETS_KEY: randomBytes(32).toString('hex'),
      ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
      RATE_LIMIT_MAX: BENCH_RATE_LIMIT_MAX,
      LOG_LEVEL: 'silent',
    }),
  );
  const client = new GraphQLClient(`${server.url.replace('localhost', '127.0.0.1')}/graphql`);
  try {
    const fixtures = new Fixtures(client);
    const admin = await fixtures.admin();
    const customer = await fixtures.user(admin, 'cpu', 'USER');
    const sessionId = await fixtures.supportSession(customer, admin);
    // A count of 0 skips that measure (e.g. to profile one path alone).
    const measures: [string, number, () => Promise<unknown>][] = [
      ['send', sends, () => client.request(SEND_MUTATION, { sessionId, content: CONTENT }, customer.token)],
      ['page of 50', pages, () => client.request(PAGE, { s: sessionId }, customer.token)],
      ['{ __typename } with a token', typenames, () => client.request('{ __typename }', {}, customer.token)],
    ];
    for (const [name, times, op] of measures) {
      if (times <= 0) continue;
      const { cpu, wall } = await cpuPer(times, op);
      console.log(`${name}: ${cpu.toFixed(3)} ms CPU, ${wall.toFixed(2)} ms wall per request (${times})`);
    }
  } finally {
    client.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
