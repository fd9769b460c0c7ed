import { UserRole } from '../src/shared/enums.js';
import {
  AssignAgentDocument,
  CreateSessionDocument,
  CreateSlaPolicyDocument,
  InboxActivityDocument,
  type InboxFilter,
  type InboxOrder,
  InboxSlaDocument,
  InboxSlaPageDocument,
  type Priority,
  SendMessageDocument,
  SessionSlaDocument,
  SnoozeSessionDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { eventually } from './helpers/deadline.js';
import { type Actor, loginAdmin, unique, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { ageSession, sqlOn } from './helpers/sla.js';
import { subscribe, untilLive, wsClient } from './helpers/subscriptions.js';

let t: TestServer;
let admin: Actor;
let staff: Actor;
let otherStaff: Actor;
let customer: Actor;

beforeAll(async () => {
  t = await startTestServer({ env: { REACTIONS_POLL_INTERVAL_MS: '50' } });
  admin = await loginAdmin(t);
  staff = await userWithRole(t, admin, UserRole.STAFF);
  otherStaff = await userWithRole(t, admin, UserRole.STAFF);
  customer = await userWithRole(t, admin, UserRole.USER);
});
afterAll(() => t.dispose());

// As in test/sla.test.ts: a session's past is moved back with SQL, and its SLA reaction woken, so clocks pass without waiting.
const sql = <T extends Record<string, unknown>[]>(query: string, params: unknown[] = []) => sqlOn<T>(t, query, params);
const age = (sessionId: string, seconds: number) => ageSession(t, sessionId, seconds);
const breachesOf = (sessionId: string) => sql<{ metric: string }[]>(`select metric from sla_alerts where session_id = ? and kind = 'BREACH'`, [sessionId]);
const clearPolicies = () => sql(`delete from sla_policies where tenant_id = ?`, [t.server.defaultTenantId]);

const policy = (name: string, priority: Priority | null, firstResponseSeconds: number) =>
  ok(t.graphqlUrl, CreateSlaPolicyDocument, { name, priority, firstResponseSeconds, businessHoursOnly: false }, admin.token);
const session = async (tag: string, priority: Priority, agent: Actor | null = staff) => {
  const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'Help', priority, tags: [tag] }, customer.token);
  if (agent) await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: createSession.id, agentId: agent.userId }, admin.token);
  return createSession.id;
};
const firstResponseDue = async (sessionId: string) => (await ok(t.graphqlUrl, SessionSlaDocument, { id: sessionId }, admin.token)).session.sla?.firstResponseDueAt ?? null;
const inbox = (who: Actor, filter: InboxFilter, order?: InboxOrder, first = 50, after?: string) =>
  ok(t.graphqlUrl, InboxSlaDocument, { filter, order, first, after }, who.token).then((r) => r.inboxConnection);
const idsOf = (page: { edges: { node: { session: { id: string } } }[] }) => page.edges.map((edge) => edge.node.session.id);

/** Every page of the inbox in `order`, `first` at a time, following each page's end cursor. */
async function walk(who: Actor, filter: InboxFilter, order: InboxOrder, first: number): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await inbox(who, filter, order, first, after);
    ids.push(...idsOf(page));
    if (!page.pageInfo.hasNextPage) return ids;
    after = page.pageInfo.endCursor ?? undefined;
    if (ids.length > 100) throw new Error('the pages never end');
  }
}

