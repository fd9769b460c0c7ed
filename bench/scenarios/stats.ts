import pg from 'pg';
import { withScratchDatabase } from '../lib/database.js';
import { nowMs, round, sequential } from '../lib/measure.js';
import { Fixtures, GraphQLClient, spawnParley } from '../lib/parley.js';
import { copyMessages, type SeedBatch } from '../lib/seed.js';
import type { BenchResult, Scenario } from '../scenario.js';

const STATS = 'query { stats { totalSessions activeSessions averageResponseTime messagesExchanged } }';

/** The aggregate StatsService runs (src/stats/stats.service.ts), as bare SQL. */
const BARE = `select count(*) as total,
       count(*) filter (where status = 'ACTIVE') as active,
       coalesce(sum(message_count), 0) as messages,
       coalesce(sum(response_count), 0) as responses,
       coalesce(sum(response_ms_total), 0) as response_ms
  from chat_sessions
 where tenant_id = $1 and kind = 'SUPPORT'`;

/** The team lead's view: a range, every desk number, per agent. */
const TEAM = `query ($from: DateTimeISO, $to: DateTimeISO) { stats(from: $from, to: $to) {
  totalSessions sessionsHandled sessionsResolved
  firstResponseTime { count meanMs medianMs } resolutionTime { count meanMs medianMs } csat { count average }
  agents { agent { id username } sessionsHandled sessionsResolved firstResponseTime { meanMs medianMs } resolutionTime { meanMs medianMs } csat { count average } }
} }`;

/** The aggregate behind TEAM as bare SQL (StatsService's STATS_SQL with a range). */
const TEAM_BARE = `select grouping(s.agent_id) as overall, s.agent_id, count(*) as total,
       count(s.agent_id) as handled, count(*) filter (where s.status = 'CLOSED') as resolved,
       count(s.first_response_ms), avg(s.first_response_ms), percentile_cont(0.5) within group (order by s.first_response_ms),
       avg(extract(epoch from s.ended_at - s.started_at) * 1000) filter (where s.status = 'CLOSED'),
       percentile_cont(0.5) within group (order by extract(epoch from s.ended_at - s.started_at) * 1000) filter (where s.status = 'CLOSED'),
       count(r.id), avg(r.score)
  from chat_sessions s left join session_ratings r on r.session_id = s.id
 where s.tenant_id = $1 and s.kind = 'SUPPORT' and s.started_at >= $2 and s.started_at < $3
 group by grouping sets ((), (s.agent_id))`;

const TARGET_P99_MS = 20;

/**
 * Scenario 4: the admin's support-desk stats over a tenant holding 1,000,000 messages in
 * 2,000 support sessions (a third of them closed), with the session counters a send maintains.
 */
