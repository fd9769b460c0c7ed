import pg from 'pg';
import { withScratchDatabase } from '../lib/database.js';
import { interleaved, type LatencySummary, nowMs, round } from '../lib/measure.js';
import { Fixtures, GraphQLClient, spawnParley } from '../lib/parley.js';
import { copyMessages, sessionSenders } from '../lib/seed.js';
import type { BenchResult, BenchRow, Scenario } from '../scenario.js';

const PAGE = `query($after: String) { inboxConnection(first: 25, after: $after) {
  pageInfo { hasNextPage endCursor } edges { cursor node { unreadCount lastActivityAt session { id status priority tags } lastMessage { id content private } } } } }`;
const TABS = '{ inboxConnection(first: 1) { tabs { mine unassigned all } } }';
const UNREAD = 'query($s: ID!) { session(id: $s) { id unreadCount } }';

/** The bare keyset page (the floor of the inbox page). */
const PAGE_SQL = `select id from chat_sessions where tenant_id = $1 and kind = 'SUPPORT' order by last_activity_at desc, id desc limit 26`;
/** The bare counter lookup (the floor of unreadCount). */
const UNREAD_SQL = 'select unread_count from participants where session_id = $1 and user_id = $2';
/** What the counter replaces: counting the session's unread messages. Reported for scale only. */
const NAIVE_SQL = 'select count(*) from chat_messages where session_id = $1 and id > 0 and sender_id is distinct from $2 and deleted_at is null';

const FLAT = 1.5;
const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * The agent inbox and unread counts at scale: the admin's inbox page (25 rows, newest activity
 * first) at 100, 10,000 and 100,000 support sessions (seeded with SQL), and a customer's
 * `Session.unreadCount` in a 1,000,000-message session against a 1,000-message one. Both must
 * be flat: the page is a keyset scan, the count a maintained counter.
 */
