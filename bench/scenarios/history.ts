import pg from 'pg';
import { encodeCursor } from '../../src/messages/cursor.js';
import { withScratchDatabase } from '../lib/database.js';
import { FLOOR_PATHS } from '../lib/http-floor.js';
import { assertSameAnswer, type HttpFloorProcess, spawnHttpFloor } from '../lib/http-floor-spawn.js';
import { interleaved, type LatencySummary, nowMs, round } from '../lib/measure.js';
import { type BenchActor, Fixtures, GraphQLClient, spawnParley } from '../lib/parley.js';
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

/** Cursor, since-id and offset-at-0 pages: within 2× of the HTTP floor (ratio ≥ 0.5), and flat from the small session to the large one. */
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
  /** The same GraphQL request to the HTTP floor (bench/lib/http-floor.ts). */
  http(): Promise<unknown>;
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
      let httpFloor: HttpFloorProcess | null = null;
      const floorClients: GraphQLClient[] = [];
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
          const idAt = async (position: number) => (await sql.query<{ id: string }>('select id from chat_messages where session_id = $1 order by id offset $2 limit 1', [id, position])).rows[0]!.id;
          return { id, size, middle: await idAt(Math.floor(size / 2)), end: await idAt(size - 51), tail: await idAt(size - 6) };
        };
        const sessions = [await seed(small), await seed(large)] as const;
        await sql.query('analyze chat_messages');
        httpFloor = await spawnHttpFloor({ kind: 'postgres', url: db.url }, [customer]);
        const floorClient = (path: string) => {
          const one = new GraphQLClient(`${httpFloor!.url}${path}`);
          floorClients.push(one);
          return one;
        };
        const viaHttp = {
          bare: floorClient(FLOOR_PATHS.bare),
          cursor: floorClient(FLOOR_PATHS.cursor),
          since: floorClient(FLOOR_PATHS.since),
          offset: floorClient(FLOOR_PATHS.offset),
        };

        const bare = (text: string, sessionId: string, arg: string | number) => () => sql.query(text, [sessionId, arg]);
        const cursor = (s: SeededSession, after: string | null): Op => {
          const variables = { s: s.id, after: after && encodeCursor(after) };
          return {
            parley: () => client.request(CURSOR_PAGE, variables, customer.token),
            floor: bare(SQL.cursor, s.id, after ?? '0'),
            http: () => viaHttp.cursor.request(CURSOR_PAGE, variables, customer.token),
          };
        };
        const probes: { label: string; op(s: SeededSession): Op }[] = [
          { label: 'cursor page at the start', op: (s) => cursor(s, null) },
          { label: 'cursor page in the middle', op: (s) => cursor(s, s.middle) },
          { label: 'cursor page at the end', op: (s) => cursor(s, s.end) },
          {
            label: 'since-id poll (5 new messages)',
            op: (s) => ({
              parley: () => client.request(SINCE, { s: s.id, after: s.tail }, customer.token),
              floor: bare(SQL.since, s.id, s.tail),
              http: () => viaHttp.since.request(SINCE, { s: s.id, after: s.tail }, customer.token),
            }),
          },
        ];

        const rows: BenchRow[] = [];
        const flatness: BenchRow[] = [];
        const row = (label: string, parley: LatencySummary, floor: LatencySummary, http: LatencySummary): BenchRow => {
          const ratio = round(floor.p50_ms / parley.p50_ms);
          const httpRatio = round(http.p50_ms / parley.p50_ms);
          options.log(`  ${label}: parley p50 ${parley.p50_ms} ms p99 ${parley.p99_ms} ms, floor p50 ${floor.p50_ms} ms, ratio ${ratio}; HTTP floor p50 ${http.p50_ms} ms, ratio ${httpRatio}`);
          return {
            label,
            parley: { p50_ms: parley.p50_ms, p99_ms: parley.p99_ms },
            floor: { p50_ms: floor.p50_ms, p99_ms: floor.p99_ms },
            ratio,
            httpFloor: { p50_ms: http.p50_ms, p99_ms: http.p99_ms },
            httpRatio,
          };
        };
        /**
         * Times Parley, the bare SQL and the HTTP floor in the same rounds (so they share the
         * machine's noise), after checking that the HTTP floor answers exactly what Parley answers.
         * Parley is asked again after the floor: the first read of a page may move the reader's
         * delivered watermark, which changes the read state the next answer reports.
         */
        const measure = async (label: string, times: number, ops: readonly Op[]): Promise<{ parley: LatencySummary[]; floor: LatencySummary[]; http: LatencySummary[] }> => {
          for (const op of ops) {
            await op.parley();
            const floorAnswer = await op.http();
            assertSameAnswer(label, await op.parley(), floorAnswer, true);
          }
          const all = await interleaved(times, [...ops.map((o) => o.parley), ...ops.map((o) => o.floor), ...ops.map((o) => o.http)]);
          const n = ops.length;
          return { parley: all.slice(0, n), floor: all.slice(n, 2 * n), http: all.slice(2 * n) };
        };

        // What any authenticated GraphQL request costs before touching data, against a bare round trip.
        // The HTTP floor of this row is a bare round trip: the same POST answered with a constant body.
        {
          const typename: Op = {
            parley: () => client.request('{ __typename }', {}, customer.token),
            floor: () => sql.query('select 1'),
            http: () => viaHttp.bare.request('{ __typename }', {}, customer.token),
          };
          const { parley, floor, http } = await measure('{ __typename }', iterations, [typename]);
          const r = row('GraphQL request without data ({ __typename })', parley[0]!, floor[0]!, http[0]!);
          r.target = { text: '≤ 2× a bare HTTP round trip', met: r.httpRatio! >= WITHIN };
          rows.push(r);
        }
        for (const probe of probes) {
          const { parley, floor, http } = await measure(
            probe.label,
            iterations,
            sessions.map((s) => probe.op(s)),
          );
          sessions.forEach((s, i) => {
            const r = row(`${probe.label} (${fmtCount(s.size)} messages)`, parley[i]!, floor[i]!, http[i]!);
            r.target = { text: 'p50 within 2× of the HTTP floor', met: r.httpRatio! >= WITHIN };
            rows.push(r);
          });
          // Flat: the large session's p50 against the small one's, measured in the same rounds.
          // Ratio: the floor's growth over Parley's (1.0 = Parley grows no more than the bare SQL).
          const growth = round(parley[1]!.p50_ms / parley[0]!.p50_ms);
          const floorGrowth = round(floor[1]!.p50_ms / floor[0]!.p50_ms);
          const httpGrowth = round(http[1]!.p50_ms / http[0]!.p50_ms);
          flatness.push({
            label: `flatness of the ${probe.label}, ${fmtCount(small)} → ${fmtCount(large)} messages`,
            parley: { p50_small_ms: parley[0]!.p50_ms, p50_large_ms: parley[1]!.p50_ms, growth },
            floor: { p50_small_ms: floor[0]!.p50_ms, p50_large_ms: floor[1]!.p50_ms, growth: floorGrowth },
            ratio: round(floorGrowth / growth),
            httpFloor: { p50_small_ms: http[0]!.p50_ms, p50_large_ms: http[1]!.p50_ms, growth: httpGrowth },
            httpRatio: round(httpGrowth / growth),
            target: { text: `flat: p50 at ${fmtCount(large)} ≤ ${FLAT}× the p50 at ${fmtCount(small)} messages`, met: growth <= FLAT },
          });
        }
        const biggest = sessions[1];
        for (const offset of offsets) {
          const page: Op = {
            parley: () => client.request(OFFSET_PAGE, { s: biggest.id, offset }, customer.token),
            floor: bare(SQL.offset, biggest.id, offset),
            http: () => viaHttp.offset.request(OFFSET_PAGE, { s: biggest.id, offset }, customer.token),
          };
          const { parley, floor, http } = await measure(`offset page at ${offset}`, offsetIterations, [page]);
          const r = row(`offset page at ${fmtCount(offset)} (${fmtCount(large)} messages)`, parley[0]!, floor[0]!, http[0]!);
          if (offset === 0) r.target = { text: 'p50 within 2× of the HTTP floor', met: r.httpRatio! >= WITHIN };
          rows.push(r);
        }
        rows.push(...flatness);
        return {
          scenario: 'history',
          description: `Two support sessions of one customer, of ${fmtCount(small)} and ${fmtCount(large)} messages (seeded with COPY, then ANALYZE). The customer reads 50-message pages over GraphQL, one request at a time: Relay cursor pages at the start, middle and end, a since-id poll that finds 5 new messages, and offset pages of the large session; for scale, one authenticated GraphQL request that reads no data (floor: select 1; HTTP floor: a bare round trip). Each timed round reads a page from both sessions on Parley, the bare SQL and the HTTP floor in turn, so the size comparison and the ratios share the machine's noise. ${iterations} rounds per cursor/since row, ${offsetIterations} per offset row, after warm-up.`,
          httpFloor:
            "A bare node:http server in a child process of its own (bench/lib/http-floor.ts) over the same database: the same request body and bearer token (looked up among the bench's tokens, constant-time compare; no JWT, no user lookup), the statements Parley runs for the page with the same tenant scope and access rule (the session row, the messages up to its last message id without private notes, the has-previous probe, the participants with their users for names and read state; the delivered watermark moved when it must), and the same JSON text, checked byte for byte against Parley's answer before timing. For `{ __typename }`, the same POST answered with a constant JSON body.",
          floor: 'The bare SQL of each page (the same WHERE, ORDER BY and LIMIT/OFFSET on chat_messages) with raw pg on one connection.',
          database: 'postgresql',
          rows,
        };
      } finally {
        client.close();
        for (const one of floorClients) one.close();
        await httpFloor?.stop();
        await sql.end();
        await server.stop();
      }
    });
  },
};
