import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import pg from 'pg';
import { UserRole } from '../src/shared/enums.js';
import { CreateSlaPolicyDocument, CreateWebhookDocument, SendMessageDocument, SlaSessionEventsDocument, type SlaSessionEventsSubscription } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { clusterAvailable, skipReason } from './helpers/cluster.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/deadline.js';
import { type Actor, assignedSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { type ServerProcess, startServerProcess } from './helpers/process.js';
import { ADMIN_PASSWORD, JWT_SECRET, redisPrefixFor, SECRETS_KEY, type TestServer } from './helpers/server.js';
import { type Collected, subscribe, wsClient } from './helpers/subscriptions.js';
import { FAST_RETRIES, startWebhookReceiver, verifyAll, type WebhookReceiver } from './helpers/webhook-receiver.js';

const available = clusterAvailable();
skipReason(available, 'the SLA timer takeover needs two server processes sharing PostgreSQL and Redis (DATABASE_URL and REDIS_URL)');

/** The first-response target: short, so the real clock timer comes due while the test watches. */
const TARGET_SECONDS = 8;
/** A target the test reaches by ageing the session rather than by waiting. */
const AGED_TARGET_SECONDS = 3600;
/** A node's hold on a timer it fires; the survivor takes the timer over once it runs out. */
const LEASE_MS = 6000;

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
    SECRETS_KEY,
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

interface Desk {
  /** The shared database. */
  url: string;
  sql: pg.Client;
  nodes: [Node, Node];
  receiver: WebhookReceiver;
  admin: Actor;
  staff: Actor;
  customer: Actor;
  webhookSecret: string;
  policyId: string;
  /** graphql-ws clients to dispose at the end. */
  clients: Client[];
}

/** Two nodes on a fresh database, a webhook endpoint taking `sla.breached` (and messages, as markers), and a first-response policy. */
async function withDesk(targetSeconds: number, run: (desk: Desk) => Promise<void>): Promise<void> {
  const database = await createTestDatabase();
  const sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  const nodes: Node[] = [];
  const receiver = await startWebhookReceiver();
  const clients: Client[] = [];
  try {
    nodes.push(await startNode(database, 'parley-sla-a'));
    nodes.push(await startNode(database, 'parley-sla-b'));
    const a = nodes[0]!.server;
    const admin = await loginAdmin(a);
    const staff = await userWithRole(a, admin, UserRole.STAFF);
    const customer = await userWithRole(a, admin, UserRole.USER);
    const { createWebhook } = await ok(a.graphqlUrl, CreateWebhookDocument, { url: receiver.url, events: ['sla.breached', 'message.created'], includePrivate: true }, admin.token);
    const policy = (await ok(a.graphqlUrl, CreateSlaPolicyDocument, { name: 'Fast', firstResponseSeconds: targetSeconds, businessHoursOnly: false }, admin.token)).createSlaPolicy;
    await run({ url: database.url, sql, nodes: nodes as [Node, Node], receiver, admin, staff, customer, webhookSecret: createWebhook.secret, policyId: policy.id, clients });
  } finally {
    for (const client of clients) await client.dispose();
    for (const node of nodes) {
      node.process.child.kill('SIGTERM');
      await node.process.ended;
      rmSync(node.dataDir, { recursive: true, force: true });
    }
    await receiver.close();
    await sql.end();
    await database.drop();
  }
}

/** A support session with its clock running, and its staff member watching it live on each node. */
async function watchedSession(desk: Desk): Promise<{ sessionId: string; streams: Collected<SlaSessionEventsSubscription>[] }> {
  const sessionId = await assignedSession(desk.nodes[0].server, desk.admin, desk.customer, desk.staff);
  const streams = desk.nodes.map((node) => {
    const client = wsClient(node.server.url, desk.staff.token);
    desk.clients.push(client);
    return subscribe(client, SlaSessionEventsDocument, { sessionId, since: '0' });
  });
  // The SLA reaction has taken the session in (its first-response timer is set) before a test
  // holds a write transaction: a reaction reads the outbox only below the oldest transaction
  // running on the server, so an early hold would stall the very evaluation it waits for.
  await poll(
    async () => ((await desk.sql.query(`select 1 from timers where reaction = 'sla' and key = $1`, [`${sessionId}:FIRST_RESPONSE`])).rowCount ? true : undefined),
    30_000,
    "the session's first-response timer",
  );
  return { sessionId, streams };
}

/**
 * The node (of `node`, or of both) whose connection waits on a lock while running `statement`,
 * once there is one; on time-out, the failure lists what the database was running.
 */
async function stuckIn(desk: Desk, statement: string, timeoutMs: number, node?: Node): Promise<Node> {
  const row = await poll(
    async () =>
      (
        await desk.sql.query<{ application_name: string }>(
          `select application_name from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock' and query like $1 and application_name = any($2)`,
          [`%${statement}%`, (node ? [node] : desk.nodes).map((candidate) => candidate.name)],
        )
      ).rows[0],
    timeoutMs,
    `a node stuck in "${statement}"`,
  ).catch(async (error: Error) => {
    const waiting = await desk.sql.query(`select application_name, state, wait_event_type, left(query, 80) as query from pg_stat_activity where datname = current_database() and state <> 'idle'`);
    throw new Error(`${error.message}; active: ${JSON.stringify(waiting.rows)}`);
  });
  return desk.nodes.find((candidate) => candidate.name === row.application_name)!;
}

const leaseOf = async (desk: Desk, sessionId: string) =>
  (await desk.sql.query<{ lease_owner: string | null; lease_until: Date | null }>(`select lease_owner, lease_until from timers where reaction = 'sla' and key = $1`, [`${sessionId}:FIRST_RESPONSE`]))
    .rows[0];

const breachesOf = async (desk: Desk, sessionId: string) =>
  (await desk.sql.query<{ id: string; created_at: Date }>(`select id::text as id, created_at from session_events where session_id = $1 and type = 'sla.breached' order by id`, [sessionId])).rows;

/** Moves the session's start `seconds` back, as if that much time had passed (its timer stays where it was). */
async function age(desk: Desk, sessionId: string, seconds: number): Promise<void> {
  await desk.sql.query(`update chat_sessions set started_at = started_at - make_interval(secs => $2) where id = $1`, [sessionId, seconds]);
}

/** Makes the session's first-response timer due now: a node fires it. */
async function makeDue(desk: Desk, sessionId: string): Promise<void> {
  const moved = await desk.sql.query(`update timers set due_at = now() where reaction = 'sla' and key = $1`, [`${sessionId}:FIRST_RESPONSE`]);
  expect(moved.rowCount).toBe(1);
}

/** Kills a node at once (SIGKILL): nothing on it gets to close, not even its database connections' transactions. */
async function kill(node: Node): Promise<void> {
  node.process.child.kill('SIGKILL');
  expect((await node.process.ended).signal).toBe('SIGKILL');
}

/**
 * After the takeover: the session's SLA timers are done, and there is exactly one breach: one
 * outbox event (one sla_alerts row), one webhook request, one live event on the surviving node.
 */
async function expectOneBreach(desk: Desk, sessionId: string, survivor: Node, live: Collected<SlaSessionEventsSubscription>): Promise<void> {
  await eventually(
    async () => (await desk.sql.query(`select 1 from timers where reaction = 'sla' and key like $1`, [`${sessionId}:%`])).rowCount,
    (count) => count === 0,
    LEASE_MS + 15_000,
    'the session’s SLA timers, done',
  );
  const [breach] = await breachesOf(desk, sessionId);
  // A marker after the breach: once it arrived (live, and as a webhook, which keeps each
  // session's order per endpoint), a repeated breach would have arrived before it.
  await ok(survivor.server.graphqlUrl, SendMessageDocument, { sessionId, content: 'sorry for the wait' }, desk.staff.token);
  const events = await live.until((items) => items.some(({ sessionEvents: event }) => event.__typename === 'MessageEvent'), 'the reply after the breach', 15_000);
  const types = events.map(({ sessionEvents: event }) => ('type' in event ? event.type : event.__typename));
  expect(types.filter((type) => type === 'SLA_BREACHED')).toEqual(['SLA_BREACHED']);
  expect(types.filter((type) => type === 'SLA_WARNING')).toEqual(['SLA_WARNING']);

  const ofSession = () => desk.receiver.received.filter((hook) => hook.json.sessionId === sessionId);
  await desk.receiver.waitFor(() => ofSession().some((hook) => hook.json.type === 'message.created' && hook.status < 300), 'the reply’s webhook', 20_000);
  // Raw requests, not deduplicated by webhook-id: one request, for the one event.
  const breachHooks = ofSession().filter((hook) => hook.json.type === 'sla.breached');
  expect(breachHooks.map((hook) => [hook.json.eventId, (hook.json.data as { metric?: string }).metric])).toEqual([[breach!.id, 'FIRST_RESPONSE']]);
  verifyAll(breachHooks, desk.webhookSecret);

  expect(await breachesOf(desk, sessionId)).toEqual([breach]);
  const alerts = await desk.sql.query(`select kind from sla_alerts where session_id = $1 and metric = 'FIRST_RESPONSE' order by kind`, [sessionId]);
  expect(alerts.rows).toEqual([{ kind: 'BREACH' }, { kind: 'WARNING' }]);
}

/** An open transaction on a connection of the test's own: what it holds, nodes wait for. */
async function holding(desk: Desk, statements: [string, unknown[]][]): Promise<{ release: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: desk.url });
  await client.connect();
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await client.query('rollback');
    await client.end();
  };
  try {
    await client.query('begin');
    for (const [text, values] of statements) await client.query(text, values);
  } catch (error) {
    await release();
    throw error;
  }
  return { release };
}

