import type WebSocket from 'ws';
import { UserRole } from '../src/shared/enums.js';
import { CloseQueuedSessionDocument, CreateQueuedSessionDocument, SetAgentCapacityDocument, SetAutoAssignmentDocument, SetAvailabilityDocument } from './generated/graphql.js';
import { agentsOverCapacity, assignmentLog, connectAgent, disconnect } from './helpers/agents.js';
import { ok } from './helpers/client.js';
import { type Cluster, clusterAvailable, skipReason, startCluster } from './helpers/cluster.js';
import { type Actor, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { seededRandom, testSeed } from './helpers/random.js';

const available = clusterAvailable();
skipReason(available, 'auto-assignment across nodes needs two nodes sharing PostgreSQL and Redis (DATABASE_URL and REDIS_URL)');

const SESSIONS = 500;
const AGENTS = 5;
const CAPACITY = 3;
const CREATE_CONCURRENCY = 25;

/** Runs `work` over `items` with at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}

describe('auto-assignment across two nodes sharing PostgreSQL and Redis', () => {
  (available ? it : it.skip)(
    `${SESSIONS} sessions arriving on both nodes while ${AGENTS} agents of capacity ${CAPACITY} come and go: never above capacity, never assigned twice, all assigned in the end`,
    async () => {
      const seed = testSeed();
      process.stdout.write(`auto-assignment cluster seed: ${seed} (TEST_SEED to replay)\n`);
      const random = seededRandom(seed);
      const cluster: Cluster = await startCluster();
      const nodes = cluster.nodes;
      const node = () => nodes[Math.floor(random() * nodes.length)]!;
      const sql = cluster.a.server.orm.em.fork().getConnection();
      const tenantId = cluster.a.server.defaultTenantId;
      const sockets = new Map<string, WebSocket[]>();
      try {
        const admin = await loginAdmin(cluster.a);
        const customers: Actor[] = [];
        for (let i = 0; i < 10; i++) customers.push(await userWithRole(cluster.a, admin, UserRole.USER));
        const agents: Actor[] = [];
        for (let i = 0; i < AGENTS; i++) {
          const agent = await userWithRole(cluster.a, admin, UserRole.STAFF);
          await ok(node().graphqlUrl, SetAgentCapacityDocument, { agentId: agent.userId, capacity: CAPACITY }, admin.token);
          agents.push(agent);
          sockets.set(agent.userId, []);
        }
        await ok(cluster.a.graphqlUrl, SetAutoAssignmentDocument, { enabled: true }, admin.token);

        const overCapacity = () => agentsOverCapacity(cluster.a, CAPACITY);
        const violations: unknown[] = [];
        let checks = 0;
        const check = async () => {
          checks += 1;
          violations.push(...(await overCapacity()));
        };

        /** One agent's move: connect on a random node, drop a connection, or change availability. */
        const move = async (agent: Actor) => {
          const open = sockets.get(agent.userId)!;
          const roll = random();
          if (roll < 0.3) open.push(await connectAgent(node().url, agent.token));
          else if (roll < 0.55 && open.length) await disconnect(open.splice(Math.floor(random() * open.length), 1)[0]!);
          else {
            const availability = roll < 0.8 ? 'ONLINE' : roll < 0.9 ? 'BUSY' : 'OFFLINE';
            await ok(node().graphqlUrl, SetAvailabilityDocument, { availability }, agent.token);
          }
        };

        // Sessions arrive on both nodes while the agents come and go and admins close assigned sessions.
        let arriving = true;
        const created: string[] = [];
        const churn = (async () => {
          while (arriving) {
            await move(agents[Math.floor(random() * agents.length)]!);
            await check();
          }
        })();
        const assignedActive = async () =>
          (await sql.execute<{ id: string }[]>(`select id::text as id from chat_sessions where tenant_id = ? and status = 'ACTIVE' and agent_id is not null`, [tenantId])).map((row) => row.id);
        const closeSome = async () => {
          const ids = await assignedActive();
          await pool(ids.slice(0, 5), 5, async (sessionId) => {
            await ok(node().graphqlUrl, CloseQueuedSessionDocument, { sessionId }, admin.token);
          });
          await check();
        };
        const closer = (async () => {
          while (arriving) await closeSome();
        })();
        await pool(
          Array.from({ length: SESSIONS }, (_, i) => i),
          CREATE_CONCURRENCY,
          async (i) => {
            const session = (await ok(node().graphqlUrl, CreateQueuedSessionDocument, { subject: `arrival ${i}` }, customers[i % customers.length]!.token)).createSession;
            // Never "no agent" silently: assigned, or queued with a place.
            if (session.agent === null) expect(session.queuePosition).toBeGreaterThanOrEqual(1);
            else expect(session.queuePosition).toBeNull();
            created.push(session.id);
          },
        );
        arriving = false;
        await Promise.all([churn, closer]);

        // Capacity exists again: every agent connected and ONLINE; keep closing until every session got its agent.
        for (const agent of agents) {
          if (sockets.get(agent.userId)!.length === 0) sockets.get(agent.userId)!.push(await connectAgent(node().url, agent.token));
          await ok(node().graphqlUrl, SetAvailabilityDocument, { availability: 'ONLINE' }, agent.token);
        }
        const unassigned = async () =>
          Number((await sql.execute<{ n: number }[]>(`select count(*)::int as n from chat_sessions where tenant_id = ? and kind = 'SUPPORT' and agent_id is null`, [tenantId]))[0]!.n);
        for (let round = 0; (await unassigned()) > 0; round++) {
          if (round > SESSIONS) throw new Error(`sessions still unassigned after ${round} rounds of closing`);
          await closeSome();
        }

        expect(created).toHaveLength(SESSIONS);
        expect(checks).toBeGreaterThan(0);
        expect(violations).toEqual([]);
        expect(await overCapacity()).toEqual([]);
        // The event log: exactly one assignment per session, naming the agent the session has.
        const assignments = await assignmentLog(cluster.a);
        expect(assignments).toHaveLength(SESSIONS);
        for (const row of assignments) {
          expect(row.agents).toEqual([row.current]);
        }
        expect(new Set(assignments.map((row) => row.session_id))).toEqual(new Set(created));
        const queued = await sql.execute<{ n: number }[]>(`select count(*)::int as n from chat_sessions where tenant_id = ? and queued_at is not null`, [tenantId]);
        expect(queued[0]!.n).toBe(0);
      } finally {
        for (const open of sockets.values()) for (const socket of open) socket.terminate();
        await cluster.dispose();
      }
    },
    600_000,
  );
});
