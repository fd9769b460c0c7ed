import { UserRole } from '../src/shared/enums.js';
import { clocksOf, withoutPauses } from '../src/sla/sla-clock.js';
import {
  CloseSessionDocument,
  CreateSlaPolicyDocument,
  CreateWebhookDocument,
  SendMessageDocument,
  SendNoteDocument,
  SessionSlaDocument,
  SetAutoCloseDocument,
  SnoozeEventsDocument,
  SnoozeInboxDocument,
  SnoozeInboxEventsDocument,
  SnoozeSessionDocument,
  SnoozeStateDocument,
  UnsnoozeSessionDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { eventually } from './helpers/deadline.js';
import { type Actor, assignedSession, foreignTenantAdmin, guestSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { rest } from './helpers/rest.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, untilLive, wsClient } from './helpers/subscriptions.js';
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

const sql = <T extends Record<string, unknown>[]>(query: string, params: unknown[] = []) => t.server.orm.em.fork().getConnection().execute<T>(query, params);
const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();
const snooze = (sessionId: string, until: string, who: Actor = staff) => gql(t.graphqlUrl, SnoozeSessionDocument, { sessionId, until }, who.token);
const stateOf = async (sessionId: string) => (await ok(t.graphqlUrl, SnoozeStateDocument, { id: sessionId }, admin.token)).session;
const say = (sessionId: string, who: Actor | { token: string }, content: string) => ok(t.graphqlUrl, SendMessageDocument, { sessionId, content }, who.token);
/** The session's recorded wakes (outbox rows with action WOKE): what every subscriber and webhook gets. */
const wakesOf = (sessionId: string) =>
  sql<{ id: string; woken_by: string }[]>(`select id::text as id, payload->>'wokenBy' as woken_by from session_events where session_id = ? and payload->>'action' = 'WOKE' order by id`, [sessionId]);
const snoozeTimerOf = async (sessionId: string) => {
  const [row] = await sql<{ due_at: Date }[]>(`select due_at from timers where reaction = 'snooze' and key = ?`, [`session:${sessionId}`]);
  return row ? new Date(row.due_at).getTime() : null;
};

describe('snoozeSession', () => {
  it('is for the staff member who holds the session and admins; customers, guests, other staff and other tenants are refused', async () => {
    const sessionId = await assignedSession(t, admin, customer, staff);
    const until = inSeconds(3600);
    expect((await snooze(sessionId, until, customer)).errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'STAFF_ONLY' });
    const guest = await guestSession(t);
    expect((await gql(t.graphqlUrl, SnoozeSessionDocument, { sessionId: guest.sessionId, until }, guest.token)).errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'GUEST_NOT_ALLOWED',
    });
    const otherStaff = await userWithRole(t, admin, UserRole.STAFF);
    expect((await snooze(sessionId, until, otherStaff)).errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_ASSIGNED' });
    const foreign = await foreignTenantAdmin(t);
    expect((await snooze(sessionId, until, foreign)).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'SESSION_NOT_FOUND' });
    expect((await stateOf(sessionId)).status).toBe('ACTIVE');

    const snoozed = (await snooze(sessionId, until)).data?.snoozeSession;
    expect(snoozed).toMatchObject({ id: sessionId, status: 'SNOOZED', snoozedUntil: until, agent: { id: staff.userId } });
    expect(await snoozeTimerOf(sessionId)).toBe(Date.parse(until));
    expect((await gql(t.graphqlUrl, UnsnoozeSessionDocument, { sessionId }, customer.token)).errors?.[0]?.extensions?.reason).toBe('STAFF_ONLY');
    expect((await gql(t.graphqlUrl, UnsnoozeSessionDocument, { sessionId }, otherStaff.token)).errors?.[0]?.extensions?.reason).toBe('NOT_ASSIGNED');
    // An admin may snooze a session nobody holds.
    expect((await snooze(guest.sessionId, until, admin)).data?.snoozeSession.status).toBe('SNOOZED');
  });

  it('takes a time in the future, at most 365 days ahead; refuses closed sessions; snoozing again moves the wake time', async () => {
    const sessionId = await assignedSession(t, admin, customer, staff);
    for (const [until, reason] of [
      [inSeconds(-1), 'SNOOZE_NOT_IN_FUTURE'],
      [new Date(Date.now() + 366 * 24 * 3600_000).toISOString(), 'SNOOZE_TOO_LONG'],
    ] as const) {
      expect((await snooze(sessionId, until)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason, fields: { until: expect.any(String) } });
    }
    expect((await gql(t.graphqlUrl, UnsnoozeSessionDocument, { sessionId }, staff.token)).errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'SESSION_NOT_SNOOZED' });

    const events = subscribe(wsClient(t.url, staff.token), SnoozeEventsDocument, { sessionId });
    await untilLive(
      events,
      () => say(sessionId, staff, 'ping'),
      (item) => item.sessionEvents.__typename === 'MessageEvent',
    );
    const first = inSeconds(3600);
    const second = inSeconds(7200);
    await ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId, until: first }, staff.token);
    const moved = (await ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId, until: second }, staff.token)).snoozeSession;
    expect(moved).toMatchObject({ status: 'SNOOZED', snoozedUntil: second });
    expect(await snoozeTimerOf(sessionId)).toBe(Date.parse(second));
    const updates = (await events.until((items) => items.filter((item) => item.sessionEvents.__typename === 'SessionUpdateEvent').length >= 2, 'two snooze events', 10_000))
      .map((item) => item.sessionEvents)
      .filter((event) => event.__typename === 'SessionUpdateEvent');
    expect(updates).toEqual([
      expect.objectContaining({ action: 'SNOOZED', changed: ['STATUS', 'SNOOZED_UNTIL'], status: 'SNOOZED', snoozedUntil: first, actorId: staff.userId }),
      expect.objectContaining({ action: 'SNOOZED', changed: ['SNOOZED_UNTIL'], status: 'SNOOZED', snoozedUntil: second }),
    ]);
    // One snooze in the history, moved.
    expect(await sql(`select until from session_snoozes where session_id = ?`, [sessionId])).toHaveLength(1);
    events.stop();

    const woken = (await ok(t.graphqlUrl, UnsnoozeSessionDocument, { sessionId }, staff.token)).unsnoozeSession;
    expect(woken).toMatchObject({ status: 'ACTIVE', snoozedUntil: null });
    expect(await snoozeTimerOf(sessionId)).toBeNull();
    expect((await wakesOf(sessionId)).map((wake) => wake.woken_by)).toEqual(['STAFF']);

    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId }, admin.token);
    expect((await snooze(sessionId, inSeconds(60))).errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'SESSION_CLOSED' });
  });

  it('moves the session out of the mine and unassigned tabs into its own, with exact counts and unread counts', async () => {
    const agent = await userWithRole(t, admin, UserRole.STAFF);
    const awake = await assignedSession(t, admin, customer, agent);
    const asleep = await assignedSession(t, admin, customer, agent);
    await say(asleep, customer, 'one');
    await say(asleep, customer, 'two');
    const inbox = async (filter: Record<string, unknown>) => (await ok(t.graphqlUrl, SnoozeInboxDocument, { filter, first: 100 }, agent.token)).inboxConnection;
    const ids = (page: Awaited<ReturnType<typeof inbox>>) => page.edges.map((edge) => edge.node.session.id).sort();
    expect((await inbox({ assignee: 'ME' })).tabs).toEqual({ mine: 2, unassigned: 0, all: 2, snoozed: 0 });

    await ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId: asleep, until: inSeconds(3600) }, agent.token);
    const mine = await inbox({ assignee: 'ME' });
    expect(mine.tabs).toEqual({ mine: 1, unassigned: 0, all: 2, snoozed: 1 });
    expect(ids(mine)).toEqual([awake]);
    const snoozedTab = await inbox({ status: 'SNOOZED' });
    expect(snoozedTab.edges.map((edge) => edge.node)).toEqual([{ session: { id: asleep, status: 'SNOOZED' }, unreadCount: 2 }]);
    expect(snoozedTab.tabs.snoozed).toBe(snoozedTab.edges.length);
    expect(ids(await inbox({ assignee: 'ANY' }))).toEqual([awake, asleep].sort());
    // A status filter decides alone: the agent's own snoozed sessions.
    expect(ids(await inbox({ assignee: 'ME', status: 'SNOOZED' }))).toEqual([asleep]);
    expect((await inbox({ status: 'ACTIVE' })).tabs).toEqual({ mine: 1, unassigned: 0, all: 1, snoozed: 0 });

    // An admin's unassigned tab leaves snoozed sessions out too.
    const guest = await guestSession(t);
    const adminTabs = async () => (await ok(t.graphqlUrl, SnoozeInboxDocument, { filter: { assignee: 'UNASSIGNED' }, first: 100 }, admin.token)).inboxConnection;
    const before = await adminTabs();
    expect(before.edges.some((edge) => edge.node.session.id === guest.sessionId)).toBe(true);
    await ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId: guest.sessionId, until: inSeconds(3600) }, admin.token);
    const after = await adminTabs();
    expect(after.edges.some((edge) => edge.node.session.id === guest.sessionId)).toBe(false);
    expect(after.tabs.unassigned).toBe(before.tabs.unassigned - 1);
    expect(after.tabs.snoozed).toBe(before.tabs.snoozed + 1);
    expect(after.tabs.all).toBe(before.tabs.all);
  });
});

