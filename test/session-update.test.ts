import type WebSocket from 'ws';
import { Priority, UserRole } from '../src/shared/enums.js';
import {
  CloseQueuedSessionDocument,
  CreatePrioritySessionDocument,
  CreateRoomDocument,
  PriorityQueueDocument,
  SessionEventsDocument,
  SetAgentCapacityDocument,
  SetAutoAssignmentDocument,
  SetAvailabilityDocument,
  UpdateSessionDocument,
} from './generated/graphql.js';
import { connectAgent, disconnect } from './helpers/agents.js';
import { gql, ok } from './helpers/client.js';
import { eventually } from './helpers/deadline.js';
import { type Actor, assignedSession, foreignTenantAdmin, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, wsClient } from './helpers/subscriptions.js';

let t: TestServer;
let admin: Actor;
let staff: Actor;
let otherStaff: Actor;
let customer: Actor;
let foreign: Actor;

beforeAll(async () => {
  t = await startTestServer();
  admin = await loginAdmin(t);
  staff = await userWithRole(t, admin, UserRole.STAFF);
  otherStaff = await userWithRole(t, admin, UserRole.STAFF);
  customer = await userWithRole(t, admin, UserRole.USER);
  foreign = await foreignTenantAdmin(t);
});
afterAll(() => t.dispose());

const reasonOf = async (result: Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>) => {
  const { errors } = await result;
  return errors ? `${errors[0]?.extensions?.code} ${errors[0]?.extensions?.reason ?? ''}`.trim() : 'OK';
};

describe('updateSession', () => {
  it('changes what is given, by the assigned agent or an admin, with one event naming the changes', async () => {
    const sessionId = await assignedSession(t, admin, customer, staff);
    const client = wsClient(t.url, customer.token);
    const events = subscribe(client, SessionEventsDocument, { sessionId, since: '0' });
    try {
      const { updateSession } = await ok(t.graphqlUrl, UpdateSessionDocument, { sessionId, priority: Priority.HIGH, tags: [' Billing ', 'vip'] }, staff.token);
      expect(updateSession).toMatchObject({ priority: 'HIGH', tags: ['billing', 'vip'], subject: 'Help' });
      // Nothing changes: no event. Then a subject change alone, then clearing it.
      await ok(t.graphqlUrl, UpdateSessionDocument, { sessionId, priority: Priority.HIGH, tags: ['billing', 'vip'] }, staff.token);
      expect((await ok(t.graphqlUrl, UpdateSessionDocument, { sessionId, subject: 'Refund for order 42' }, admin.token)).updateSession.subject).toBe('Refund for order 42');
      expect((await ok(t.graphqlUrl, UpdateSessionDocument, { sessionId, subject: '' }, admin.token)).updateSession).toMatchObject({ subject: null, priority: 'HIGH', tags: ['billing', 'vip'] });

      const changed = (items: typeof events.items) =>
        items.flatMap(({ sessionEvents: event }) => (event.__typename === 'SessionUpdateEvent' && event.type === 'SESSION_UPDATED' && !event.changed.includes('AGENT') ? [event.changed] : []));
      await events.until((items) => changed(items).length >= 3, 'three update events', 20_000);
      expect(changed(events.items)).toEqual([['PRIORITY', 'TAGS'], ['SUBJECT'], ['SUBJECT']]);
    } finally {
      await client.dispose();
    }
  });

  it('is refused to anyone but an admin or the agent who holds the session, and to rooms', async () => {
    const sessionId = await assignedSession(t, admin, customer, staff);
    expect(await reasonOf(gql(t.graphqlUrl, UpdateSessionDocument, { sessionId, priority: Priority.LOW }, otherStaff.token))).toBe('FORBIDDEN NOT_ASSIGNED');
    expect(await reasonOf(gql(t.graphqlUrl, UpdateSessionDocument, { sessionId, priority: Priority.LOW }, customer.token))).toBe('FORBIDDEN STAFF_ONLY');
    expect(await reasonOf(gql(t.graphqlUrl, UpdateSessionDocument, { sessionId, priority: Priority.LOW }, foreign.token))).toBe('NOT_FOUND SESSION_NOT_FOUND');
    expect(await reasonOf(gql(t.graphqlUrl, UpdateSessionDocument, { sessionId, priority: Priority.LOW }))).toBe('UNAUTHENTICATED AUTHENTICATION_REQUIRED');
    expect(await reasonOf(gql(t.graphqlUrl, UpdateSessionDocument, { sessionId, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, admin.token))).toContain('BAD_USER_INPUT');
    expect(await reasonOf(gql(t.graphqlUrl, UpdateSessionDocument, { sessionId, subject: 'bell \u0007' }, admin.token))).toBe('BAD_USER_INPUT INVALID_TEXT');
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'team room', memberIds: [] }, admin.token);
    expect(await reasonOf(gql(t.graphqlUrl, UpdateSessionDocument, { sessionId: createRoom.id, priority: Priority.HIGH }, admin.token))).toBe('BAD_USER_INPUT NOT_ASSIGNABLE');
  });
});

