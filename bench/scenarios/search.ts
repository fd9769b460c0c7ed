import pg from 'pg';
import { RANK_CANDIDATES } from '../../src/search/search.service.js';
import { withScratchDatabase } from '../lib/database.js';
import { interleaved, type LatencySummary, nowMs, round } from '../lib/measure.js';
import { type BenchActor, Fixtures, GraphQLClient, spawnParley } from '../lib/parley.js';
import { copyMessages, sessionSenders } from '../lib/seed.js';
import type { BenchResult, BenchRow, Scenario } from '../scenario.js';

const SEARCH = `query($q: String!, $order: SearchOrder) { searchMessages(query: $q, first: 20, order: $order) {
  pageInfo { hasNextPage endCursor } edges { cursor highlight node { id sessionId senderName content createdAt } } } }`;

/** The bare SQL of the same search (the floor): tenant, not deleted, the same tsquery, ORDER BY and LIMIT; no access rule, no rows to hydrate. */
const FLOOR = {
  // Ranked among the newest RANK_CANDIDATES matches, as the server ranks.
  RANK: `select id from (select id, search_vector from chat_messages where tenant_id = $1 and deleted_at is null and search_vector @@ websearch_to_tsquery('simple', $2)
    order by id desc limit ${RANK_CANDIDATES}) c order by ts_rank(search_vector, websearch_to_tsquery('simple', $2)) desc, id desc limit 21`,
  NEWEST: `select id from chat_messages where tenant_id = $1 and deleted_at is null and search_vector @@ websearch_to_tsquery('simple', $2)
    order by id desc limit 21`,
};

const SESSIONS = 20;
/** In one message of ten. */
const COMMON = 'hello';
/** In ten messages, whatever the size. */
const RARE = 'zanzibar';
const TARGET_MS = 50;

const fmtCount = (n: number) => n.toLocaleString('en-US');

/** Message i of `size`: three words of a 5,000-word filler vocabulary, the common word in one of ten, the rare one in ten overall. */
function contentOf(size: number) {
  const rareEvery = Math.max(1, Math.floor(size / 10));
  return (i: number) => {
    const words = [`k${(i * 31) % 4999}`, `k${(i * 17) % 4993}`, `k${(i * 13) % 4987}`];
    if (i % 10 === 3) words.push(COMMON);
    if (i % rareEvery === 7) words.push(RARE);
    return words.join(' ');
  };
}

/**
 * Search at scale: one tenant of `size` messages in 20 support sessions of one customer (seeded
 * with COPY through the trigger, the generated tsvector and its GIN index, then VACUUM ANALYZE). The
 * customer searches for a common word (10 % of messages) and a rare one (10 messages), ranked
 * and newest first, 20 hits per page, against the bare SQL of the same search.
 */
export const scenario: Scenario = {
  name: 'search',
  async run(options): Promise<BenchResult> {
    const sizes = options.quick ? [2_000, 10_000] : [10_000, 1_000_000];
    const iterations = options.quick ? 20 : 200;
    const rows: BenchRow[] = [];
    for (const size of sizes) {
      await withScratchDatabase(options.postgresUrl, `search${size}`, async (db) => {
        const server = await spawnParley({ databaseUrl: db.url, profileDir: options.profileDir ?? null });
        const client = new GraphQLClient(server.graphqlUrl);
        const sql = new pg.Client({ connectionString: db.url });
        await sql.connect();
        try {
          const fixtures = new Fixtures(client);
          const admin = await fixtures.admin();
          const [customer, agent] = [await fixtures.user(admin, 'searcher', 'USER'), await fixtures.user(admin, 'agent', 'STAFF')] as [BenchActor, BenchActor];
          const batches = [];
          const perSession = Math.ceil(size / SESSIONS);
          const content = contentOf(size);
          for (let s = 0; s < SESSIONS; s++) {
            const id = await fixtures.supportSession(customer, admin, agent);
            const { tenantId, senders } = await sessionSenders(sql, id);
            const offset = s * perSession;
            batches.push({
              tenantId,
              sessionId: id,
              senders,
              count: Math.min(perSession, size - offset),
              firstAt: new Date(Date.UTC(2025, 0, 1) + offset * 1000),
              content: (i: number) => content(offset + i),
            });
          }
          const t0 = nowMs();
          await copyMessages(sql, batches);
          options.log(`  seeded ${fmtCount(size)} messages with COPY (trigger, generated tsvector, GIN) in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
          // Steady state: autovacuum has merged the GIN index's pending list (fastupdate), which a
          // search right after a bulk COPY would otherwise scan in full, and the planner has statistics.
          await sql.query('vacuum analyze chat_messages');
          const tenantId = batches[0]!.tenantId;

          for (const [label, word] of [
            ['common word (10 % of messages)', COMMON],
            ['rare word (10 messages)', RARE],
          ] as const) {
            for (const order of ['RANK', 'NEWEST'] as const) {
              const [parley, floor] = (await interleaved(iterations, [() => client.request(SEARCH, { q: word, order }, customer.token), () => sql.query(FLOOR[order], [tenantId, word])])) as [
                LatencySummary,
                LatencySummary,
              ];
              const ratio = round(floor.p50_ms / parley.p50_ms);
              const rowLabel = `${label}, ${order === 'RANK' ? 'ranked' : 'newest first'} (${fmtCount(size)} messages)`;
              options.log(`  ${rowLabel}: parley p50 ${parley.p50_ms} ms p99 ${parley.p99_ms} ms, floor p50 ${floor.p50_ms} ms p99 ${floor.p99_ms} ms, ratio ${ratio}`);
              rows.push({
                label: rowLabel,
                parley: { p50_ms: parley.p50_ms, p99_ms: parley.p99_ms },
                floor: { p50_ms: floor.p50_ms, p99_ms: floor.p99_ms },
                ratio,
                ...(size >= 1_000_000 ? { target: { text: `p50 ≤ ${TARGET_MS} ms at ${fmtCount(size)}`, met: parley.p50_ms <= TARGET_MS } } : {}),
              });
            }
          }
        } finally {
          client.close();
          await sql.end();
          await server.stop();
        }
      });
    }
    return {
      scenario: 'search',
      description: `searchMessages over ${sizes.map(fmtCount).join(' and ')} messages (one tenant each, 20 support sessions of one customer, seeded with COPY, then VACUUM ANALYZE). The customer searches one request at a time for a common word (in 10 % of messages) and a rare one (in 10), ranked and newest first, 20 hits with highlights per page. ${iterations} rounds per row after warm-up, interleaved with the floor.`,
      floor:
        'The bare SQL of the same search on chat_messages (tenant, not deleted, the GIN-indexed tsvector @@ the same tsquery, ranked among the newest RANK_CANDIDATES matches as the server ranks, the same ORDER BY and LIMIT 21) with raw pg on one connection: no access rule, no headlines, no hydration.',
      database: 'postgresql',
      rows,
    };
  },
};
