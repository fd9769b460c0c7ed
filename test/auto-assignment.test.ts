import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import { UserRole } from '../src/shared/enums.js';
import {
  AgentsDocument,
  AssignAgentDocument,
  AutoAssignmentDocument,
  CloseQueuedSessionDocument,
  CreateQueuedGuestSessionDocument,
  CreateQueuedSessionDocument,
  InboxAssignmentsDocument,
  SendMessageDocument,
  SessionQueueDocument,
  SetAgentCapacityDocument,
  SetAutoAssignmentDocument,
  SetAvailabilityDocument,
} from './generated/graphql.js';
import { agentsOverCapacity, assignmentLog, connectAgent, disconnect, eventually } from './helpers/agents.js';
import { ok } from './helpers/client.js';
import { type Actor, foreignTenantAdmin, loginAdmin, userWithRole, widgetConversation } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, wsClient } from './helpers/subscriptions.js';

/**
 * Auto-assignment rules on one node. Every test starts from an empty queue and no free agent:
 * the agents of earlier tests are set OFFLINE and their sessions closed.
 */
describe('auto-assignment', () => {
  let t: TestServer;
  let admin: Actor;
  let customer: Actor;
  const sockets: WebSocket[] = [];
  const agents: Actor[] = [];

  /** A staff member with this capacity, connected and ONLINE (ready to take sessions). */
  async function agent(capacity: number, { online = true }: { online?: boolean } = {}): Promise<Actor> {
    const actor = await userWithRole(t, admin, UserRole.STAFF);
    agents.push(actor);
    await ok(t.graphqlUrl, SetAgentCapacityDocument, { agentId: actor.userId, capacity }, admin.token);
    if (online) {
      sockets.push(await connectAgent(t.url, actor.token));
      await ok(t.graphqlUrl, SetAvailabilityDocument, { availability: 'ONLINE' }, actor.token);
    }
    return actor;
  }

  const open = async (subject = 'help') => (await ok(t.graphqlUrl, CreateQueuedSessionDocument, { subject }, customer.token)).createSession;
  const read = async (id: string) => (await ok(t.graphqlUrl, SessionQueueDocument, { id }, admin.token)).session;
  const close = (sessionId: string) => ok(t.graphqlUrl, CloseQueuedSessionDocument, { sessionId }, admin.token);
  const load = async (actor: Actor) => (await ok(t.graphqlUrl, AgentsDocument, {}, admin.token)).agents.find((a) => a.id === actor.userId)!.activeSessions;

  /** Closes what the tenant has open and takes every agent of earlier tests off duty. */
  async function reset(): Promise<void> {
    for (const actor of agents.splice(0)) await ok(t.graphqlUrl, SetAvailabilityDocument, { availability: 'OFFLINE' }, actor.token);
    for (const socket of sockets.splice(0)) await disconnect(socket);
    const em = t.server.orm.em.fork();
    const open = await em.getConnection().execute<{ id: string }[]>(`select id::text as id from chat_sessions where status = 'ACTIVE' and tenant_id = ?`, [t.server.defaultTenantId]);
    for (const { id } of open) await close(id);
  }

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    customer = await userWithRole(t, admin, UserRole.USER);
  });
  beforeEach(() => reset());
  afterAll(async () => {
    await reset();
    await t.dispose();
  });

  it('is off by default: a new session stays unassigned and is not queued', async () => {
    await agent(3);
    expect((await ok(t.graphqlUrl, AutoAssignmentDocument, {}, admin.token)).autoAssignment).toBe(false);
    const session = await open();
    expect(session).toMatchObject({ agent: null, queuePosition: null });
  });

  it('when turned on, assigns the sessions already waiting, and new ones at once', async () => {
    const staff = await agent(3);
    const earlier = await open('before');
    expect(await ok(t.graphqlUrl, SetAutoAssignmentDocument, { enabled: true }, admin.token)).toEqual({ setAutoAssignment: true });
    expect(await read(earlier.id)).toMatchObject({ agent: { id: staff.userId }, queuePosition: null });
    const later = await open('after');
    expect(later).toMatchObject({ agent: { id: staff.userId }, queuePosition: null });
  });

  it('gives a new session to the agent with the fewest active sessions', async () => {
    const busy = await agent(5);
    await ok(t.graphqlUrl, SetAvailabilityDocument, { availability: 'BUSY' }, busy.token);
    // `busy` takes two sessions by hand, then comes back.
    for (let i = 0; i < 2; i++) await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: (await open()).id, agentId: busy.userId }, admin.token);
    await ok(t.graphqlUrl, SetAvailabilityDocument, { availability: 'ONLINE' }, busy.token);
    const idle = await agent(5);
    expect((await open()).agent?.id).toBe(idle.userId);
    expect((await open()).agent?.id).toBe(idle.userId);
    // Now both have two: the tie goes to the one assigned least recently (busy was never auto-assigned).
    expect((await open()).agent?.id).toBe(busy.userId);
    expect(await load(busy)).toBe(3);
    expect(await load(idle)).toBe(2);
  });

  it('takes turns among agents with equal load (least recently assigned first)', async () => {
    const [a, b, c] = [await agent(10), await agent(10), await agent(10)];
    const order: string[] = [];
    for (let i = 0; i < 6; i++) order.push((await open()).agent!.id);
    const round = order.slice(0, 3);
    expect(new Set(round)).toEqual(new Set([a.userId, b.userId, c.userId]));
    expect(order.slice(3)).toEqual(round);
  });

  it('never goes above capacity: the rest wait in a queue with visible positions, drained oldest first on close', async () => {
    const a = await agent(1);
    const b = await agent(1);
    const first = await open();
    const second = await open();
    expect(new Set([first.agent?.id, second.agent?.id])).toEqual(new Set([a.userId, b.userId]));
    const third = await open();
    const fourth = await open();
    expect(third).toMatchObject({ agent: null, queuePosition: 1 });
    expect(fourth).toMatchObject({ agent: null, queuePosition: 2 });
    // The customer sees their place too.
    expect((await ok(t.graphqlUrl, SessionQueueDocument, { id: fourth.id }, customer.token)).session.queuePosition).toBe(2);
    expect(await load(a)).toBe(1);
    expect(await load(b)).toBe(1);

    await close(first.id);
    expect(await read(third.id)).toMatchObject({ agent: { id: first.agent!.id }, queuePosition: null });
    expect(await read(fourth.id)).toMatchObject({ agent: null, queuePosition: 1 });
    // A queued session that closes leaves the queue.
    await close(fourth.id);
    expect(await read(fourth.id)).toMatchObject({ status: 'CLOSED', queuePosition: null, agent: null });
  });

  it('assigns queued sessions when an agent connects, sets ONLINE or gets more capacity; never to a BUSY or disconnected agent', async () => {
    const staff = await agent(1, { online: false });
    const waiting = await open();
    expect(waiting).toMatchObject({ agent: null, queuePosition: 1 });

    // ONLINE but not connected: not assigned.
    await ok(t.graphqlUrl, SetAvailabilityDocument, { availability: 'ONLINE' }, staff.token);
    expect(await read(waiting.id)).toMatchObject({ agent: null, queuePosition: 1 });
    // Connects: takes it at once (before the connection is acknowledged).
    const socket = await connectAgent(t.url, staff.token);
    sockets.push(socket);
    expect(await read(waiting.id)).toMatchObject({ agent: { id: staff.userId }, queuePosition: null });

    // Full (capacity 1): the next one waits; more capacity takes it.
    const next = await open();
    expect(next).toMatchObject({ agent: null, queuePosition: 1 });
    await ok(t.graphqlUrl, SetAgentCapacityDocument, { agentId: staff.userId, capacity: 2 }, admin.token);
    expect(await read(next.id)).toMatchObject({ agent: { id: staff.userId } });

    // BUSY: keeps its sessions, takes no new ones; ONLINE again takes the waiting one.
    await ok(t.graphqlUrl, SetAgentCapacityDocument, { agentId: staff.userId, capacity: 5 }, admin.token);
    await ok(t.graphqlUrl, SetAvailabilityDocument, { availability: 'BUSY' }, staff.token);
    const third = await open();
    expect(third).toMatchObject({ agent: null, queuePosition: 1 });
    await ok(t.graphqlUrl, SetAvailabilityDocument, { availability: 'ONLINE' }, staff.token);
    expect(await read(third.id)).toMatchObject({ agent: { id: staff.userId } });

    // Disconnected: sessions stay assigned, new ones queue.
    await disconnect(socket);
    const agentsView = async () => (await ok(t.graphqlUrl, AgentsDocument, {}, admin.token)).agents.find((a) => a.id === staff.userId);
    await eventually(agentsView, (view) => view?.online === false);
    expect(await read(waiting.id)).toMatchObject({ agent: { id: staff.userId } });
    expect(await load(staff)).toBe(3);
    expect(await open()).toMatchObject({ agent: null, queuePosition: 1 });
  });

  it('keeps queued sessions and their order while agents toggle availability', async () => {
    const staff = await agent(1);
    await open();
    const queued = [await open(), await open(), await open()];
    for (const availability of ['OFFLINE', 'BUSY', 'ONLINE', 'OFFLINE'] as const) {
      await ok(t.graphqlUrl, SetAvailabilityDocument, { availability }, staff.token);
      const positions = await Promise.all(queued.map(async (s) => (await read(s.id)).queuePosition));
      expect(positions).toEqual([1, 2, 3]);
    }
  });

  it('queues guest and widget sessions and a customer message on an unassigned session, and shows the guest its place', async () => {
    const { createGuestSession } = await ok(t.graphqlUrl, CreateQueuedGuestSessionDocument, { sessionKey: randomUUID() });
    expect(createGuestSession.session).toMatchObject({ agent: null, queuePosition: 1 });
    const own = await ok(t.graphqlUrl, SessionQueueDocument, { id: createGuestSession.session.id }, createGuestSession.token);
    expect(own.session.queuePosition).toBe(1);

    // A session left unassigned and out of the queue (an agent was taken off it): the customer's next message queues it again.
    const loose = await open();
    await t.server.orm.em.fork().getConnection().execute(`update chat_sessions set queued_at = null where id = ?`, [loose.id]);
    expect(await read(loose.id)).toMatchObject({ queuePosition: null });
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: loose.id, content: 'anyone there?' }, customer.token);
    expect(await read(loose.id)).toMatchObject({ agent: null, queuePosition: 2 });
    // A widget conversation (seed 002) queues like any new session.
    const widget = await widgetConversation(t);
    expect(await read(widget.conversation)).toMatchObject({ agent: null, queuePosition: 3 });

    const staff = await agent(5);
    expect(await read(createGuestSession.session.id)).toMatchObject({ agent: { id: staff.userId }, queuePosition: null });
    expect(await read(loose.id)).toMatchObject({ agent: { id: staff.userId }, queuePosition: null });
    expect(await read(widget.conversation)).toMatchObject({ agent: { id: staff.userId }, queuePosition: null });
  });

  it('assigns through the assignAgent path: one session.updated event (changes: agent) on the inbox', async () => {
    const client = wsClient(t.url, admin.token);
    try {
      const inbox = subscribe(client, InboxAssignmentsDocument, { since: '0' });
      const session = await open();
      expect(session.agent).toBeNull();
      const staff = await agent(2);
      const updates = await inbox.until((items) => items.some((item) => item.inbox.sessionId === session.id && item.inbox.agentId === staff.userId), 'the assignment event');
      const forSession = updates.filter((item) => item.inbox.sessionId === session.id && item.inbox.type === 'SESSION_UPDATED');
      expect(forSession).toHaveLength(1);
      expect(forSession[0]!.inbox.changes).toEqual(['agent']);
      inbox.stop();
    } finally {
      await client.dispose();
    }
  });

  it("is a tenant's own: another tenant's agents and queue are not touched", async () => {
    const foreign = await foreignTenantAdmin(t);
    expect((await ok(t.graphqlUrl, AutoAssignmentDocument, {}, foreign.token)).autoAssignment).toBe(false);
    const staff = await agent(3);
    expect((await ok(t.graphqlUrl, AgentsDocument, {}, foreign.token)).agents.map((a) => a.id)).not.toContain(staff.userId);
    const theirs = (await ok(t.graphqlUrl, CreateQueuedSessionDocument, { subject: 'foreign' }, foreign.token)).createSession;
    expect(theirs).toMatchObject({ agent: null, queuePosition: null });
  });

  it('never goes above capacity nor assigns a session twice while many drains run at once (capacity changes and arrivals)', async () => {
    await ok(t.graphqlUrl, SetAutoAssignmentDocument, { enabled: true }, admin.token);
    const CAPACITY = 2;
    const staff = [await agent(0), await agent(0), await agent(0)];
    const waiting = [];
    for (let i = 0; i < 12; i++) waiting.push(await open(`waiting ${i}`));
    expect(waiting.every((session) => session.agent === null)).toBe(true);

    // Every call drains the queue after its own commit: without one drain at a time per tenant,
    // each would count the agents' free places before the others took them. (Embedded PGlite runs
    // one transaction at a time anyway; on PostgreSQL the drains overlap.)
    await Promise.all([
      ...staff.flatMap((actor) => Array.from({ length: 4 }, () => ok(t.graphqlUrl, SetAgentCapacityDocument, { agentId: actor.userId, capacity: CAPACITY }, admin.token))),
      ...Array.from({ length: 4 }, (_, i) => open(`arriving ${i}`)),
    ]);

    expect(await agentsOverCapacity(t, CAPACITY)).toEqual([]);
    // Every place was filled, each session by one assignment naming the agent it has.
    for (const actor of staff) expect(await load(actor)).toBe(CAPACITY);
    const assignments = await assignmentLog(t);
    const ofThisTest = assignments.filter((row) => staff.some((actor) => actor.userId === row.current));
    expect(ofThisTest).toHaveLength(staff.length * CAPACITY);
    for (const row of ofThisTest) expect(row.agents).toEqual([row.current]);
  });

  it('turned off, assigns nothing more, and queued sessions keep their place', async () => {
    const staff = await agent(1);
    await open();
    const queued = await open();
    expect(queued.queuePosition).toBe(1);
    await ok(t.graphqlUrl, SetAutoAssignmentDocument, { enabled: false }, admin.token);
    await ok(t.graphqlUrl, SetAgentCapacityDocument, { agentId: staff.userId, capacity: 3 }, admin.token);
    expect(await read(queued.id)).toMatchObject({ agent: null, queuePosition: 1 });
    expect(await open()).toMatchObject({ agent: null, queuePosition: null });
    await ok(t.graphqlUrl, SetAutoAssignmentDocument, { enabled: true }, admin.token);
    expect(await read(queued.id)).toMatchObject({ agent: { id: staff.userId }, queuePosition: null });
  });
});