describe('waking', () => {
  it('happens when the time comes: one wake event, on the session stream and the inbox stream', async () => {
    const agent = await userWithRole(t, admin, UserRole.STAFF);
    const sessionId = await assignedSession(t, admin, customer, agent);
    const client = wsClient(t.url, agent.token);
    const events = subscribe(client, SnoozeEventsDocument, { sessionId });
    const inbox = subscribe(client, SnoozeInboxEventsDocument, {});
    await untilLive(
      events,
      () => say(sessionId, agent, 'ping'),
      (item) => item.sessionEvents.__typename === 'MessageEvent',
    );
    await untilLive(
      inbox,
      () => ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId, until: inSeconds(3600) }, agent.token),
      (item) => item.inbox.action === 'SNOOZED',
    );

    const until = inSeconds(1.5);
    await ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId, until }, agent.token);
    const woke = (items: { sessionEvents: { __typename: string } }[]) =>
      items.filter((item) => item.sessionEvents.__typename === 'SessionUpdateEvent' && 'action' in item.sessionEvents && item.sessionEvents.action === 'WOKE');
    await events.until((items) => woke(items).length === 1, 'the wake', 20_000);
    const state = await stateOf(sessionId);
    expect(state).toMatchObject({ status: 'ACTIVE', snoozedUntil: null });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(until));
    expect(woke(events.items)[0]?.sessionEvents).toMatchObject({ status: 'ACTIVE', changed: ['STATUS', 'SNOOZED_UNTIL'], wokenBy: 'TIMER', snoozedUntil: null, actorId: null });
    await inbox.until((items) => items.some((item) => item.inbox.sessionId === sessionId && item.inbox.action === 'WOKE'), 'the wake in the inbox', 10_000);
    const inboxWake = inbox.items.find((item) => item.inbox.action === 'WOKE')!.inbox;
    expect(inboxWake).toMatchObject({ status: 'ACTIVE', wokenBy: 'TIMER', inboxTabs: { mine: 1, snoozed: 0 } });

    // Nothing more comes: the next event on the stream is the message sent after the wake.
    await say(sessionId, agent, 'after');
    await events.until((items) => items.some((item) => item.sessionEvents.__typename === 'MessageEvent'), 'the message after the wake', 10_000);
    expect(woke(events.items)).toHaveLength(1);
    expect((await wakesOf(sessionId)).map((wake) => wake.woken_by)).toEqual(['TIMER']);
    expect(await snoozeTimerOf(sessionId)).toBeNull();
    await client.dispose();
  });

  it('happens when the customer writes, before the message, once; the timer then does nothing; staff replies and notes do not wake it', async () => {
    const agent = await userWithRole(t, admin, UserRole.STAFF);
    const sessionId = await assignedSession(t, admin, customer, agent);
    const client = wsClient(t.url, agent.token);
    const events = subscribe(client, SnoozeEventsDocument, { sessionId });
    await untilLive(
      events,
      () => say(sessionId, agent, 'ping'),
      (item) => item.sessionEvents.__typename === 'MessageEvent',
    );
    await ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId, until: inSeconds(1.5) }, agent.token);
    await say(sessionId, agent, 'a reply while snoozed');
    await ok(t.graphqlUrl, SendNoteDocument, { sessionId, content: 'a note', private: true }, agent.token);
    expect((await stateOf(sessionId)).status).toBe('SNOOZED');

    const { sendMessage } = await say(sessionId, customer, 'hello again');
    expect(sendMessage.created).toBe(true);
    expect(await stateOf(sessionId)).toMatchObject({ status: 'ACTIVE', snoozedUntil: null });
    // The timer was cancelled with the wake.
    expect(await snoozeTimerOf(sessionId)).toBeNull();
    // The reply, the note (staff see notes) and the customer's message (read marks aside).
    const items = (await events.until((all) => all.filter((item) => item.sessionEvents.__typename === 'MessageEvent').length === 3, 'the customer message', 10_000)).filter(
      (item) => item.sessionEvents.__typename !== 'ReadEvent',
    );
    const kinds = items.map((item) => (item.sessionEvents.__typename === 'SessionUpdateEvent' && 'action' in item.sessionEvents ? item.sessionEvents.action : item.sessionEvents.__typename));
    expect(kinds).toEqual(['SNOOZED', 'MessageEvent', 'MessageEvent', 'WOKE', 'MessageEvent']);
    expect(items[3]?.sessionEvents).toMatchObject({ wokenBy: 'CUSTOMER', status: 'ACTIVE' });

    // A timer run that had been claimed before the cancel (or a stale copy of it) finds the session awake: nothing happens.
    await sql(`insert into timers (reaction, key, tenant_id, due_at, payload) values ('snooze', ?, ?, now(), jsonb_build_object('sessionId', ?::text))`, [
      `session:${sessionId}`,
      t.server.defaultTenantId,
      sessionId,
    ]);
    await eventually(
      () => snoozeTimerOf(sessionId),
      (due) => due === null,
      20_000,
      'the stale timer to run',
    );
    expect((await wakesOf(sessionId)).map((wake) => wake.woken_by)).toEqual(['CUSTOMER']);
    expect((await stateOf(sessionId)).status).toBe('ACTIVE');
    await client.dispose();
  });

  it('a guest writing wakes its session too', async () => {
    const guest = await guestSession(t);
    await ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId: guest.sessionId, until: inSeconds(3600) }, admin.token);
    await say(guest.sessionId, guest, 'anyone there?');
    expect((await stateOf(guest.sessionId)).status).toBe('ACTIVE');
    expect((await wakesOf(guest.sessionId)).map((wake) => wake.woken_by)).toEqual(['CUSTOMER']);
  });
});