export const scenario: Scenario = {
  name: 'stats',
  async run(options): Promise<BenchResult> {
    const [sessions, perSession] = options.quick ? [200, 250] : [2_000, 500];
    const iterations = options.quick ? 50 : 500;
    return withScratchDatabase(options.postgresUrl, 'stats', async (db) => {
      const server = await spawnParley({ databaseUrl: db.url, profileDir: options.profileDir ?? null });
      const client = new GraphQLClient(server.graphqlUrl);
      const sql = new pg.Client({ connectionString: db.url });
      await sql.connect();
      try {
        const admin = await new Fixtures(client).admin();
        const { rows: tenants } = await sql.query<{ id: string }>('select id from tenants order by id limit 1');
        const tenantId = tenants[0]!.id;
        const t0 = nowMs();
        const { rows: created } = await sql.query<{ id: string }>(
          `insert into chat_sessions (uuid, tenant_id, kind, status, priority, tags, started_at, updated_at)
           select gen_random_uuid(), $1, 'SUPPORT', case when g % 3 = 0 then 'CLOSED' else 'ACTIVE' end::session_status, 'MEDIUM', '{}', now(), now()
             from generate_series(1, $2) g
           returning id`,
          [tenantId, sessions],
        );
        const batches: SeedBatch[] = created.map((s) => ({
          tenantId,
          sessionId: s.id,
          senders: [
            { participantId: null, senderType: 'USER' },
            { participantId: null, senderType: 'SUPPORT' },
          ],
          count: perSession,
          firstAt: new Date(Date.UTC(2025, 0, 1)),
        }));
        const total = await copyMessages(sql, batches);
        // The counters a send maintains, made consistent with the seeded messages.
        await sql.query(`update chat_sessions s
                            set message_count = m.messages, response_count = m.responses, response_ms_total = m.response_ms
                           from (select session_id, count(*) as messages, count(response_ms) as responses, coalesce(sum(response_ms), 0) as response_ms
                                   from chat_messages group by session_id) m
                          where s.id = m.session_id`);
        // The team lead's numbers: ten agents, start times over 30 days, closes, first responses, ratings.
        const { rows: agents } = await sql.query<{ id: string }>(
          `insert into users (tenant_id, role, username, display_name, created_at)
           select $1, 'STAFF', 'bench-agent-' || g, 'Agent ' || g, now() from generate_series(1, 10) g returning id`,
          [tenantId],
        );
        await sql.query(
          `update chat_sessions set agent_id = ($2::bigint[])[1 + id % 10], started_at = now() - (id % 30) * interval '1 day',
                  first_response_ms = 1000 + (id * 7919) % 600000,
                  ended_at = case when status = 'CLOSED' then now() - (id % 30) * interval '1 day' + (id % 97) * interval '1 minute' end
            where tenant_id = $1`,
          [tenantId, agents.map((a) => a.id)],
        );
        await sql.query(
          `with customers as (
             insert into participants (tenant_id, session_id, role, last_read_message_id, last_delivered_message_id, joined_at)
             select tenant_id, id, 'CUSTOMER', 0, 0, now() from chat_sessions where tenant_id = $1 and status = 'CLOSED'
             returning id, session_id)
           insert into session_ratings (tenant_id, session_id, participant_id, agent_id, score, created_at)
           select s.tenant_id, s.id, c.id, s.agent_id, 1 + s.id % 5, now() from customers c join chat_sessions s on s.id = c.session_id`,
          [tenantId],
        );
        await sql.query('analyze');
        options.log(`  seeded ${total.toLocaleString('en-US')} messages in ${sessions.toLocaleString('en-US')} sessions in ${((nowMs() - t0) / 1000).toFixed(1)} s`);

        const parley = await sequential(iterations, () => client.request(STATS, {}, admin.token));
        const floor = await sequential(iterations, () => sql.query(BARE, [tenantId]));
        const ratio = round(floor.p99_ms / parley.p99_ms);
        options.log(`  stats: parley p50 ${parley.p50_ms} ms p99 ${parley.p99_ms} ms, floor p50 ${floor.p50_ms} ms p99 ${floor.p99_ms} ms`);
        const range = { from: new Date(Date.now() - 14 * 86_400_000).toISOString(), to: new Date().toISOString() };
        const team = await sequential(iterations, () => client.request(TEAM, range, admin.token));
        const teamFloor = await sequential(iterations, () => sql.query(TEAM_BARE, [tenantId, range.from, range.to]));
        options.log(`  team stats: parley p50 ${team.p50_ms} ms p99 ${team.p99_ms} ms, floor p50 ${teamFloor.p50_ms} ms p99 ${teamFloor.p99_ms} ms`);
        return {
          scenario: 'stats',
          description: `The admin's stats query over GraphQL, ${iterations} times one after another, on a tenant with ${total.toLocaleString('en-US')} messages in ${sessions.toLocaleString('en-US')} support sessions. Stats read the per-session counters every send maintains, so the work grows with sessions, not messages.`,
          floor: 'The same aggregate over chat_sessions as bare SQL with raw pg (ratio on p99).',
          database: 'postgresql',
          rows: [
            {
              label: `${total.toLocaleString('en-US')} messages, ${sessions.toLocaleString('en-US')} sessions`,
              parley: { p50_ms: parley.p50_ms, p99_ms: parley.p99_ms },
              floor: { p50_ms: floor.p50_ms, p99_ms: floor.p99_ms },
              ratio,
              target: { text: `p99 ≤ ${TARGET_P99_MS} ms`, met: parley.p99_ms <= TARGET_P99_MS },
            },
            {
              label: `team lead: 14 of 30 days, 10 agents, medians and CSAT`,
              parley: { p50_ms: team.p50_ms, p99_ms: team.p99_ms },
              floor: { p50_ms: teamFloor.p50_ms, p99_ms: teamFloor.p99_ms },
              ratio: round(teamFloor.p99_ms / team.p99_ms),
              target: { text: `p99 ≤ ${TARGET_P99_MS} ms`, met: team.p99_ms <= TARGET_P99_MS },
            },
          ],
        };
      } finally {
        client.close();
        await sql.end();
        await server.stop();
      }
    });
  },
};
