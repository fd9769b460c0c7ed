import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { UserRole } from '../src/shared/enums.js';
import { CreateSlaPolicyDocument, CreateWebhookDocument, SendMessageDocument, SlaSessionEventsDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { clusterAvailable, skipReason } from './helpers/cluster.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/deadline.js';
import { assignedSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startServerProcess, type ServerProcess } from './helpers/process.js';
import { ADMIN_PASSWORD, JWT_SECRET, redisPrefixFor, type TestServer } from './helpers/server.js';
import { subscribe, wsClient } from './helpers/subscriptions.js';
import { FAST_RETRIES, startWebhookReceiver, verifyAll } from './helpers/webhook-receiver.js';

const available = clusterAvailable();
skipReason(available, 'the SLA timer takeover needs two server processes sharing PostgreSQL and Redis (DATABASE_URL and REDIS_URL)');

/** The first-response target: short, so the real clock timer comes due while the test watches. */
const TARGET_SECONDS = 3;
/** A node's hold on a timer it fires; the survivor takes the timer over once it runs out. */
const LEASE_MS = 4000;

interface Node {
  name: string;
  process: ServerProcess;
  server: TestServer;
  dataDir: string;
}

/**
 * A server process (`npm start`'s code) on the shared database and Redis. PGAPPNAME names its
 * PostgreSQL connections (`pg` reads it), so pg_stat_activity tells which node runs a query.
 */
async function startNode(database: TestDatabase, name: string): Promise<Node> {
  const dataDir = mkdtempSync(join(tmpdir(), `parley-sla-${name}-`));
  const started = await startServerProcess({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    REDIS_URL: process.env.REDIS_URL ?? '',
    REDIS_PREFIX: redisPrefixFor(database),
    PGAPPNAME: name,
    JWT_SECRET,
    ADMIN_PASSWORD,
    LOG_LEVEL: 'error',
    RATE_LIMIT_MAX: '1000000',
    REACTIONS_POLL_INTERVAL_MS: '50',
    REACTION_LEASE_MS: String(LEASE_MS),
    ...FAST_RETRIES,
  });
  return { name, process: started, server: { url: started.url, graphqlUrl: `${started.url}/graphql` } as TestServer, dataDir };
}

/** Calls `probe` every 20 ms (a node's lease leaves no time for slower polling) until it returns something. */
async function poll<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SLA alerts across two server processes', () => {
  (available ? it : it.skip)(
    'the node firing the breach timer is killed (SIGKILL) mid-evaluation: the other node fires it once the lease runs out; one sla.breached event, one webhook, seen once live',
    async () => {
      const database = await createTestDatabase();
      const sql = new pg.Client({ connectionString: database.url });
      const blocker = new pg.Client({ connectionString: database.url });
      await sql.connect();
      await blocker.connect();
      const nodes: Node[] = [];
      const receiver = await startWebhookReceiver();
      const clients: ReturnType<typeof wsClient>[] = [];
      try {
        nodes.push(await startNode(database, 'parley-sla-a'));
        nodes.push(await startNode(database, 'parley-sla-b'));
        const [a] = nodes as [Node, Node];
        const admin = await loginAdmin(a.server);
        const staff = await userWithRole(a.server, admin, UserRole.STAFF);
        const customer = await userWithRole(a.server, admin, UserRole.USER);
        const { createWebhook } = await ok(a.server.graphqlUrl, CreateWebhookDocument, { url: receiver.url, events: ['sla.breached', 'message.created'], includePrivate: true }, admin.token);
        const policy = (await ok(a.server.graphqlUrl, CreateSlaPolicyDocument, { name: 'Fast', firstResponseSeconds: TARGET_SECONDS, businessHoursOnly: false }, admin.token)).createSlaPolicy;
        const sessionId = await assignedSession(a.server, admin, customer, staff);

        // Whichever node fires the breach gets stuck inside its evaluation: the test holds the
        // breach's own sla_alerts key in an open transaction, so the node's insert waits on it,
        // holding the timer's lease, its alert uncommitted. (Taken before the clock reaches the
        // target: a breach recorded first would make this insert fail.)
        await blocker.query('begin');
        await blocker.query(
          `insert into sla_alerts (session_id, metric, kind, cycle, tenant_id, at, policy_id)
           select id, 'FIRST_RESPONSE', 'BREACH', '0', tenant_id, now(), $2 from chat_sessions where id = $1`,
          [sessionId, policy.id],
        );
        // Staff watch the session live on both nodes.
        const streams = nodes.map((node) => {
          const client = wsClient(node.server.url, staff.token);
          clients.push(client);
          return subscribe(client, SlaSessionEventsDocument, { sessionId, since: '0' });
        });

        const stuck = await poll(
          async () =>
            (
              await sql.query<{ pid: number; application_name: string }>(
                `select pid, application_name from pg_stat_activity
                  where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock' and query like '%insert into sla_alerts%'`,
              )
            ).rows[0],
          TARGET_SECONDS * 1000 + 15_000,
          'a node evaluating the breach',
        );
        const lease = (
          await sql.query<{ lease_owner: string | null; lease_until: Date }>(`select lease_owner, lease_until from timers where reaction = 'sla' and key = $1`, [`${sessionId}:FIRST_RESPONSE`])
        ).rows[0];
        // It is the clock's own timer that the node holds.
        expect(lease?.lease_owner).toEqual(expect.stringMatching(/^node-/));
        const holder = nodes.find((node) => node.name === stuck.application_name)!;
        const survivor = nodes.find((node) => node !== holder)!;
        holder.process.child.kill('SIGKILL');
        expect((await holder.process.ended).signal).toBe('SIGKILL');
        await blocker.query('rollback');

        // The survivor fires the timer once the dead node's lease has run out, and records the breach.
        const breaches = async () =>
          (
            await sql.query<{ id: string; created_at: Date; metric: string }>(
              `select id::text as id, created_at, payload->>'metric' as metric from session_events where session_id = $1 and type = 'sla.breached' order by id`,
              [sessionId],
            )
          ).rows;
        const [breach] = await eventually(breaches, (rows) => rows.length > 0, LEASE_MS + 15_000, 'the breach, recorded by the surviving node');
        expect(breach!.created_at.getTime()).toBeGreaterThanOrEqual(lease!.lease_until.getTime());
        await eventually(
          async () => (await sql.query(`select 1 from timers where reaction = 'sla' and key like $1`, [`${sessionId}:%`])).rowCount,
          (count) => count === 0,
          15_000,
          'the session’s SLA timers, done',
        );

        // A marker after the breach: once it arrived (live, and as a webhook, which keeps each
        // session's order per endpoint), a repeated breach would have arrived before it.
        await ok(survivor.server.graphqlUrl, SendMessageDocument, { sessionId, content: 'sorry for the wait' }, staff.token);
        const live = streams[nodes.indexOf(survivor)]!;
        const events = await live.until((items) => items.some(({ sessionEvents: event }) => event.__typename === 'MessageEvent'), 'the reply after the breach', 15_000);
        const types = events.map(({ sessionEvents: event }) => ('type' in event ? event.type : event.__typename));
        expect(types.filter((type) => type === 'SLA_BREACHED')).toHaveLength(1);
        expect(types.filter((type) => type === 'SLA_WARNING')).toHaveLength(1);

        const ofSession = () => receiver.received.filter((hook) => hook.json.sessionId === sessionId);
        await receiver.waitFor(() => ofSession().some((hook) => hook.json.type === 'message.created' && hook.status < 300), 'the reply’s webhook', 20_000);
        // Raw requests, not deduplicated by webhook-id: one request, for one event.
        const breachHooks = ofSession().filter((hook) => hook.json.type === 'sla.breached');
        expect(breachHooks).toHaveLength(1);
        expect(breachHooks[0]!.json.eventId).toBe(breach!.id);
        expect((breachHooks[0]!.json.data as { metric?: string }).metric).toBe('FIRST_RESPONSE');
        verifyAll(breachHooks, createWebhook.secret);

        expect(await breaches()).toEqual([breach]);
        const alerts = await sql.query(`select kind from sla_alerts where session_id = $1 and metric = 'FIRST_RESPONSE' order by kind`, [sessionId]);
        expect(alerts.rows).toEqual([{ kind: 'BREACH' }, { kind: 'WARNING' }]);
      } finally {
        await blocker.query('rollback').catch(() => undefined);
        for (const client of clients) await client.dispose();
        for (const node of nodes) {
          node.process.child.kill('SIGTERM');
          await node.process.ended;
          rmSync(node.dataDir, { recursive: true, force: true });
        }
        await receiver.close();
        await blocker.end();
        await sql.end();
        await database.drop();
      }
    },
    120_000,
  );
});
