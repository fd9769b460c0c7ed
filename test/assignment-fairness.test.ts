import type WebSocket from 'ws';
import { UserRole } from '../src/shared/enums.js';
import {
  CloseQueuedSessionDocument,
  CreatePrioritySessionDocument,
  InboxAssignmentsDocument,
  SessionQueueDocument,
  SetAgentCapacityDocument,
  SetAutoAssignmentDocument,
  SetAvailabilityDocument,
} from './generated/graphql.js';
import { agentsOverCapacity, connectAgent } from './helpers/agents.js';
import { ok } from './helpers/client.js';
import { type Actor, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { seededRandom, testSeed } from './helpers/random.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, wsClient } from './helpers/subscriptions.js';

const AGENTS = 5;
const CAPACITY = 20;
const SESSIONS = 200;
/** Closes made at once per round: their drains overlap on PostgreSQL (one at a time on PGlite). */
const CLOSES_PER_ROUND = 20;
/** Sessions created at once (each still waits from its own moment). */
const CREATE_BATCH = 10;
/** The queue's order: highest priority first (docs/desk.md, "Auto-assignment"). */
const RANK = { HIGH: 0, MEDIUM: 1, LOW: 2 } as const;
type Priority = keyof typeof RANK;

let t: TestServer;
afterAll(() => t?.dispose());

/**
 * The acceptance rule of the priority queue: sessions that queued while nobody could take them
 * are assigned in priority order, then oldest first, however capacity comes back (agents coming
 * online, sessions closing several at once); no agent ever holds more than their capacity, and
 * none idles below it while sessions wait.
 */
describe('auto-assignment fairness', () => {
  it(`${SESSIONS} queued sessions of mixed priority go to ${AGENTS} agents of capacity ${CAPACITY} in priority-then-age order, never above capacity, never idling`, async () => {
    const seed = testSeed();
    process.stdout.write(`assignment fairness seed: ${seed} (TEST_SEED to replay)\n`);
    const random = seededRandom(seed);
    t = await startTestServer();
    const sql = <T extends Record<string, unknown>[]>(query: string, params: unknown[] = []) => t.server.orm.em.fork().getConnection().execute<T>(query, params);
    const tenantId = t.server.defaultTenantId;
    const admin = await loginAdmin(t);
    const customers: Actor[] = [];
    for (let i = 0; i < 4; i++) customers.push(await userWithRole(t, admin, UserRole.USER));
    const agents: Actor[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const agent = await userWithRole(t, admin, UserRole.STAFF);
      await ok(t.graphqlUrl, SetAgentCapacityDocument, { agentId: agent.userId, capacity: CAPACITY }, admin.token);
      agents.push(agent);
    }
    await ok(t.graphqlUrl, SetAutoAssignmentDocument, { enabled: true }, admin.token);
    const watcher = wsClient(t.url, admin.token);
    const sockets: WebSocket[] = [];
    try {
      const inbox = subscribe(watcher, InboxAssignmentsDocument, { since: '0' });

      // Every session queues (no agent is connected and ONLINE), a batch at a time: each waits from
      // the moment it was created (its queued_at; sessions created in the same millisecond wait
      // equally long, and the older id goes first).
      const priorities: Priority[] = ['HIGH', 'MEDIUM', 'LOW'];
      const created: { id: string; priority: Priority }[] = [];
      for (let batch = 0; batch < SESSIONS / CREATE_BATCH; batch++) {
        const sessions = await Promise.all(
          Array.from({ length: CREATE_BATCH }, (_, i) => {
            const priority = priorities[Math.floor(random() * priorities.length)]!;
            const subject = `queued ${batch * CREATE_BATCH + i}`;
            return ok(t.graphqlUrl, CreatePrioritySessionDocument, { subject, priority }, customers[i % customers.length]!.token);
          }),
        );
        for (const { createSession: session } of sessions) {
          expect(session).toMatchObject({ agent: null, queuePosition: expect.any(Number) });
          created.push({ id: session.id, priority: session.priority });
        }
      }
      const waitedSince = new Map(
        (await sql<{ id: string; queued_at: Date | string }[]>(`select id::text as id, queued_at from chat_sessions where tenant_id = ? and queued_at is not null`, [tenantId])).map((row) => [
          row.id,
          new Date(row.queued_at).getTime(),
        ]),
      );
      expect(waitedSince.size).toBe(SESSIONS);
      // Priority first, then the oldest wait.
      const expected = created
        .map((session) => ({ ...session, since: waitedSince.get(session.id)! }))
        .sort((a, b) => RANK[a.priority] - RANK[b.priority] || a.since - b.since || Number(BigInt(a.id) - BigInt(b.id)))
        .map((session) => session.id);
      // The queue says so too: a session's place is its index in that order (every tenth one asked).
      const sample = expected.filter((_, index) => index % 10 === 0);
      const places = await Promise.all(sample.map(async (id) => (await ok(t.graphqlUrl, SessionQueueDocument, { id }, admin.token)).session.queuePosition));
      expect(places).toEqual(sample.map((id) => expected.indexOf(id) + 1));
      expect(new Set(created.map((session) => session.priority))).toEqual(new Set(priorities));

      const loads = async () =>
        new Map(
          (
            await sql<{ agent_id: string; active: number }[]>(
              `select agent_id::text as agent_id, count(*)::int as active from chat_sessions where tenant_id = ? and status = 'ACTIVE' and kind = 'SUPPORT' and agent_id is not null group by agent_id`,
              [tenantId],
            )
          ).map((row) => [row.agent_id, row.active]),
        );
      const queued = async () => (await sql<{ n: number }[]>(`select count(*)::int as n from chat_sessions where tenant_id = ? and queued_at is not null`, [tenantId]))[0]!.n;
      /** Settled (every call that frees or adds capacity drains before it answers): nobody above capacity, nobody below it while sessions wait. */
      const checkSettled = async (online: readonly Actor[]) => {
        expect(await agentsOverCapacity(t, CAPACITY)).toEqual([]);
        const waiting = await queued();
        if (waiting === 0) return;
        const now = await loads();
        expect(online.map((agent) => [agent.userId, now.get(agent.userId) ?? 0])).toEqual(online.map((agent) => [agent.userId, CAPACITY]));
      };

      // Agents come on duty one by one: each takes the head of the queue, up to capacity.
      const online: Actor[] = [];
      for (const agent of agents) {
        sockets.push(await connectAgent(t.url, agent.token));
        await ok(t.graphqlUrl, SetAvailabilityDocument, { availability: 'ONLINE' }, agent.token);
        online.push(agent);
        await checkSettled(online);
      }
      // Then capacity frees a few sessions at a time, picked at random among the assigned ones.
      while ((await queued()) > 0) {
        const assigned = await sql<{ id: string }[]>(`select id::text as id from chat_sessions where tenant_id = ? and status = 'ACTIVE' and agent_id is not null order by id`, [tenantId]);
        const picks = new Set<string>();
        while (picks.size < Math.min(CLOSES_PER_ROUND, assigned.length)) picks.add(assigned[Math.floor(random() * assigned.length)]!.id);
        await Promise.all([...picks].map((sessionId) => ok(t.graphqlUrl, CloseQueuedSessionDocument, { sessionId }, admin.token)));
        await checkSettled(online);
      }

      // The order of assignment, as the outbox recorded it (each drain commits before the next starts).
      const log = await sql<{ session_id: string; agent_id: string | null; action: string }[]>(
        `select session_id::text as session_id, payload->'session'->>'agentId' as agent_id, payload->>'action' as action from session_events
          where tenant_id = ? and type = 'session.updated' and payload->>'action' in ('ASSIGNED', 'CLOSED') order by id`,
        [tenantId],
      );
      const assignments = log.filter((row) => row.action === 'ASSIGNED');
      expect(assignments.map((row) => row.session_id)).toEqual(expected);
      // Replayed in that order, assignments and closes never put an agent above capacity: an
      // assignment always comes after the close that freed its place.
      const load = new Map<string, number>();
      let peak = 0;
      for (const row of log) {
        if (row.agent_id === null) continue;
        load.set(row.agent_id, (load.get(row.agent_id) ?? 0) + (row.action === 'ASSIGNED' ? 1 : -1));
        peak = Math.max(peak, load.get(row.agent_id)!);
      }
      expect(peak).toBe(CAPACITY);
      // Every agent took part.
      expect(new Set(assignments.map((row) => row.agent_id))).toEqual(new Set(agents.map((agent) => agent.userId)));

      // The same order, live, on an admin's inbox stream.
      const seen = await inbox.until(
        (items) => items.filter((item) => item.inbox.changes?.includes('agent') && item.inbox.agentId !== null).length >= SESSIONS,
        'every assignment on the inbox stream',
        20_000,
      );
      expect(seen.filter((item) => item.inbox.changes?.includes('agent') && item.inbox.agentId !== null).map((item) => item.inbox.sessionId)).toEqual(expected);
      inbox.stop();
    } finally {
      for (const socket of sockets) socket.terminate();
      await watcher.dispose();
    }
  }, 120_000);
});
