import pg from 'pg';
import { encodeCursor } from '../../src/messages/cursor.js';
import { withScratchDatabase } from '../lib/database.js';
import { interleaved, nowMs, round, sequential, type LatencySummary } from '../lib/measure.js';
import { Fixtures, GraphQLClient, spawnParley, type BenchActor } from '../lib/parley.js';
import { copyMessages, sessionSenders } from '../lib/seed.js';
import type { BenchResult, BenchRow, Scenario } from '../scenario.js';

const FIELDS = 'id uuid sessionId senderType senderId senderName content metadata clientMessageId createdAt editedAt read status';
const CURSOR_PAGE = `query($s: ID!, $after: String) { messages(sessionId: $s, first: 50, after: $after) {
  totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { ${FIELDS} } } } }`;
const SINCE = `query($s: ID!, $after: ID!) { messagesSince(sessionId: $s, afterId: $after, limit: 50) { ${FIELDS} } }`;
const OFFSET_PAGE = `query($s: ID!, $offset: Int) { messagesPage(sessionId: $s, offset: $offset, limit: 50) { totalCount hasMore items { ${FIELDS} } } }`;

/** The bare SQL each GraphQL query above runs for its rows (the floor). */
const SQL = {
  cursor: 'select * from chat_messages where session_id = $1 and id > $2 order by id asc limit 51',
  since: 'select * from chat_messages where session_id = $1 and id > $2 order by id asc limit 50',
  offset: 'select * from chat_messages where session_id = $1 order by created_at asc, id asc limit 51 offset $2',
};

/** Cursor and since-id pages: within 2× of bare SQL (ratio ≥ 0.5), and flat from the small session to the large one. */
const WITHIN = 0.5;
const FLAT = 1.5;

const fmtCount = (n: number) => n.toLocaleString('en-US');

interface SeededSession {
  id: string;
  size: number;
  middle: string;
  end: string;
  tail: string;
}

interface Op {
  parley(): Promise<unknown>;
  floor(): Promise<unknown>;
}

/**
 * Scenario 3: message history at scale. Two support sessions of one customer, one of 10,000
 * messages and one of 1,000,000 (seeded with COPY), read side by side: each timed round reads
 * the same page from both, so the noise of a shared machine falls on both sizes alike and the
 * flatness comparison stays fair.
 */