describe('a snoozed session', () => {
  it('closes, which ends its snooze and cancels its wake timer', async () => {
    const sessionId = await assignedSession(t, admin, customer, staff);
    await ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId, until: inSeconds(3600) }, staff.token);
    const closed = (await ok(t.graphqlUrl, CloseSessionDocument, { sessionId }, admin.token)).closeSession;
    expect(closed.status).toBe('CLOSED');
    expect(await stateOf(sessionId)).toMatchObject({ status: 'CLOSED', snoozedUntil: null });
    expect(await snoozeTimerOf(sessionId)).toBeNull();
    const [row] = await sql<{ woke_at: Date | null; woken_by: string | null }[]>(`select woke_at, woken_by from session_snoozes where session_id = ?`, [sessionId]);
    expect(row?.woken_by).toBe('CLOSED');
    expect(row?.woke_at).not.toBeNull();
    expect(await wakesOf(sessionId)).toEqual([]);
  });

  it('is not auto-closed while it sleeps: the silence counts again from its wake time', async () => {
    await ok(t.graphqlUrl, SetAutoCloseDocument, { inactiveSeconds: 3600 }, admin.token);
    try {
      const sessionId = await assignedSession(t, admin, customer, staff);
      await say(sessionId, customer, 'question');
      await say(sessionId, staff, 'answer');
      const autoCloseTimer = async () => {
        const [row] = await sql<{ due_at: Date; since: string | null }[]>(`select due_at, payload->>'silentSince' as since from timers where reaction = 'auto-close' and key = ?`, [
          `session:${sessionId}`,
        ]);
        return row ? { dueAt: new Date(row.due_at).getTime(), since: row.since } : null;
      };
      await eventually(autoCloseTimer, (timer) => timer !== null, 20_000, 'the auto-close timer');
      const until = inSeconds(24 * 3600);
      await ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId, until }, staff.token);
      // The silence ran out long ago, as far as the timer knows.
      await sql(`update timers set due_at = now(), payload = jsonb_set(payload, '{repliedAt}', '"2000-01-01T00:00:00.000Z"') where reaction = 'auto-close' and key = ?`, [`session:${sessionId}`]);
      const moved = await eventually(autoCloseTimer, (timer) => timer?.since === until, 20_000, 'the timer moved past the snooze');
      expect(moved?.dueAt).toBe(Date.parse(until) + 3600_000);
      expect((await stateOf(sessionId)).status).toBe('SNOOZED');
    } finally {
      await ok(t.graphqlUrl, SetAutoCloseDocument, { inactiveSeconds: 0 }, admin.token);
    }
  });

  it('pauses its SLA clocks: the resolution due time moves by exactly the time it slept', async () => {
    await ok(t.graphqlUrl, CreateSlaPolicyDocument, { name: 'Snooze default', resolutionSeconds: 3600, businessHoursOnly: false }, admin.token);
    try {
      const sessionId = await assignedSession(t, admin, customer, staff);
      const slaOf = async () => (await ok(t.graphqlUrl, SessionSlaDocument, { id: sessionId }, admin.token)).session.sla;
      const { session } = await ok(t.graphqlUrl, SessionSlaDocument, { id: sessionId }, admin.token);
      const before = session.sla;
      expect(before?.resolutionDueAt).toBe(new Date(Date.parse(session.startedAt) + 3600_000).toISOString());
      await ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId, until: inSeconds(1.5) }, staff.token);
      // Paused: no due time while it sleeps.
      expect((await slaOf())?.resolutionDueAt).toBeNull();
      await eventually(
        () => stateOf(sessionId),
        (state) => state.status === 'ACTIVE',
        20_000,
        'the wake',
      );
      const [slept] = await sql<{ ms: string }[]>(`select (extract(epoch from woke_at - snoozed_at) * 1000)::bigint::text as ms from session_snoozes where session_id = ?`, [sessionId]);
      const ms = Number(slept?.ms);
      expect(ms).toBeGreaterThanOrEqual(1000);
      const after = await slaOf();
      expect(Date.parse(after!.resolutionDueAt!)).toBe(Date.parse(before!.resolutionDueAt!) + ms);
    } finally {
      await sql(`delete from sla_policies where tenant_id = ?`, [t.server.defaultTenantId]);
    }
  });

  it('reads as an open ("active") session in the REST dialects', async () => {
    const sessionId = await assignedSession(t, admin, customer, staff);
    await ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId, until: inSeconds(3600) }, staff.token);
    const one = await rest(t.url, 'GET', `/api/chat/sessions/${sessionId}`, { token: admin.token });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: sessionId, status: 'active' });
    const listed = async (status: string) => {
      const response = await rest(t.url, 'GET', `/api/chat/sessions?status=${status}&limit=100`, { token: staff.token });
      expect(response.status).toBe(200);
      return response.body.sessions.map((session: { id: string }) => session.id);
    };
    expect(await listed('active')).toContain(sessionId);
    expect(await listed('closed')).not.toContain(sessionId);

    const guest = await guestSession(t, 'Snoozy');
    await ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId: guest.sessionId, until: inSeconds(3600) }, admin.token);
    const v1 = await rest(t.url, 'POST', '/api/v1/chat/guest/session', { body: { session_id: guest.sessionKey, guest_name: 'Snoozy' } });
    expect(v1.status).toBe(200);
    expect(v1.body.data.session).toMatchObject({ id: Number(guest.sessionId), status: 'active' });
  });

  it('reaches webhooks: the snooze and the wake are session.updated deliveries, in the session order', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await ok(t.graphqlUrl, CreateWebhookDocument, { url: receiver.url, events: ['session.updated', 'message.created'], includePrivate: false }, admin.token);
      const sessionId = await assignedSession(t, admin, customer, staff);
      await ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId, until: inSeconds(3600) }, staff.token);
      await say(sessionId, customer, 'wake up');
      const ofSession = (received: typeof receiver.received) => received.filter((hook) => hook.json.sessionId === sessionId);
      await receiver.waitFor((received) => ofSession(received).some((hook) => hook.json.type === 'message.created'), 'the message webhook');
      const hooks = ofSession(receiver.received).map((hook) => ({ type: hook.json.type, ...(hook.json.data as { action?: string; wokenBy?: string; changes?: string[] }) }));
      expect(hooks.map((hook) => [hook.type, hook.action ?? null, hook.wokenBy ?? null])).toEqual([
        ['session.updated', 'ASSIGNED', null],
        ['session.updated', 'SNOOZED', null],
        ['session.updated', 'WOKE', 'CUSTOMER'],
        ['message.created', null, null],
      ]);
      expect(hooks[2]).toMatchObject({ changes: ['status', 'snoozedUntil'], session: { status: 'ACTIVE', snoozedUntil: null } });
    } finally {
      await receiver.close();
    }
  });
});