describe('SLA alerts across two server processes', () => {
  (available ? it : it.skip)(
    'the node firing the breach timer is killed (SIGKILL) before its breach commits: the other node fires the timer once the lease runs out; one event, one webhook, seen once live',
    () =>
      withDesk(TARGET_SECONDS, async (desk) => {
        const { sessionId, streams } = await watchedSession(desk);
        // Whichever node fires the breach gets stuck inside its evaluation: the test holds the
        // breach's own sla_alerts key in an open transaction, so the node's insert waits on it,
        // holding the timer's lease, its alert uncommitted. (Taken before the clock reaches the
        // target: a breach recorded first would make this insert fail.)
        const alertKey = await holding(desk, [
          [
            `insert into sla_alerts (session_id, metric, kind, cycle, tenant_id, at, policy_id)
             select id, 'FIRST_RESPONSE', 'BREACH', '0', tenant_id, now(), $2 from chat_sessions where id = $1`,
            [sessionId, desk.policyId],
          ],
        ]);
        try {
          const holder = await stuckIn(desk, 'insert into sla_alerts', TARGET_SECONDS * 1000 + 15_000);
          // It is the clock's own timer the node holds.
          const lease = await leaseOf(desk, sessionId);
          expect(lease?.lease_owner).toEqual(expect.stringMatching(/^node-/));
          await kill(holder);
          await alertKey.release();

          const survivor = desk.nodes.find((node) => node !== holder)!;
          const [breach] = await eventually(
            () => breachesOf(desk, sessionId),
            (rows) => rows.length > 0,
            LEASE_MS + 15_000,
            'the breach, recorded by the surviving node',
          );
          // Not before the dead node's lease ran out.
          expect(breach!.created_at.getTime()).toBeGreaterThanOrEqual(lease!.lease_until!.getTime());
          await expectOneBreach(desk, sessionId, survivor, streams[desk.nodes.indexOf(survivor)]!);
        } finally {
          await alertKey.release();
        }
      }),
    120_000,
  );

  (available ? it : it.skip)(
    'the node that recorded the breach is killed (SIGKILL) after its webhook went out, leaving its timer due as if it died before finishing it: the other node fires the timer again and records nothing more',
    () =>
      withDesk(AGED_TARGET_SECONDS, async (desk) => {
        const { sessionId, streams } = await watchedSession(desk);
        // The clock is moved on by ageing the session's start and making its timer due (a node
        // then fires it): first to the warning (80%), then past the target. The breach's evaluation
        // is held up by the session's row lock (the outbox insert numbers events under it; NO KEY
        // UPDATE, so foreign keys to the session still pass), which names the node firing it. An
        // evaluation commits its alert, its event and its timer's change in one transaction, so a
        // node dies either before all of it (the other test) or after: then the worst it leaves is
        // a timer due again, which is put back here as a node that died mid-run would leave it.
        await age(desk, sessionId, 0.85 * AGED_TARGET_SECONDS);
        await makeDue(desk, sessionId);
        // The warning recorded and the timer set to the due time (no longer held): that evaluation is over.
        await poll(
          async () =>
            (
              await desk.sql.query(
                `select 1 from sla_alerts a join timers t on t.reaction = 'sla' and t.key = $2
                  where a.session_id = $1 and a.kind = 'WARNING' and t.lease_owner is null and t.due_at > now()`,
                [sessionId, `${sessionId}:FIRST_RESPONSE`],
              )
            ).rowCount
              ? true
              : undefined,
          15_000,
          'the warning',
        );
        await age(desk, sessionId, 0.2 * AGED_TARGET_SECONDS);
        const sessionRow = await holding(desk, [[`select id from chat_sessions where id = $1 for no key update`, [sessionId]]]);
        try {
          await makeDue(desk, sessionId);
          const holder = await stuckIn(desk, 'insert into session_events', 15_000);
          const lease = await leaseOf(desk, sessionId);
          expect(lease?.lease_owner).toEqual(expect.stringMatching(/^node-/));
          await sessionRow.release();
          const [breach] = await eventually(
            () => breachesOf(desk, sessionId),
            (rows) => rows.length > 0,
            15_000,
            'the breach, recorded by the node that fired the timer',
          );
          // Its webhook is out and recorded, so the kill cannot cut an attempt short (which would rightly be repeated).
          await poll(
            async () => ((await desk.sql.query(`select 1 from webhook_deliveries where event_id = $1 and status = 'delivered'`, [breach!.id])).rowCount ? true : undefined),
            10_000,
            'the breach’s webhook, delivered',
          );
          await kill(holder);
          await desk.sql.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`, [holder.name]);
          // As the dead node would have left its timer had it died before the timer was done: due, leased to it, the lease run out.
          await desk.sql.query(
            `insert into timers (reaction, key, tenant_id, due_at, payload, lease_owner, lease_until, attempts)
             select 'sla', $2, tenant_id, now(), jsonb_build_object('sessionId', id::text), $3, now() - interval '1 second', 1 from chat_sessions where id = $1
             on conflict (reaction, key) do update set due_at = now(), lease_owner = excluded.lease_owner, lease_until = excluded.lease_until`,
            [sessionId, `${sessionId}:FIRST_RESPONSE`, lease!.lease_owner],
          );
          await poll(
            async () => ((await desk.sql.query(`select 1 from timers where reaction = 'sla' and key = $1`, [`${sessionId}:FIRST_RESPONSE`])).rowCount ? undefined : true),
            LEASE_MS + 15_000,
            'the timer, fired again by the surviving node',
          );

          const survivor = desk.nodes.find((node) => node !== holder)!;
          await expectOneBreach(desk, sessionId, survivor, streams[desk.nodes.indexOf(survivor)]!);
        } finally {
          await sessionRow.release();
        }
      }),
    120_000,
  );
});