describe('the inbox and SLA', () => {
  afterEach(clearPolicies);

  it('orders by the nearest running due time (overdue first, no running clock last, ties by id), and cursors page across it exactly', async () => {
    await policy('Standard', null, 3600);
    await policy('Urgent', 'HIGH', 600);
    await policy('Relaxed', 'LOW', 7200);
    const tag = unique('due');
    const medium = await session(tag, 'MEDIUM');
    const high = await session(tag, 'HIGH');
    const low = await session(tag, 'LOW', null);
    const answered = await session(tag, 'MEDIUM');
    const answeredToo = await session(tag, 'HIGH', otherStaff);
    const overdue = await session(tag, 'MEDIUM');
    for (const id of [answered, answeredToo]) {
      await ok(t.graphqlUrl, SendMessageDocument, { sessionId: id, content: 'first!' }, customer.token);
      await ok(t.graphqlUrl, SendMessageDocument, { sessionId: id, content: 'On it.' }, admin.token);
    }
    await age(overdue, 4000);
    await eventually(
      () => breachesOf(overdue),
      (rows) => rows.length === 1,
      20_000,
      'the overdue session breached',
    );

    // The stored key is the clock's due time (Session.sla's), null once the reply met it.
    const due = new Map<string, string | null>();
    for (const id of [medium, high, low, overdue]) due.set(id, await firstResponseDue(id));
    due.set(answered, null);
    due.set(answeredToo, null);
    expect(Date.parse(due.get(overdue)!)).toBeLessThan(Date.now());
    const expected = [overdue, high, medium, low, ...[answered, answeredToo].sort((a, b) => Number(a) - Number(b))];
    const ordered = await eventually(
      () => inbox(admin, { tag }, 'SLA_DUE'),
      (page) => JSON.stringify(idsOf(page)) === JSON.stringify(expected),
      20_000,
      'the SLA_DUE order',
    );
    expect(ordered.edges.map((edge) => [edge.node.session.id, edge.node.slaDueAt])).toEqual(expected.map((id) => [id, due.get(id)]));
    expect(ordered.tabs).toEqual({ mine: 0, unassigned: 1, all: 6 });

    // One at a time crosses every kind of boundary (due to due, due to none, none to none); pages of 4 as well.
    expect(await walk(admin, { tag }, 'SLA_DUE', 1)).toEqual(expected);
    expect(await walk(admin, { tag }, 'SLA_DUE', 4)).toEqual(expected);
    // The deprecated inbox query takes the order too.
    const old = await ok(t.graphqlUrl, InboxSlaPageDocument, { filter: { tag }, order: 'SLA_DUE', first: 3 }, admin.token);
    expect(idsOf(old.inbox)).toEqual(expected.slice(0, 3));
    const rest = await ok(t.graphqlUrl, InboxSlaPageDocument, { filter: { tag }, order: 'SLA_DUE', first: 3, after: old.inbox.endCursor }, admin.token);
    expect(idsOf(rest.inbox)).toEqual(expected.slice(3));

    // The default order is still last activity; a cursor continues only the order it came from.
    const byActivity = await inbox(admin, { tag }, undefined, 2);
    expect(idsOf(byActivity)).toEqual(idsOf(await inbox(admin, { tag }, 'LAST_ACTIVITY', 2)));
    const mixed = await gql(t.graphqlUrl, InboxSlaDocument, { filter: { tag }, order: 'SLA_DUE', first: 2, after: byActivity.pageInfo.endCursor }, admin.token);
    expect(mixed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
    const back = await gql(t.graphqlUrl, InboxSlaDocument, { filter: { tag }, first: 2, after: ordered.edges[0]!.cursor }, admin.token);
    expect(back.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });

    // Staff see only their own sessions, in the same order.
    expect(await walk(staff, { tag }, 'SLA_DUE', 2)).toEqual([overdue, high, medium, answered]);
    expect(await walk(otherStaff, { tag }, 'SLA_DUE', 2)).toEqual([answeredToo]);

    // A reply stops the clock: the session moves to the end.
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: high, content: 'Here now.' }, staff.token);
    const tail = [answered, answeredToo, high].sort((a, b) => Number(a) - Number(b));
    await eventually(
      () => walk(admin, { tag }, 'SLA_DUE', 2),
      (ids) => JSON.stringify(ids) === JSON.stringify([overdue, medium, low, ...tail]),
      20_000,
      'the answered session last',
    );
    // So does a snooze (its clocks pause): the snoozed session joins the sessions without a running clock.
    await ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId: medium, until: new Date(Date.now() + 3_600_000).toISOString() }, staff.token);
    const snoozedTail = [...tail, medium].sort((a, b) => Number(a) - Number(b));
    await eventually(
      () => walk(admin, { tag }, 'SLA_DUE', 2),
      (ids) => JSON.stringify(ids) === JSON.stringify([overdue, low, ...snoozedTail]),
      20_000,
      'the snoozed session among those without a running clock',
    );
  });

  it('filters sessions with a recorded breach (true) or none (false), with exact tab counts; staff see only their own', async () => {
    await policy('Standard', null, 100);
    const tag = unique('breach');
    const mineBreached = await session(tag, 'MEDIUM', staff);
    const mineOnTime = await session(tag, 'MEDIUM', staff);
    const queueBreached = await session(tag, 'HIGH', null);
    const othersOnTime = await session(tag, 'LOW', otherStaff);
    const othersBreached = await session(tag, 'LOW', otherStaff);
    // The inbox stream's tab counts respect the filter too.
    const ws = wsClient(t.url, admin.token);
    const items = subscribe(ws, InboxActivityDocument, { activity: true, filter: { tag, slaBreached: true } });
    try {
      await untilLive(
        items,
        () => ok(t.graphqlUrl, SendMessageDocument, { sessionId: mineOnTime, content: 'ping' }, customer.token),
        (item) => item.inbox.type === 'MESSAGE_CREATED',
      );
      for (const id of [mineBreached, queueBreached, othersBreached]) {
        await age(id, 200);
        await eventually(
          () => breachesOf(id),
          (rows) => rows.length === 1,
          20_000,
          `session ${id} breached`,
        );
      }
      const delivered = await items.until((all) => all.some((item) => item.inbox.type === 'SLA_BREACHED' && item.inbox.sessionId === othersBreached));
      const last = delivered.find((item) => item.inbox.type === 'SLA_BREACHED' && item.inbox.sessionId === othersBreached)!;
      expect(last.inbox.inboxTabs).toEqual({ mine: 0, unassigned: 1, all: 3 });
    } finally {
      items.stop();
      await ws.dispose();
    }
    const sorted = (ids: string[]) => [...ids].sort((a, b) => Number(a) - Number(b));

    const breached = await inbox(admin, { tag, slaBreached: true });
    expect(sorted(idsOf(breached))).toEqual(sorted([mineBreached, queueBreached, othersBreached]));
    expect(breached.tabs).toEqual({ mine: 0, unassigned: 1, all: 3 });
    expect(breached.edges.map((edge) => edge.node.slaBreached)).toEqual([true, true, true]);
    const clean = await inbox(admin, { tag, slaBreached: false });
    expect(sorted(idsOf(clean))).toEqual(sorted([mineOnTime, othersOnTime]));
    expect(clean.tabs).toEqual({ mine: 0, unassigned: 0, all: 2 });
    expect(clean.edges.map((edge) => edge.node.slaBreached)).toEqual([false, false]);
    expect((await inbox(admin, { tag })).tabs.all).toBe(5);
    // With the assignee and the other filters.
    expect(idsOf(await inbox(admin, { tag, slaBreached: true, assignee: 'UNASSIGNED' }))).toEqual([queueBreached]);
    expect(idsOf(await inbox(admin, { tag, slaBreached: true, agentId: otherStaff.userId }))).toEqual([othersBreached]);
    expect(idsOf(await inbox(admin, { tag, slaBreached: true, priority: 'LOW' }))).toEqual([othersBreached]);

    // Staff: their own sessions only, and tabs that count only those.
    const staffBreached = await inbox(staff, { tag, slaBreached: true });
    expect(idsOf(staffBreached)).toEqual([mineBreached]);
    expect(staffBreached.tabs).toEqual({ mine: 1, unassigned: 0, all: 1 });
    const staffClean = await inbox(staff, { tag, slaBreached: false });
    expect(idsOf(staffClean)).toEqual([mineOnTime]);
    expect(staffClean.tabs).toEqual({ mine: 1, unassigned: 0, all: 1 });

    // A breach is history: a late reply leaves the session breached (and its clock stopped), as Session.sla.breaches lists it.
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: mineBreached, content: 'Sorry for the wait.' }, staff.token);
    const after = await eventually(
      () => inbox(staff, { tag, slaBreached: true }),
      (page) => page.edges[0]?.node.slaDueAt === null,
      20_000,
      'the clock stopped',
    );
    expect(idsOf(after)).toEqual([mineBreached]);
  });
});