describe('SLA clocks over snoozes (the pure computation)', () => {
  const targets = { firstResponseSeconds: 1, nextResponseSeconds: 1, resolutionSeconds: 1, businessHoursOnly: false };
  const due = (session: Parameters<typeof clocksOf>[0], now: number) =>
    Object.fromEntries(clocksOf(session, targets, null, now).map((clock) => [clock.metric, { dueAt: clock.dueAt, running: clock.running }]));

  it('cut snooze intervals out of the running time, first response included', () => {
    expect(withoutPauses([[0, null]], [[100, 400]])).toEqual([
      [0, 100],
      [400, null],
    ]);
    expect(withoutPauses([[0, 50]], [[100, 400]])).toEqual([[0, 50]]);
    expect(withoutPauses([[200, 300]], [[100, 400]])).toEqual([]);
    expect(due({ startedAt: 0, endedAt: null, messages: [], snoozes: [[100, 400]] }, 1000)).toEqual({
      FIRST_RESPONSE: { dueAt: 1300, running: true },
      RESOLUTION: { dueAt: 1300, running: true },
    });
    // Snoozed now: paused, no due time.
    expect(due({ startedAt: 0, endedAt: null, messages: [], snoozes: [[100, null]] }, 1000)).toEqual({
      FIRST_RESPONSE: { dueAt: null, running: false },
      RESOLUTION: { dueAt: null, running: false },
    });
    // A wait the customer opened at 500, snoozed from 600 to 900: due 300 ms later than without the snooze.
    const messages = [
      { side: 'support' as const, at: 50 },
      { side: 'customer' as const, at: 500 },
    ];
    expect(due({ startedAt: 0, endedAt: null, messages, snoozes: [[600, 900]] }, 2000).NEXT_RESPONSE).toEqual({ dueAt: 1800, running: true });
    expect(due({ startedAt: 0, endedAt: null, messages }, 2000).NEXT_RESPONSE).toEqual({ dueAt: 1500, running: true });
  });
});
