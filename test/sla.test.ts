import { UserRole } from '../src/shared/enums.js';
import { evaluateSession } from '../src/sla/sla.reaction.js';
import {
  ApplySlaPolicyDocument,
  CreateSlaPolicyDocument,
  CreateWebhookDocument,
  DeleteSlaPolicyDocument,
  SendMessageDocument,
  SessionSlaDocument,
  SlaPoliciesDocument,
  SlaSessionEventsDocument,
  UpdateSlaPolicyDocument,
} from './generated/graphql.js';
import { settled } from './helpers/background.js';
import { gql, ok } from './helpers/client.js';
import { eventually } from './helpers/deadline.js';
import { type Actor, assignedSession, foreignTenantAdmin, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { ageSession, backdateSession, sqlOn, wakeSla } from './helpers/sla.js';
import { subscribe, wsClient } from './helpers/subscriptions.js';
import { startWebhookReceiver } from './helpers/webhook-receiver.js';

let t: TestServer;
let admin: Actor;
let staff: Actor;
let customer: Actor;

beforeAll(async () => {
  t = await startTestServer({ env: { REACTIONS_POLL_INTERVAL_MS: '50' } });
  admin = await loginAdmin(t);
  staff = await userWithRole(t, admin, UserRole.STAFF);
  customer = await userWithRole(t, admin, UserRole.USER);
});
afterAll(() => t.dispose());

const sql = <T extends Record<string, unknown>[]>(query: string, params: unknown[] = []) => sqlOn<T>(t, query, params);
const say = (sessionId: string, who: Actor, content: string) => ok(t.graphqlUrl, SendMessageDocument, { sessionId, content }, who.token);
const slaOf = async (sessionId: string, who: Actor = admin) => (await ok(t.graphqlUrl, SessionSlaDocument, { id: sessionId }, who.token)).session;
const backdate = (sessionId: string, seconds: number) => backdateSession(t, sessionId, seconds);
const age = (sessionId: string, seconds: number) => ageSession(t, sessionId, seconds);
const wake = (sessionId: string) => wakeSla(t, sessionId);
const alertsOf = (sessionId: string) =>
  sql<{ type: string; metric: string }[]>(`select type, payload->>'metric' as metric from session_events where session_id = ? and type like 'sla.%' order by id`, [sessionId]);
const timersOf = (sessionId: string) => sql<{ key: string; due_at: Date }[]>(`select key, due_at from timers where reaction = 'sla' and key like ? order by key`, [`${sessionId}:%`]);
const clearPolicies = () => sql(`delete from sla_policies where tenant_id = ?`, [t.server.defaultTenantId]);

describe('SLA policies', () => {
  afterEach(clearPolicies);

  it('are created, changed and deleted by admins, read by staff, one per priority and one default', async () => {
    const created = (await ok(t.graphqlUrl, CreateSlaPolicyDocument, { name: 'Urgent', priority: 'HIGH', firstResponseSeconds: 300, resolutionSeconds: 86_400, businessHoursOnly: true }, admin.token))
      .createSlaPolicy;
    expect(created).toMatchObject({ name: 'Urgent', priority: 'HIGH', firstResponseSeconds: 300, nextResponseSeconds: null, resolutionSeconds: 86_400, businessHoursOnly: true });
    const second = await gql(t.graphqlUrl, CreateSlaPolicyDocument, { name: 'Again', priority: 'HIGH', businessHoursOnly: false }, admin.token);
    expect(second.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'SLA_POLICY_EXISTS' });
    await ok(t.graphqlUrl, CreateSlaPolicyDocument, { name: 'Default', firstResponseSeconds: 3600, businessHoursOnly: false }, admin.token);
    expect((await gql(t.graphqlUrl, CreateSlaPolicyDocument, { name: 'Default 2', businessHoursOnly: false }, admin.token)).errors?.[0]?.extensions?.reason).toBe('SLA_POLICY_EXISTS');
    for (const firstResponseSeconds of [0, 365 * 24 * 3600 + 1, -1]) {
      expect((await gql(t.graphqlUrl, CreateSlaPolicyDocument, { name: 'Bad', priority: 'LOW', firstResponseSeconds, businessHoursOnly: false }, admin.token)).errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        fields: { firstResponseSeconds: expect.any(String) },
      });
    }
    expect((await gql(t.graphqlUrl, CreateSlaPolicyDocument, { name: 'Staff', priority: 'LOW', businessHoursOnly: false }, staff.token)).errors?.[0]?.extensions?.reason).toBe('ADMIN_ONLY');
    expect((await gql(t.graphqlUrl, SlaPoliciesDocument, {}, customer.token)).errors?.[0]?.extensions?.reason).toBe('STAFF_ONLY');
    expect((await ok(t.graphqlUrl, SlaPoliciesDocument, {}, staff.token)).slaPolicies.map((p) => p.name)).toEqual(['Urgent', 'Default']);

    const updated = (await ok(t.graphqlUrl, UpdateSlaPolicyDocument, { id: created.id, nextResponseSeconds: 600, firstResponseSeconds: null }, admin.token)).updateSlaPolicy;
    expect(updated).toMatchObject({ name: 'Urgent', priority: 'HIGH', firstResponseSeconds: null, nextResponseSeconds: 600, resolutionSeconds: 86_400 });
    expect((await gql(t.graphqlUrl, UpdateSlaPolicyDocument, { id: created.id, name: 'x' }, staff.token)).errors?.[0]?.extensions?.reason).toBe('ADMIN_ONLY');

    const foreign = await foreignTenantAdmin(t);
    expect((await gql(t.graphqlUrl, UpdateSlaPolicyDocument, { id: created.id, name: 'mine' }, foreign.token)).errors?.[0]?.extensions).toMatchObject({
      code: 'NOT_FOUND',
      reason: 'SLA_POLICY_NOT_FOUND',
    });
    expect((await gql(t.graphqlUrl, DeleteSlaPolicyDocument, { id: created.id }, foreign.token)).errors?.[0]?.extensions?.reason).toBe('SLA_POLICY_NOT_FOUND');
    const sessionId = await assignedSession(t, admin, customer, staff);
    expect((await gql(t.graphqlUrl, ApplySlaPolicyDocument, { sessionId, policyId: created.id }, customer.token)).errors?.[0]?.extensions?.reason).toBe('STAFF_ONLY');
    expect((await ok(t.graphqlUrl, DeleteSlaPolicyDocument, { id: created.id }, admin.token)).deleteSlaPolicy).toBe(true);
    expect((await gql(t.graphqlUrl, ApplySlaPolicyDocument, { sessionId, policyId: created.id }, staff.token)).errors?.[0]?.extensions?.reason).toBe('SLA_POLICY_NOT_FOUND');
  });

  it('give a session due times from its start; a reply 1 ms before the due time is no breach; warning and breach come once each; customers see none of it', async () => {
    const policy = (await ok(t.graphqlUrl, CreateSlaPolicyDocument, { name: 'Default', firstResponseSeconds: 100, resolutionSeconds: 7200, businessHoursOnly: false }, admin.token)).createSlaPolicy;
    const sessionId = await assignedSession(t, admin, customer, staff);
    const before = await slaOf(sessionId);
    const started = Date.parse(before.startedAt);
    expect(before.sla).toMatchObject({
      policy: { id: policy.id },
      firstResponseDueAt: new Date(started + 100_000).toISOString(),
      resolutionDueAt: new Date(started + 7_200_000).toISOString(),
      breaches: [],
    });
    expect((await slaOf(sessionId, customer)).sla).toBeNull();

    await say(sessionId, customer, 'hello?');
    await age(sessionId, 85);
    await eventually(
      () => alertsOf(sessionId),
      (alerts) => alerts.some((alert) => alert.type === 'sla.warning'),
      20_000,
      'the warning',
    );
    await age(sessionId, 20);
    await eventually(
      () => alertsOf(sessionId),
      (alerts) => alerts.some((alert) => alert.type === 'sla.breached'),
      20_000,
      'the breach',
    );
    const breached = await slaOf(sessionId);
    expect(breached.sla?.breaches).toEqual([{ metric: 'FIRST_RESPONSE', at: breached.sla?.firstResponseDueAt }]);
    // Woken again (as after a takeover): still one warning and one breach.
    await wake(sessionId);
    await eventually(
      () => timersOf(sessionId),
      (timers) => !timers.some((timer) => timer.key.endsWith(':evaluate')),
      20_000,
      'the second evaluation',
    );
    expect(await alertsOf(sessionId)).toEqual([
      { type: 'sla.warning', metric: 'FIRST_RESPONSE' },
      { type: 'sla.breached', metric: 'FIRST_RESPONSE' },
    ]);
    expect((await slaOf(sessionId, customer)).sla).toBeNull();

    // A reply that lands 1 ms before the due time, judged after the due time passed: no breach.
    const onTime = await assignedSession(t, admin, customer, staff);
    await say(onTime, customer, 'hi');
    const { sendMessage: reply } = await say(onTime, staff, 'hello!');
    await sql(`update chat_messages set created_at = (select started_at from chat_sessions where id = ?) + interval '99.999 seconds' where id = ?`, [onTime, reply.message.id]);
    await age(onTime, 200);
    await eventually(
      () => timersOf(onTime),
      (timers) => !timers.some((timer) => timer.key.endsWith(':evaluate')),
      20_000,
      'the evaluation',
    );
    expect((await alertsOf(onTime)).filter((alert) => alert.metric === 'FIRST_RESPONSE')).toEqual([{ type: 'sla.warning', metric: 'FIRST_RESPONSE' }]);
    expect((await slaOf(onTime)).sla?.breaches).toEqual([]);
  });

  // The single-node side of test/sla-cluster.test.ts (which kills the node holding the timer).
  it('are recorded once when a dead node held the clock timer, when it fires again after a takeover, and when evaluations race', async () => {
    await ok(t.graphqlUrl, CreateSlaPolicyDocument, { name: 'Default', firstResponseSeconds: 100, businessHoursOnly: false }, admin.token);
    const sessionId = await assignedSession(t, admin, customer, staff);
    const clockKey = `${sessionId}:FIRST_RESPONSE`;
    // The session's events handled first: a late evaluation of them after the backdate would record the breach itself.
    await settled(t);
    await backdate(sessionId, 105);
    // As a node that claimed the due clock timer and died leaves it: leased, the lease still running.
    const [claimed] = await sql<{ lease_until: Date | string }[]>(
      `update timers set due_at = now() - interval '1 second', lease_owner = 'node-dead', lease_until = now() + interval '1500 milliseconds', attempts = 1
        where reaction = 'sla' and key = ? returning lease_until`,
      [clockKey],
    );
    expect(claimed).toBeDefined();
    const breaches = () => sql<{ id: string; created_at: Date | string }[]>(`select id::text as id, created_at from session_events where session_id = ? and type = 'sla.breached'`, [sessionId]);
    const [breach] = await eventually(breaches, (rows) => rows.length > 0, 20_000, 'the breach, once the dead node’s lease ran out');
    // Taken over only after the lease ran out, never from under it.
    expect(new Date(breach!.created_at).getTime()).toBeGreaterThanOrEqual(new Date(claimed!.lease_until).getTime());
    await eventually(
      () => timersOf(sessionId),
      (timers) => timers.length === 0,
      20_000,
      'the clock timer, done',
    );

    // As a node that recorded the breach and died before finishing the timer leaves it: due again, its lease run out.
    await sql(
      `insert into timers (reaction, key, tenant_id, due_at, payload, lease_owner, lease_until, attempts) select 'sla', ?, tenant_id, now(), jsonb_build_object('sessionId', id::text), 'node-dead', now() - interval '1 second', 1 from chat_sessions where id = ?`,
      [clockKey, sessionId],
    );
    await eventually(
      () => timersOf(sessionId),
      (timers) => timers.length === 0,
      20_000,
      'the timer, fired again',
    );
    // Two nodes evaluating the session at once (one lease ran out while its run still went on).
    await Promise.all(Array.from({ length: 4 }, () => evaluateSession(t.server.orm.em.fork(), t.server.deps.events, t.server.defaultTenantId, sessionId, Date.now())));

    expect(await breaches()).toEqual([breach]);
    expect(await alertsOf(sessionId)).toEqual([
      { type: 'sla.warning', metric: 'FIRST_RESPONSE' },
      { type: 'sla.breached', metric: 'FIRST_RESPONSE' },
    ]);
    expect(await sql(`select kind from sla_alerts where session_id = ? order by kind`, [sessionId])).toEqual([{ kind: 'BREACH' }, { kind: 'WARNING' }]);
  });

  it("reach the staff member's live stream as SessionUpdateEvents; the customer's stream never carries them", async () => {
    await ok(t.graphqlUrl, CreateSlaPolicyDocument, { name: 'Default', firstResponseSeconds: 100, businessHoursOnly: false }, admin.token);
    const sessionId = await assignedSession(t, admin, customer, staff);
    const staffClient = wsClient(t.url, staff.token);
    const customerClient = wsClient(t.url, customer.token);
    try {
      const staffEvents = subscribe(staffClient, SlaSessionEventsDocument, { sessionId, since: '0' });
      const customerEvents = subscribe(customerClient, SlaSessionEventsDocument, { sessionId, since: '0' });
      await say(sessionId, customer, 'still there?');
      await age(sessionId, 150);
      const types = (items: typeof staffEvents.items) => items.map(({ sessionEvents: event }) => ('type' in event ? event.type : event.__typename));
      const seen = await staffEvents.until((items) => types(items).includes('SLA_BREACHED'), 'the breach, live', 20_000);
      const alerts = seen.map(({ sessionEvents: event }) => event).filter((event) => event.__typename === 'SessionUpdateEvent' && event.changed.includes('SLA'));
      expect(alerts.map((event) => (event.__typename === 'SessionUpdateEvent' ? [event.type, event.sla?.metric] : []))).toEqual([
        ['SLA_WARNING', 'FIRST_RESPONSE'],
        ['SLA_BREACHED', 'FIRST_RESPONSE'],
      ]);
      // The customer's stream got their own message, and nothing of the clocks: a marker message after the alerts arrives, the alerts never do.
      await say(sessionId, staff, 'sorry for the wait');
      const customerSeen = await customerEvents.until((items) => types(items).filter((type) => type === 'MESSAGE_CREATED').length >= 2, 'both messages', 20_000);
      expect(types(customerSeen).filter((type) => type.startsWith('SLA'))).toEqual([]);
    } finally {
      await staffClient.dispose();
      await customerClient.dispose();
    }
  });

  it('are delivered as webhooks to endpoints that take private events, and to no other', async () => {
    await ok(t.graphqlUrl, CreateSlaPolicyDocument, { name: 'Default', firstResponseSeconds: 100, businessHoursOnly: false }, admin.token);
    const staffSide = await startWebhookReceiver();
    const customerSide = await startWebhookReceiver();
    try {
      await ok(t.graphqlUrl, CreateWebhookDocument, { url: staffSide.url, events: ['sla.warning', 'sla.breached'], includePrivate: true }, admin.token);
      await ok(t.graphqlUrl, CreateWebhookDocument, { url: customerSide.url, events: [], includePrivate: false }, admin.token);
      const sessionId = await assignedSession(t, admin, customer, staff);
      await say(sessionId, customer, 'anyone?');
      await age(sessionId, 150);
      await staffSide.waitFor((received) => received.some((hook) => hook.json.sessionId === sessionId && hook.json.type === 'sla.breached'), 'the sla.breached webhook');
      expect(staffSide.received.filter((hook) => hook.json.sessionId === sessionId).map((hook) => [hook.json.type, (hook.json.data as { metric?: string }).metric])).toEqual([
        ['sla.warning', 'FIRST_RESPONSE'],
        ['sla.breached', 'FIRST_RESPONSE'],
      ]);
      // Deliveries keep each session's order per endpoint: once a message sent after the breach
      // reached the other endpoint, any SLA event for it would have come first.
      await say(sessionId, staff, 'sorry for the wait');
      const isApology = (hook: { json: { type: string; data: Record<string, unknown> } }) => hook.json.type === 'message.created' && JSON.stringify(hook.json.data).includes('sorry for the wait');
      await customerSide.waitFor((received) => received.some(isApology), 'the apology at the endpoint without includePrivate');
      expect(customerSide.received.filter((hook) => hook.json.sessionId === sessionId && hook.json.type.startsWith('sla.'))).toEqual([]);
    } finally {
      await staffSide.close();
      await customerSide.close();
    }
  });
});
