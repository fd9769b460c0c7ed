import { OUTBOX_BATCH } from '../src/realtime/sequencer.js';
import { UserRole } from '../src/shared/enums.js';
import {
  AssignAgentDocument,
  CloseSessionDocument,
  CreateSessionDocument,
  InboxActivityDocument,
  type InboxFilter,
  InboxPageDocument,
  type InboxPageQuery,
  InboxTabsOnlyDocument,
  MarkReadDocument,
  SendNoteDocument,
  SessionEventsDocument,
  type SessionEventsSubscription,
  SessionPositionDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { seededRandom, testSeed } from './helpers/random.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, untilLive, wsClient } from './helpers/subscriptions.js';

type Edge = InboxPageQuery['inbox']['edges'][number];

interface Made {
  id: string;
  priority: 'LOW' | 'MEDIUM' | 'HIGH';
  tags: string[];
  agent: string | null;
  closed: boolean;
  waiting: boolean;
}

const seed = testSeed();

describe(`agent inbox (seed ${seed})`, () => {
  let t: TestServer;
  let admin: Actor;
  let staffA: Actor;
  let staffB: Actor;
  let customer: Actor;
  const made: Made[] = [];

  const page = async (token: string, filter: InboxFilter | null, first = 100, after: string | null = null) => (await ok(t.graphqlUrl, InboxPageDocument, { filter, first, after }, token)).inbox;
  const ids = (edges: Edge[]) => edges.map((edge) => edge.node.session.id);
  const say = (sessionId: string, token: string, content = 'hello', note = false) => ok(t.graphqlUrl, SendNoteDocument, { sessionId, content, private: note }, token);

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    staffA = await userWithRole(t, admin, UserRole.STAFF);
    staffB = await userWithRole(t, admin, UserRole.STAFF);
    customer = await userWithRole(t, admin, UserRole.USER);
    const random = seededRandom(seed);
    const priorities = ['LOW', 'MEDIUM', 'HIGH'] as const;
    for (let i = 0; i < 12; i++) {
      const priority = priorities[i % 3]!;
      const tags = i % 4 === 0 ? ['billing'] : i % 4 === 1 ? ['bug', 'billing'] : [];
      const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: `s${i}`, priority, tags }, customer.token);
      const agent = i % 3 === 0 ? staffA : i % 3 === 1 ? staffB : null;
      if (agent) await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: createSession.id, agentId: agent.userId }, admin.token);
      const entry: Made = { id: createSession.id, priority, tags, agent: agent?.userId ?? null, closed: false, waiting: false };
      if (random() < 0.7) {
        await say(entry.id, customer.token, `question ${i}`);
        entry.waiting = true;
        if (agent && random() < 0.5) {
          await say(entry.id, agent.token, `answer ${i}`);
          entry.waiting = false;
        }
      }
      if (i === 11) {
        await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: entry.id }, admin.token);
        entry.closed = true;
        entry.waiting = false;
      }
      made.push(entry);
    }
  });
  afterAll(() => t.dispose());

  const expectOrdered = (edges: Edge[]) => {
    for (let i = 1; i < edges.length; i++) {
      const [a, b] = [edges[i - 1]!.node, edges[i]!.node];
      const order = Date.parse(a.lastActivityAt) - Date.parse(b.lastActivityAt) || Number(BigInt(a.session.id) - BigInt(b.session.id));
      expect(order).toBeGreaterThan(0);
    }
  };

  it('lists support sessions by last activity, newest first; a new message moves its session to the top', async () => {
    const all = await page(admin.token, null);
    expect(new Set(ids(all.edges))).toEqual(new Set(made.map((m) => m.id)));
    expectOrdered(all.edges);
    const oldest = [...all.edges].reverse().find((edge) => edge.node.session.status === 'ACTIVE')!.node.session.id;
    await say(oldest, customer.token, 'bump');
    const after = await page(admin.token, null, 1);
    expect(ids(after.edges)).toEqual([oldest]);
    expect(after.edges[0]!.node.lastMessage).toMatchObject({ content: 'bump', private: false });
    made.find((m) => m.id === oldest)!.waiting = true;
  });

  it('filters by status, assignee, agent, priority, tag and waitingForReply, with tab counts under the same filter', async () => {
    const cases: [InboxFilter, (m: Made) => boolean][] = [
      [{ status: 'CLOSED' }, (m) => m.closed],
      [{ status: 'ACTIVE' }, (m) => !m.closed],
      [{ assignee: 'UNASSIGNED' }, (m) => m.agent === null],
      [{ assignee: 'ME' }, () => false],
      [{ assignee: 'ANY' }, () => true],
      [{ agentId: staffB.userId }, (m) => m.agent === staffB.userId],
      [{ priority: 'HIGH' }, (m) => m.priority === 'HIGH'],
      [{ tag: 'BUG' }, (m) => m.tags.includes('bug')],
      [{ waitingForReply: true }, (m) => m.waiting],
      [{ waitingForReply: false, priority: 'LOW' }, (m) => !m.waiting && m.priority === 'LOW'],
    ];
    for (const [filter, expected] of cases) {
      const result = await page(admin.token, filter);
      expect({ filter, ids: new Set(ids(result.edges)) }).toEqual({ filter, ids: new Set(made.filter(expected).map((m) => m.id)) });
      expectOrdered(result.edges);
      // Tabs: the same filter without its assignee (the assignee is what the tabs choose).
      const base = filter.assignee || filter.agentId ? made : made.filter(expected);
      expect({ filter, tabs: result.tabs }).toEqual({ filter, tabs: { mine: 0, unassigned: base.filter((m) => m.agent === null).length, all: base.length } });
    }
  });

  it('shows staff only their own sessions (no unassigned queue), with their unread counts', async () => {
    const mine = made.filter((m) => m.agent === staffA.userId);
    const result = await page(staffA.token, null);
    expect(new Set(ids(result.edges))).toEqual(new Set(mine.map((m) => m.id)));
    expect(result.tabs).toEqual({ mine: mine.length, unassigned: 0, all: mine.length });
    expect((await page(staffA.token, { assignee: 'UNASSIGNED' })).edges).toEqual([]);
    expect((await page(staffA.token, { agentId: staffB.userId })).edges).toEqual([]);
    const { inbox } = await ok(t.graphqlUrl, InboxTabsOnlyDocument, { filter: { priority: 'LOW' } }, staffA.token);
    expect(inbox.tabs.all).toBe(mine.filter((m) => m.priority === 'LOW').length);

    const target = mine.find((m) => !m.closed)!;
    const before = result.edges.find((e) => e.node.session.id === target.id)!.node.unreadCount;
    await say(target.id, customer.token, 'one');
    await say(target.id, customer.token, 'two');
    const note = await say(target.id, admin.token, 'internal', true);
    const row = (await page(staffA.token, null, 1)).edges[0]!.node;
    expect(row.session.id).toBe(target.id);
    expect(row.unreadCount).toBe(before + 3);
    expect(row.lastMessage).toMatchObject({ id: note.sendMessage.message.id, private: true });
    await ok(t.graphqlUrl, MarkReadDocument, { sessionId: target.id, messageIds: [note.sendMessage.message.id] }, staffA.token);
    expect((await page(staffA.token, null, 1)).edges[0]!.node.unreadCount).toBe(0);
  });

  it('pages with opaque cursors, without duplicates or skips, while new activity arrives', async () => {
    const random = seededRandom(seed + 1);
    const seen: string[] = [];
    const touched = new Set<string>();
    let after: string | null = null;
    for (let guard = 0; guard < 50; guard++) {
      const result: InboxPageQuery['inbox'] = await page(admin.token, null, 3, after);
      seen.push(...ids(result.edges));
      expectOrdered(result.edges);
      // Activity between pages: a random open session gets a message (it moves to the top).
      const open = made.filter((m) => !m.closed);
      const bumped = open[Math.floor(random() * open.length)]!;
      await say(bumped.id, customer.token, 'while paging');
      touched.add(bumped.id);
      if (!result.hasNextPage) break;
      after = result.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    // Every session without new activity during the walk is seen exactly once; one that moved up
    // may have been passed by (it is at the top now, and the subscription delivers it).
    for (const m of made) if (!touched.has(m.id)) expect(seen).toContain(m.id);
    const top = await page(admin.token, null, touched.size);
    expect(new Set(ids(top.edges))).toEqual(touched);
  });

  it("delivers live rows, counters and tabs on the inbox subscription, only for the subscriber's sessions", async () => {
    const adminWs = wsClient(t.url, admin.token);
    const staffWs = wsClient(t.url, staffA.token);
    const adminItems = subscribe(adminWs, InboxActivityDocument, { activity: true });
    const staffItems = subscribe(staffWs, InboxActivityDocument, { activity: true });
    const lifecycleOnly = subscribe(adminWs, InboxActivityDocument, {});
    try {
      const staffSession = made.find((m) => m.agent === staffA.userId && !m.closed)!;
      const otherSession = made.find((m) => m.agent === staffB.userId && !m.closed)!;
      await untilLive(
        adminItems,
        () => say(staffSession.id, customer.token, 'ping'),
        (item) => item.inbox.type === 'MESSAGE_CREATED',
      );
      await untilLive(
        staffItems,
        () => say(staffSession.id, customer.token, 'ping'),
        (item) => item.inbox.type === 'MESSAGE_CREATED',
      );
      // Both live: a marker after every ping, then start from a clean slate.
      await say(staffSession.id, customer.token, 'marker');
      const marker = (items: { inbox: { inboxRow?: { lastMessage?: { content: string } | null } | null } }[]) => items.some((i) => i.inbox.inboxRow?.lastMessage?.content === 'marker');
      await adminItems.until(marker);
      await staffItems.until(marker);
      adminItems.items.length = 0;
      staffItems.items.length = 0;
      // Another staff member's session: the admin sees it, staff A never does.
      await say(otherSession.id, customer.token, 'for B');
      await say(staffSession.id, customer.token, 'for A');
      const [forA] = (await staffItems.until((items) => items.length >= 1)).map((item) => item.inbox);
      expect(forA).toMatchObject({ sessionId: staffSession.id, type: 'MESSAGE_CREATED', inboxRow: { lastMessage: { content: 'for A', private: false } } });
      const staffRow = (await page(staffA.token, null, 1)).edges[0]!.node;
      expect(forA!.inboxRow!.unreadCount).toBe(staffRow.unreadCount);
      expect(forA!.inboxTabs).toEqual({ mine: made.filter((m) => m.agent === staffA.userId).length, unassigned: 0, all: made.filter((m) => m.agent === staffA.userId).length });

      const adminSeen = await adminItems.until((items) => items.filter((i) => i.inbox.type === 'MESSAGE_CREATED').length >= 2);
      expect(adminSeen.slice(0, 2).map((i) => i.inbox.sessionId)).toEqual([otherSession.id, staffSession.id]);
      expect(adminSeen[0]!.inbox.inboxRow!.lastMessage!.content).toBe('for B');

      // The subscriber's own read mark brings its counter to 0 live.
      const last = staffRow.lastMessage!.id;
      await ok(t.graphqlUrl, MarkReadDocument, { sessionId: staffSession.id, messageIds: [last] }, staffA.token);
      const read = await staffItems.until((items) => items.some((i) => i.inbox.type === 'READ_UPDATED'));
      expect(read.find((i) => i.inbox.type === 'READ_UPDATED')!.inbox.inboxRow!.unreadCount).toBe(0);

      // A lifecycle change carries the row and the new tab counts; a lifecycle-only subscription gets it too, and no message activity.
      const unassigned = made.find((m) => m.agent === null && !m.closed)!;
      const tabsBefore = (await page(admin.token, null, 1)).tabs;
      await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: unassigned.id, agentId: staffA.userId }, admin.token);
      unassigned.agent = staffA.userId;
      const assigned = (await adminItems.until((items) => items.some((i) => i.inbox.type === 'SESSION_UPDATED'))).find((i) => i.inbox.type === 'SESSION_UPDATED')!.inbox;
      expect(assigned.sessionId).toBe(unassigned.id);
      expect(assigned.inboxTabs).toEqual({ ...tabsBefore, unassigned: tabsBefore.unassigned - 1 });
      expect(assigned.inboxRow).not.toBeNull();
      const staffAssigned = await staffItems.until((items) => items.some((i) => i.inbox.type === 'SESSION_UPDATED'));
      expect(staffAssigned.find((i) => i.inbox.type === 'SESSION_UPDATED')!.inbox.inboxTabs!.mine).toBe(made.filter((m) => m.agent === staffA.userId).length);
      const lifecycle = await lifecycleOnly.until((items) => items.some((i) => i.inbox.type === 'SESSION_UPDATED'));
      expect(lifecycle.every((i) => i.inbox.type.startsWith('SESSION_'))).toBe(true);
      expect(lifecycle.at(-1)!.inbox.inboxRow).not.toBeNull();

      // An activity item's id is its own event id: a lifecycle-only resume from it gets the lifecycle events after it.
      const positionId = adminSeen.filter((i) => i.inbox.type === 'MESSAGE_CREATED')[1]!.inbox.id;
      expect(BigInt(positionId)).toBeLessThan(BigInt(assigned.id));
      const resumed = subscribe(adminWs, InboxActivityDocument, { since: positionId });
      const replayed = await resumed.until((items) => items.some((i) => i.inbox.id === assigned.id));
      expect(replayed.map((i) => i.inbox.id)).toEqual([assigned.id]);
      resumed.stop();
    } finally {
      adminItems.stop();
      staffItems.stop();
      lifecycleOnly.stop();
      await adminWs.dispose();
      await staffWs.dispose();
    }
  });

  /** Every persisted event of a session from its outbox, as `sessionEvents` replays it from the start. */
  async function outbox(sessionId: string): Promise<Exclude<SessionEventsSubscription['sessionEvents'], { __typename: 'TypingEvent' }>[]> {
    const { lastEventId } = (await ok(t.graphqlUrl, SessionPositionDocument, { id: sessionId }, admin.token)).session;
    const ws = wsClient(t.url, admin.token);
    try {
      const events = subscribe(ws, SessionEventsDocument, { sessionId, since: '0' });
      const items = await events.until(
        (all) => all.some((item) => 'id' in item.sessionEvents && item.sessionEvents.id === lastEventId),
        `the outbox of session ${sessionId} up to ${lastEventId}`,
        30_000,
      );
      events.stop();
      return items.map((item) => item.sessionEvents).filter((event) => event.__typename !== 'TypingEvent');
    } finally {
      await ws.dispose();
    }
  }

  type Expected = { id: string; sessionId: string; type: string };

  /** Follows `actor`'s activity inbox until a message sent now arrives, then disconnects: the id of that last item, and its message. */
  async function lastSeenBy(actor: Actor, sessionId: string): Promise<{ id: string; messageId: string }> {
    const ws = wsClient(t.url, actor.token);
    try {
      const live = subscribe(ws, InboxActivityDocument, { activity: true });
      await untilLive(
        live,
        () => say(sessionId, customer.token, 'ping'),
        (item) => item.inbox.type === 'MESSAGE_CREATED',
      );
      const seen = await say(sessionId, customer.token, 'seen');
      const items = await live.until((all) => all.some((i) => i.inbox.inboxRow?.lastMessage?.id === seen.sendMessage.message.id), 'the last item before the disconnect', 10_000);
      return { id: items.at(-1)!.inbox.id, messageId: seen.sendMessage.message.id };
    } finally {
      await ws.dispose();
    }
  }

  /**
   * Resumes `actor`'s activity inbox `since`, waits for as many items as `expected`, then sends a
   * message to `markerSession` and checks that everything before it was exactly `expected`.
   */
  async function resumeExactly(actor: Actor, since: string, expected: Expected[], markerSession: string, timeoutMs = 10_000) {
    const ws = wsClient(t.url, actor.token);
    try {
      const resumed = subscribe(ws, InboxActivityDocument, { activity: true, since });
      await resumed.until((all) => all.length >= expected.length, `the ${expected.length} missed events`, timeoutMs);
      const marker = await say(markerSession, customer.token, 'after the resume');
      const all = await resumed.until((items) => items.some((i) => i.inbox.inboxRow?.lastMessage?.id === marker.sendMessage.message.id), 'the live event after the replay', 10_000);
      const got = all.map((i) => ({ id: i.inbox.id, sessionId: i.inbox.sessionId, type: i.inbox.type }));
      expect(got.slice(0, -1)).toEqual(expected);
      expect(got.at(-1)).toMatchObject({ sessionId: markerSession, type: 'MESSAGE_CREATED' });
      expect(BigInt(got.at(-1)!.id)).toBeGreaterThan(BigInt(expected.at(-1)!.id));
      resumed.stop();
      return all.map((i) => i.inbox);
    } finally {
      await ws.dispose();
    }
  }

  const inIdOrder = (events: Expected[]) => events.map(({ id, sessionId, type }) => ({ id, sessionId, type })).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));

  it('resumes an activity inbox from the last id seen: exactly the missed lifecycle and activity events, once, in order, with their outbox ids', async () => {
    const mine = made.filter((m) => m.agent === staffA.userId && !m.closed);
    const [first, second] = [mine[0]!, mine[1]!];
    const others = made.find((m) => m.agent === staffB.userId && !m.closed)!;
    const lastSeen = await lastSeenBy(staffA, first.id);

    // While disconnected: messages, the subscriber's own read mark, an assignment to them, a close; and activity that is not theirs.
    const missed = await say(first.id, customer.token, 'missed 1');
    await ok(t.graphqlUrl, MarkReadDocument, { sessionId: first.id, messageIds: [missed.sendMessage.message.id] }, staffA.token);
    const { createSession: created } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'while away' }, customer.token);
    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: created.id, agentId: staffA.userId }, admin.token);
    made.push({ id: created.id, priority: 'MEDIUM', tags: [], agent: staffA.userId, closed: false, waiting: true });
    await say(created.id, customer.token, 'missed 2');
    await say(others.id, customer.token, 'not for A');
    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: second.id }, admin.token);
    second.closed = true;

    // What staff A's activity inbox holds after the last id they saw, from the sessions' own outboxes.
    const events = (await Promise.all([first.id, created.id, second.id, others.id].map(outbox))).flat();
    const seenEvent = events.find((e) => e.__typename === 'MessageEvent' && e.message.id === lastSeen.messageId)!;
    expect(lastSeen.id).toBe(seenEvent.id);
    const expected = inIdOrder(
      events.filter((e) => {
        if (BigInt(e.id) <= BigInt(lastSeen.id) || e.sessionId === others.id) return false;
        if (e.__typename === 'SessionUpdateEvent') return e.agentId === staffA.userId;
        if (e.__typename === 'ReadEvent') return e.type === 'READ_UPDATED' && e.userId === staffA.userId;
        return true;
      }),
    );
    expect(expected.map((e) => e.type)).toEqual(expect.arrayContaining(['MESSAGE_CREATED', 'READ_UPDATED', 'SESSION_UPDATED']));

    const got = await resumeExactly(staffA, lastSeen.id, expected, created.id);
    expect(got.find((item) => item.sessionId === second.id && item.type === 'SESSION_UPDATED')!.changed).toEqual(['STATUS']);
  });

  it('replays a missed backlog longer than one outbox batch, activity merged with lifecycle events, once and in order', async () => {
    const [first, second] = made.filter((m) => !m.closed) as [Made, Made];
    const lastSeen = await lastSeenBy(admin, first.id);
    const touched = [first.id, second.id];
    for (let n = 0; n < OUTBOX_BATCH + 40; n += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => say(i % 2 === 0 ? first.id : second.id, customer.token, `backlog ${n + i}`)));
      if (n === 250) touched.push((await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'in the backlog' }, customer.token)).createSession.id);
    }
    const events = (await Promise.all(touched.map(outbox))).flat().filter((e) => BigInt(e.id) > BigInt(lastSeen.id));
    expect(events.length).toBeGreaterThan(OUTBOX_BATCH);
    // The admin's inbox: every lifecycle event and message; no read mark of theirs.
    const expected = inIdOrder(events.filter((e) => e.type !== 'DELIVERY_UPDATED' && e.type !== 'READ_UPDATED'));
    expect(expected.filter((e) => e.type === 'SESSION_CREATED')).toHaveLength(1);
    await resumeExactly(admin, lastSeen.id, expected, second.id, 30_000);
  }, 120_000);

  it('refuses the inbox to customers, guests and bots, and a bad filter with a clear error', async () => {
    const bot = await userWithRole(t, admin, UserRole.BOT);
    for (const token of [customer.token, bot.token]) {
      expect((await gql(t.graphqlUrl, InboxPageDocument, {}, token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const badTag = await gql(t.graphqlUrl, InboxPageDocument, { filter: { tag: '' } }, admin.token);
    expect(badTag.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badAgent = await gql(t.graphqlUrl, InboxPageDocument, { filter: { agentId: 'x' } }, admin.token);
    expect(badAgent.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const ws = wsClient(t.url, admin.token);
    try {
      const refused = subscribe(ws, InboxActivityDocument, { activity: true, filter: { tag: '' } });
      expect((await refused.ended())?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const customerWs = wsClient(t.url, customer.token);
      const forbidden = subscribe(customerWs, InboxActivityDocument, { activity: true });
      expect((await forbidden.ended())?.[0]?.extensions?.code).toBe('FORBIDDEN');
      await customerWs.dispose();
    } finally {
      await ws.dispose();
    }
  });
});
