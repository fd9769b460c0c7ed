import pg from 'pg';
import { encodeCursor } from '../../src/messages/cursor.js';
import { withScratchDatabase } from '../lib/database.js';
import { nowMs, round, sequential, type LatencySummary } from '../lib/measure.js';
import { Fixtures, GraphQLClient, spawnParley, type BenchActor } from '../lib/parley.js';
import { copyMessages } from '../lib/seed.js';
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

/** Cursor and since-id pages: within 2× of bare SQL; at the largest size also flat against the smallest. */
const WITHIN = 0.5;
const FLAT = 1.5;

interface Probe {
  key: string;
  label: string;
  kind: 'cursor' | 'since' | 'offset' | 'transport';
  parley(): Promise<unknown>;
  floor(): Promise<unknown>;
}

const fmtCount = (n: number) => n.toLocaleString('en-US');

/** Scenario 3: one support session grown to 1,000,000 messages with COPY; pages at its start, middle and end. */
export const scenario: Scenario = {
  name: 'history',
  async run(options): Promise<BenchResult> {
    const sizes = options.quick ? [5_000, 50_000] : [10_000, 1_000_000];
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
        const sessionId = await fixtures.supportSession(customer, admin, agent);
        const { rows: participants } = await sql.query<{ id: string; role: string; tenant_id: string }>(
          'select id, role, tenant_id from participants where session_id = $1 order by id',
          [sessionId],
        );
        const senders = participants.map((p) => ({ participantId: p.id, senderType: p.role === 'AGENT' ? ('SUPPORT' as const) : ('USER' as const) }));
        const tenantId = participants[0]!.tenant_id;

        const rows: BenchRow[] = [];
        /** Per cursor/since probe: its label and Parley's and the floor's numbers at the smallest size. */
        const smallest = new Map<string, { label: string; parley: LatencySummary; floor: LatencySummary }>();
        const flatness: BenchRow[] = [];
        let seeded = 0;
        for (const size of sizes) {
          const t0 = nowMs();
          await copyMessages(sql, [{ tenantId, sessionId, senders, count: size - seeded, firstAt: new Date(Date.UTC(2025, 0, 1) + seeded * 1000) }]);
          seeded = size;
          await sql.query('update chat_sessions set message_count = $2 where id = $1', [sessionId, size]);
          await sql.query('analyze chat_messages');
          options.log(`  seeded ${fmtCount(size)} messages with COPY in ${((nowMs() - t0) / 1000).toFixed(1)} s`);

          const idAt = async (position: number) =>
            (await sql.query<{ id: string }>('select id from chat_messages where session_id = $1 order by id offset $2 limit 1', [sessionId, position])).rows[0]!.id;
          const [middle, end, tail] = [await idAt(Math.floor(size / 2)), await idAt(size - 51), await idAt(size - 6)];
          const page = (after: string | null) => () => client.request(CURSOR_PAGE, { s: sessionId, after: after && encodeCursor(after) }, customer.token);
          const bare = (text: string, arg: string | number) => () => sql.query(text, [sessionId, arg]);
          const probes: Probe[] = [
            { key: 'cursor-start', label: 'cursor page at the start', kind: 'cursor', parley: page(null), floor: bare(SQL.cursor, '0') },
            { key: 'cursor-middle', label: 'cursor page in the middle', kind: 'cursor', parley: page(middle), floor: bare(SQL.cursor, middle) },
            { key: 'cursor-end', label: 'cursor page at the end', kind: 'cursor', parley: page(end), floor: bare(SQL.cursor, end) },
            {
              key: 'since',
              label: 'since-id poll (5 new messages)',
              kind: 'since',
              parley: () => client.request(SINCE, { s: sessionId, after: tail }, customer.token),
              floor: bare(SQL.since, tail),
            },
          ];
          if (size === sizes[0]) {
            // What any authenticated GraphQL request costs before touching data, against a bare round trip.
            probes.unshift({
              key: 'transport',
              label: 'GraphQL request without data ({ __typename }), for scale',
              kind: 'transport',
              parley: () => client.request('{ __typename }', {}, customer.token),
              floor: () => sql.query('select 1'),
            });
          }
          if (size === sizes[sizes.length - 1]) {
            for (const offset of offsets) {
              probes.push({
                key: `offset-${offset}`,
                label: `offset page at ${fmtCount(offset)}`,
                kind: 'offset',
                parley: () => client.request(OFFSET_PAGE, { s: sessionId, offset }, customer.token),
                floor: bare(SQL.offset, offset),
              });
            }
          }
          for (const probe of probes) {
            const times = probe.kind === 'offset' ? offsetIterations : iterations;
            const parley = await sequential(times, probe.parley);
            const floor = await sequential(times, probe.floor);
            const ratio = round(floor.p50_ms / parley.p50_ms);
            const row: BenchRow = {
              label: probe.kind === 'transport' ? probe.label : `${probe.label} (${fmtCount(size)} messages)`,
              parley: { p50_ms: parley.p50_ms, p99_ms: parley.p99_ms },
              floor: { p50_ms: floor.p50_ms, p99_ms: floor.p99_ms },
              ratio,
            };
            if (probe.kind === 'cursor' || probe.kind === 'since') {
              row.target = { text: 'p50 within 2× of bare SQL', met: ratio >= WITHIN };
              const small = smallest.get(probe.key);
              if (!small) {
                smallest.set(probe.key, { label: probe.label, parley, floor });
              } else {
                // Flat: the p50 at the largest size against the smallest. Ratio: the floor's growth
                // over Parley's (1.0 = Parley grows no more than the bare SQL does).
                const growth = round(parley.p50_ms / small.parley.p50_ms);
                const floorGrowth = round(floor.p50_ms / small.floor.p50_ms);
                flatness.push({
                  label: `flatness of the ${probe.label}, ${fmtCount(sizes[0]!)} → ${fmtCount(size)} messages`,
                  parley: { p50_small_ms: small.parley.p50_ms, p50_large_ms: parley.p50_ms, growth },
                  floor: { p50_small_ms: small.floor.p50_ms, p50_large_ms: floor.p50_ms, growth: floorGrowth },
                  ratio: round(floorGrowth / growth),
                  target: { text: `flat: p50 at ${fmtCount(size)} ≤ ${FLAT}× the p50 at ${fmtCount(sizes[0]!)} messages`, met: growth <= FLAT },
                });
              }
            }
            options.log(`  ${row.label}: parley p50 ${parley.p50_ms} ms p99 ${parley.p99_ms} ms, floor p50 ${floor.p50_ms} ms, ratio ${ratio}`);
            rows.push(row);
          }
        }
        rows.push(...flatness);
        return {
          scenario: 'history',
          description: `One support session grown to ${fmtCount(sizes[0]!)} and then ${fmtCount(sizes[sizes.length - 1]!)} messages (seeded with COPY, then ANALYZE). Its customer reads 50-message pages over GraphQL, one request at a time: Relay cursor pages at the start, middle and end, a since-id poll that finds 5 new messages, and offset pages; for scale, one authenticated GraphQL request that reads no data (floor: select 1). ${iterations} timed requests per cursor/since row, ${offsetIterations} per offset row, after warm-up.`,
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