export const scenario: Scenario = {
  name: 'history',
  async run(options): Promise<BenchResult> {
    const [small, large] = options.quick ? [5_000, 50_000] : [10_000, 1_000_000];
    const offsets = options.quick ? [0, 10_000, 25_000] : [0, 10_000, 500_000];
    const iterations = options.quick ? 40 : 300;
    const offsetIterations = options.quick ? 10 : 30;
    return withScratchDatabase(options.postgresUrl, 'history', async (db) => {
      const server = await spawnParley({ databaseUrl: db.url, profileDir: options.profileDir ?? null });
      const client = new GraphQLClient(server.graphqlUrl);
      const sql = new pg.Client({ connectionString: db.url });
      await sql.connect();
      try {
        const fixtures = new Fixtures(client);
        const admin = await fixtures.admin();
        const [customer, agent] = [await fixtures.user(admin, 'reader', 'USER'), await fixtures.user(admin, 'agent', 'STAFF')] as [BenchActor, BenchActor];

        const seed = async (size: number): Promise<SeededSession> => {
          const id = await fixtures.supportSession(customer, admin, agent);
          const { tenantId, senders } = await sessionSenders(sql, id);
          const t0 = nowMs();
          await copyMessages(sql, [{ tenantId, sessionId: id, senders, count: size, firstAt: new Date(Date.UTC(2025, 0, 1)) }]);
          await sql.query('update chat_sessions set message_count = $2 where id = $1', [id, size]);
          options.log(`  seeded ${fmtCount(size)} messages with COPY in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
          const idAt = async (position: number) =>
            (await sql.query<{ id: string }>('select id from chat_messages where session_id = $1 order by id offset $2 limit 1', [id, position])).rows[0]!.id;
          return { id, size, middle: await idAt(Math.floor(size / 2)), end: await idAt(size - 51), tail: await idAt(size - 6) };
        };
        const sessions = [await seed(small), await seed(large)] as const;
        await sql.query('analyze chat_messages');

        const bare = (text: string, sessionId: string, arg: string | number) => () => sql.query(text, [sessionId, arg]);
        const cursor = (s: SeededSession, after: string | null): Op => ({
          parley: () => client.request(CURSOR_PAGE, { s: s.id, after: after && encodeCursor(after) }, customer.token),
          floor: bare(SQL.cursor, s.id, after ?? '0'),
        });
        const probes: { label: string; op(s: SeededSession): Op }[] = [
          { label: 'cursor page at the start', op: (s) => cursor(s, null) },
          { label: 'cursor page in the middle', op: (s) => cursor(s, s.middle) },
          { label: 'cursor page at the end', op: (s) => cursor(s, s.end) },
          {
            label: 'since-id poll (5 new messages)',
            op: (s) => ({ parley: () => client.request(SINCE, { s: s.id, after: s.tail }, customer.token), floor: bare(SQL.since, s.id, s.tail) }),
          },
        ];

        const rows: BenchRow[] = [];
        const flatness: BenchRow[] = [];
        const row = (label: string, parley: LatencySummary, floor: LatencySummary): BenchRow => {
          const ratio = round(floor.p50_ms / parley.p50_ms);
          options.log(`  ${label}: parley p50 ${parley.p50_ms} ms p99 ${parley.p99_ms} ms, floor p50 ${floor.p50_ms} ms, ratio ${ratio}`);
          return {
            label,
            parley: { p50_ms: parley.p50_ms, p99_ms: parley.p99_ms },
            floor: { p50_ms: floor.p50_ms, p99_ms: floor.p99_ms },
            ratio,
          };
        };

        // What any authenticated GraphQL request costs before touching data, against a bare round trip.
        rows.push(
          row(
            'GraphQL request without data ({ __typename }), for scale',
            await sequential(iterations, () => client.request('{ __typename }', {}, customer.token)),
            await sequential(iterations, () => sql.query('select 1')),
          ),
        );
        for (const probe of probes) {
          const ops = sessions.map((s) => probe.op(s));
          const parley = await interleaved(iterations, ops.map((o) => o.parley));
          const floor = await interleaved(iterations, ops.map((o) => o.floor));
          sessions.forEach((s, i) => {
            const r = row(`${probe.label} (${fmtCount(s.size)} messages)`, parley[i]!, floor[i]!);
            r.target = { text: 'p50 within 2× of bare SQL', met: r.ratio >= WITHIN };
            rows.push(r);
          });
          // Flat: the large session's p50 against the small one's, measured in the same rounds.
          // Ratio: the floor's growth over Parley's (1.0 = Parley grows no more than the bare SQL).
          const growth = round(parley[1]!.p50_ms / parley[0]!.p50_ms);
          const floorGrowth = round(floor[1]!.p50_ms / floor[0]!.p50_ms);
          flatness.push({
            label: `flatness of the ${probe.label}, ${fmtCount(small)} → ${fmtCount(large)} messages`,
            parley: { p50_small_ms: parley[0]!.p50_ms, p50_large_ms: parley[1]!.p50_ms, growth },
            floor: { p50_small_ms: floor[0]!.p50_ms, p50_large_ms: floor[1]!.p50_ms, growth: floorGrowth },
            ratio: round(floorGrowth / growth),
            target: { text: `flat: p50 at ${fmtCount(large)} ≤ ${FLAT}× the p50 at ${fmtCount(small)} messages`, met: growth <= FLAT },
          });
        }
        const biggest = sessions[1];
        for (const offset of offsets) {
          const [parley] = await interleaved(offsetIterations, [() => client.request(OFFSET_PAGE, { s: biggest.id, offset }, customer.token)]);
          const [floor] = await interleaved(offsetIterations, [bare(SQL.offset, biggest.id, offset)]);
          rows.push(row(`offset page at ${fmtCount(offset)} (${fmtCount(large)} messages)`, parley!, floor!));
        }
        rows.push(...flatness);
        return {
          scenario: 'history',
          description: `Two support sessions of one customer, of ${fmtCount(small)} and ${fmtCount(large)} messages (seeded with COPY, then ANALYZE). The customer reads 50-message pages over GraphQL, one request at a time: Relay cursor pages at the start, middle and end, a since-id poll that finds 5 new messages, and offset pages of the large session; for scale, one authenticated GraphQL request that reads no data (floor: select 1). Each timed round reads a page from both sessions, so the size comparison shares the machine's noise. ${iterations} rounds per cursor/since row, ${offsetIterations} per offset row, after warm-up.`,
          floor: 'The bare SQL of each page (the same WHERE, ORDER BY and LIMIT/OFFSET on chat_messages) with raw pg on one connection.',
          database: 'postgresql',
          rows,
        };
      } finally {
        client.close();
        await sql.end();
        await server.stop();
      }
    });
  },
};