export const scenario: Scenario = {
  name: 'inbox',
  async run(options): Promise<BenchResult> {
    const sizes = options.quick ? [100, 2_000, 10_000] : [100, 10_000, 100_000];
    const [small, large] = options.quick ? [1_000, 50_000] : [1_000, 1_000_000];
    const iterations = options.quick ? 30 : 200;
    return withScratchDatabase(options.postgresUrl, 'inbox', async (db) => {
      const server = await spawnParley({ databaseUrl: db.url, profileDir: options.profileDir ?? null });
      const client = new GraphQLClient(server.graphqlUrl);
      const sql = new pg.Client({ connectionString: db.url });
      await sql.connect();
      try {
        const fixtures = new Fixtures(client);
        const admin = await fixtures.admin();
        const customer = await fixtures.user(admin, 'inbox-customer', 'USER');
        const agent = await fixtures.user(admin, 'inbox-agent', 'STAFF');
        const tenantId = (await sql.query<{ tenant_id: string }>('select tenant_id from users where id = $1', [admin.userId])).rows[0]!.tenant_id;
        const rows: BenchRow[] = [];
        const row = (label: string, parley: LatencySummary, floor: LatencySummary): BenchRow => {
          const ratio = round(floor.p50_ms / parley.p50_ms);
          options.log(`  ${label}: parley p50 ${parley.p50_ms} ms p99 ${parley.p99_ms} ms, floor p50 ${floor.p50_ms} ms, ratio ${ratio}`);
          return { label, parley: { p50_ms: parley.p50_ms, p99_ms: parley.p99_ms }, floor: { p50_ms: floor.p50_ms, p99_ms: floor.p99_ms }, ratio };
        };

        // Inbox pages at growing tenant sizes: sessions inserted in bulk, one message each for a preview.
        let seeded = 0;
        const pageP50: number[] = [];
        const floorP50: number[] = [];
        for (const size of sizes) {
          const t0 = nowMs();
          await sql.query(
            `insert into chat_sessions (uuid, tenant_id, kind, status, priority, subject, tags, customer_id, agent_id, started_at, updated_at, last_activity_at)
             select gen_random_uuid(), $1, 'SUPPORT', case when i % 5 = 0 then 'CLOSED' else 'ACTIVE' end::session_status,
                    (array['LOW','MEDIUM','HIGH'])[1 + i % 3]::session_priority, 'Seeded', case when i % 4 = 0 then array['billing'] else array[]::text[] end,
                    $2, case when i % 2 = 0 then $3::bigint end, now() - make_interval(secs => i), now(), now() - make_interval(secs => i)
               from generate_series($4::int, $5::int) i`,
            [tenantId, customer.userId, agent.userId, seeded + 1, size],
          );
          seeded = size;
          await sql.query('analyze chat_sessions');
          options.log(`  ${fmt(size)} support sessions seeded in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
          const first = await client.request<{ inboxConnection: { pageInfo: { endCursor: string } } }>(PAGE, { after: null }, admin.token);
          const [parleyFirst, parleyDeep] = await interleaved(iterations, [
            () => client.request(PAGE, { after: null }, admin.token),
            () => client.request(PAGE, { after: first.inboxConnection.pageInfo.endCursor }, admin.token),
          ]);
          const [floor] = await interleaved(iterations, [() => sql.query(PAGE_SQL, [tenantId])]);
          rows.push(row(`inbox first page (${fmt(size)} sessions)`, parleyFirst!, floor!));
          rows.push(row(`inbox second page by cursor (${fmt(size)} sessions)`, parleyDeep!, floor!));
          const [tabs] = await interleaved(Math.max(10, Math.floor(iterations / 4)), [() => client.request(TABS, {}, admin.token)]);
          options.log(`  tab counts (${fmt(size)} sessions): p50 ${tabs!.p50_ms} ms (an aggregate over the matching sessions: grows with them)`);
          pageP50.push(parleyFirst!.p50_ms);
          floorP50.push(floor!.p50_ms);
        }
        const growth = round(pageP50.at(-1)! / pageP50[0]!);
        rows.push({
          label: `flatness of the inbox page, ${fmt(sizes[0]!)} → ${fmt(sizes.at(-1)!)} sessions`,
          parley: { p50_small_ms: pageP50[0]!, p50_large_ms: pageP50.at(-1)!, growth },
          floor: { p50_small_ms: floorP50[0]!, p50_large_ms: floorP50.at(-1)!, growth: round(floorP50.at(-1)! / floorP50[0]!) },
          ratio: round(floorP50.at(-1)! / floorP50[0]! / growth),
          target: { text: `flat: p50 at ${fmt(sizes.at(-1)!)} ≤ ${FLAT}× the p50 at ${fmt(sizes[0]!)} sessions`, met: growth <= FLAT },
        });

        // unreadCount in a small and a huge session: the customer has read nothing the agent wrote.
        const seedSession = async (count: number): Promise<string> => {
          const id = await fixtures.supportSession(customer, admin, agent);
          const { senders } = await sessionSenders(sql, id);
          const t0 = nowMs();
          // COPY goes through the counter triggers like any insert (one statement: one counter update per participant).
          await copyMessages(sql, [{ tenantId, sessionId: id, senders, count, firstAt: new Date(Date.UTC(2025, 0, 1)) }]);
          await sql.query('update chat_sessions set message_count = $2 where id = $1', [id, count]);
          // The customer wrote every other message (participant order: customer, then agent): the counter holds the agent's half.
          const counted = (await sql.query<{ unread_count: number }>(UNREAD_SQL, [id, customer.userId])).rows[0]?.unread_count;
          if (counted !== Math.floor(count / 2)) throw new Error(`unread counter after COPY is ${counted}, expected ${Math.floor(count / 2)}`);
          options.log(`  seeded ${fmt(count)} messages in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
          return id;
        };
        const sessions = [await seedSession(small), await seedSession(large)];
        await sql.query('analyze chat_messages');
        await sql.query('analyze participants');
        const parley = await interleaved(
          iterations,
          sessions.map((s) => () => client.request(UNREAD, { s }, customer.token)),
        );
        const floor = await interleaved(
          iterations,
          sessions.map((s) => () => sql.query(UNREAD_SQL, [s, customer.userId])),
        );
        for (const [i, count] of [small, large].entries()) rows.push(row(`Session.unreadCount (${fmt(count)} messages)`, parley[i]!, floor[i]!));
        const unreadGrowth = round(parley[1]!.p50_ms / parley[0]!.p50_ms);
        rows.push({
          label: `flatness of unreadCount, ${fmt(small)} → ${fmt(large)} messages`,
          parley: { p50_small_ms: parley[0]!.p50_ms, p50_large_ms: parley[1]!.p50_ms, growth: unreadGrowth },
          floor: { p50_small_ms: floor[0]!.p50_ms, p50_large_ms: floor[1]!.p50_ms, growth: round(floor[1]!.p50_ms / floor[0]!.p50_ms) },
          ratio: round(floor[1]!.p50_ms / floor[0]!.p50_ms / unreadGrowth),
          target: { text: `flat: p50 at ${fmt(large)} ≤ ${FLAT}× the p50 at ${fmt(small)} messages`, met: unreadGrowth <= FLAT },
        });
        const customerParticipant = (await sql.query<{ id: string }>('select id from participants where session_id = $1 and user_id = $2', [sessions[1], customer.userId])).rows[0]!.id;
        const [naive] = await interleaved(Math.max(5, Math.floor(iterations / 10)), [() => sql.query(NAIVE_SQL, [sessions[1], customerParticipant])]);
        options.log(`  for scale, counting instead (${fmt(large)} messages, bare SQL): p50 ${naive!.p50_ms} ms`);

        return {
          scenario: 'inbox',
          description: `The admin's inbox page (25 rows with session, unread count, last message; newest activity first) at ${sizes.map(fmt).join(', ')} support sessions (bulk-inserted, then ANALYZE), first page and the next by cursor; and a customer's Session.unreadCount in sessions of ${fmt(small)} and ${fmt(large)} messages (seeded with COPY). ${iterations} timed rounds per row after warm-up. Tab counts are logged, not targeted: they aggregate over the matching sessions.`,
          floor: 'The bare keyset SQL of the page (tenant, kind, ORDER BY last_activity_at DESC, id DESC LIMIT 26) and the bare counter lookup (participants.unread_count), raw pg on one connection.',
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