describe('the auto-assignment queue', () => {
  const sockets: WebSocket[] = [];
  afterAll(async () => {
    for (const socket of sockets) await disconnect(socket);
    await ok(t.graphqlUrl, SetAutoAssignmentDocument, { enabled: false }, admin.token);
  });

  it('drains by priority, then by the oldest wait; raising a priority moves a session up', async () => {
    await ok(t.graphqlUrl, SetAutoAssignmentDocument, { enabled: true }, admin.token);
    const priorities = [Priority.LOW, Priority.MEDIUM, Priority.HIGH];
    const opened: { id: string; priority: Priority }[] = [];
    for (let i = 0; i < 12; i++) {
      const priority = priorities[i % 3]!;
      const { createSession } = await ok(t.graphqlUrl, CreatePrioritySessionDocument, { subject: `queued ${i}`, priority }, customer.token);
      expect(createSession.agent).toBeNull();
      opened.push({ id: createSession.id, priority });
    }
    const position = async (id: string) => (await ok(t.graphqlUrl, PriorityQueueDocument, { id }, admin.token)).session.queuePosition;
    const byRank = (list: typeof opened) => [
      ...list.filter((s) => s.priority === Priority.HIGH),
      ...list.filter((s) => s.priority === Priority.MEDIUM),
      ...list.filter((s) => s.priority === Priority.LOW),
    ];
    const expected = byRank(opened);
    for (const [index, session] of expected.entries()) expect({ id: session.id, position: await position(session.id) }).toEqual({ id: session.id, position: index + 1 });

    // The newest LOW session becomes HIGH: behind the three HIGH ones that waited longer, ahead of the newer HIGH one and all others.
    const raised = opened[9]!;
    await ok(t.graphqlUrl, UpdateSessionDocument, { sessionId: raised.id, priority: Priority.HIGH }, admin.token);
    expect(await position(raised.id)).toBe(4);

    // One agent with five seats takes exactly the five at the front.
    const agent = await userWithRole(t, admin, UserRole.STAFF);
    await ok(t.graphqlUrl, SetAgentCapacityDocument, { agentId: agent.userId, capacity: 5 }, admin.token);
    sockets.push(await connectAgent(t.url, agent.token));
    await ok(t.graphqlUrl, SetAvailabilityDocument, { availability: 'ONLINE' }, agent.token);
    const front = [...expected.filter((s) => s.priority === Priority.HIGH).map((s) => s.id), raised.id];
    const agentOf = async (id: string) => (await ok(t.graphqlUrl, PriorityQueueDocument, { id }, admin.token)).session.agent?.id ?? null;
    await eventually(
      () => Promise.all(front.map(agentOf)),
      (agents) => agents.every((id) => id === agent.userId),
      20_000,
      'the five front sessions assigned',
    );
    const rest = expected.filter((s) => !front.includes(s.id));
    for (const [index, session] of rest.entries())
      expect({ id: session.id, agent: await agentOf(session.id), position: await position(session.id) }).toEqual({ id: session.id, agent: null, position: index + 1 });
    for (const session of opened) await ok(t.graphqlUrl, CloseQueuedSessionDocument, { sessionId: session.id }, admin.token);
  });
});
