import type { Client } from 'graphql-ws';
import pino from 'pino';
import WebSocket from 'ws';
import type { Reaction } from '../src/reactions/reaction.js';
import { ReactionRunner } from '../src/reactions/reaction-runner.js';
import { UserRole } from '../src/shared/enums.js';
import {
  AssignAgentDocument,
  CloseSessionDocument,
  CreateRoomDocument,
  CreateSessionDocument,
  CreateWebhookDocument,
  MessagesPageDocument,
  ReopenSessionDocument,
  SendMessageDocument,
  SessionDocument,
  SetTypingDocument,
  TransferSessionDocument,
  UnassignSessionDocument,
  WorkflowEventsDocument,
  type WorkflowEventsSubscription,
  WorkflowInboxDocument,
  type WorkflowInboxSubscription,
  WorkflowSessionStateDocument,
  WorkflowSessionUpdatedDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, assignedSession, foreignTenantAdmin, guestSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { type Collected, subscribe, untilLive, wsClient, wsUrl } from './helpers/subscriptions.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

type Event = WorkflowEventsSubscription['sessionEvents'];

let t: TestServer;
let admin: Actor;
let staffA: Actor;
let staffB: Actor;
let owner: Actor;
let foreign: Actor;
const clients: Client[] = [];

function client(token: string): Client {
  const created = wsClient(t.url, token);
  clients.push(created);
  return created;
}

/** Subscribes to sessionEvents and waits until the server is delivering (typing ping from `pinger`). */
async function liveEvents(token: string, sessionId: string, pinger: Actor): Promise<Collected<{ sessionEvents: Event }>> {
  const events = subscribe(client(token), WorkflowEventsDocument, { sessionId });
  await untilLive(
    events,
    () => ok(t.graphqlUrl, SetTypingDocument, { sessionId, isTyping: false }, pinger.token),
    (item) => item.sessionEvents.__typename === 'TypingEvent',
  );
  return events;
}

const updates = (items: { sessionEvents: Event }[]) =>
  items.map((item) => item.sessionEvents).filter((event): event is Extract<Event, { __typename: 'SessionUpdateEvent' }> => event.__typename === 'SessionUpdateEvent');

const reasonOf = async (result: Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>) => {
  const { errors } = await result;
  return errors?.[0]?.extensions ? { code: errors[0].extensions.code, reason: errors[0].extensions.reason } : 'OK';
};

const state = async (sessionId: string) => (await ok(t.graphqlUrl, WorkflowSessionStateDocument, { id: sessionId }, admin.token)).session;

beforeAll(async () => {
  t = await startTestServer();
  admin = await loginAdmin(t);
  staffA = await userWithRole(t, admin, UserRole.STAFF);
  staffB = await userWithRole(t, admin, UserRole.STAFF);
  owner = await userWithRole(t, admin, UserRole.USER);
  foreign = await foreignTenantAdmin(t);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await t.dispose();
});

describe('transferSession', () => {
  it('moves access from the old agent to the new one (admin)', async () => {
    const sessionId = await assignedSession(t, admin, owner, staffA);
    const { transferSession } = await ok(t.graphqlUrl, TransferSessionDocument, { sessionId, agentId: staffB.userId }, admin.token);
    expect(transferSession.agent?.id).toBe(staffB.userId);
    expect(transferSession.status).toBe('ACTIVE');

    expect(await reasonOf(gql(t.graphqlUrl, SessionDocument, { id: sessionId }, staffA.token))).toEqual({ code: 'FORBIDDEN', reason: 'NOT_ASSIGNED' });
    expect(await reasonOf(gql(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'still mine?' }, staffA.token))).toEqual({ code: 'FORBIDDEN', reason: 'NOT_ASSIGNED' });
    expect(await reasonOf(gql(t.graphqlUrl, MessagesPageDocument, { sessionId }, staffA.token))).toEqual({ code: 'FORBIDDEN', reason: 'NOT_ASSIGNED' });
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'I take it from here' }, staffB.token);
    await ok(t.graphqlUrl, SessionDocument, { id: sessionId }, staffB.token);
  });

  it('lets the assigned agent hand over to another staff member or to an admin, and nobody else', async () => {
    const sessionId = await assignedSession(t, admin, owner, staffA);
    expect(await reasonOf(gql(t.graphqlUrl, TransferSessionDocument, { sessionId, agentId: staffB.userId }, staffB.token))).toEqual({ code: 'FORBIDDEN', reason: 'NOT_ASSIGNED' });
    expect(await reasonOf(gql(t.graphqlUrl, TransferSessionDocument, { sessionId, agentId: staffB.userId }, owner.token))).toEqual({ code: 'FORBIDDEN', reason: 'STAFF_ONLY' });
    await ok(t.graphqlUrl, TransferSessionDocument, { sessionId, agentId: staffB.userId }, staffA.token);
    // Staff B hands it to an admin; the admin is now its agent.
    const { transferSession } = await ok(t.graphqlUrl, TransferSessionDocument, { sessionId, agentId: admin.userId }, staffB.token);
    expect(transferSession.agent?.id).toBe(admin.userId);
    expect(await reasonOf(gql(t.graphqlUrl, SessionDocument, { id: sessionId }, staffB.token))).toEqual({ code: 'FORBIDDEN', reason: 'NOT_ASSIGNED' });
  });

  it('refuses targets that are not staff or admins of the tenant, and states that do not allow it', async () => {
    const sessionId = await assignedSession(t, admin, owner, staffA);
    const transfer = (agentId: string, as: Actor = admin, session = sessionId) => reasonOf(gql(t.graphqlUrl, TransferSessionDocument, { sessionId: session, agentId }, as.token));
    expect(await transfer(owner.userId)).toEqual({ code: 'BAD_USER_INPUT', reason: 'NOT_STAFF' });
    const bot = await userWithRole(t, admin, UserRole.BOT);
    expect(await transfer(bot.userId)).toEqual({ code: 'BAD_USER_INPUT', reason: 'NOT_STAFF' });
    expect(await transfer('987654321')).toEqual({ code: 'NOT_FOUND', reason: 'AGENT_NOT_FOUND' });
    // Another tenant's admin is exactly a missing user.
    expect(await transfer(foreign.userId)).toEqual({ code: 'NOT_FOUND', reason: 'AGENT_NOT_FOUND' });
    expect(await transfer('not-an-id')).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await transfer(staffA.userId)).toEqual({ code: 'CONFLICT', reason: 'ALREADY_ASSIGNED' });
    // Another tenant's session is exactly a missing one.
    expect(await transfer(staffB.userId, foreign)).toEqual({ code: 'NOT_FOUND', reason: 'SESSION_NOT_FOUND' });

    const { createSession: unassigned } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'queue' }, owner.token);
    expect(await transfer(staffB.userId, admin, unassigned.id)).toEqual({ code: 'CONFLICT', reason: 'SESSION_UNASSIGNED' });

    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId }, admin.token);
    expect(await transfer(staffB.userId)).toEqual({ code: 'CONFLICT', reason: 'SESSION_CLOSED' });

    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'not support' }, admin.token);
    expect(await transfer(staffB.userId, admin, createRoom.id)).toEqual({ code: 'BAD_USER_INPUT', reason: 'NOT_ASSIGNABLE' });
    // Nothing above changed the session.
    expect((await state(sessionId)).agent?.id).toBe(staffA.userId);
  });

  it("ends the old agent's live subscription with FORBIDDEN and reaches the new agent", async () => {
    const sessionId = await assignedSession(t, admin, owner, staffA);
    const old = await liveEvents(staffA.token, sessionId, owner);
    const { lastEventId } = await state(sessionId);
    await ok(t.graphqlUrl, TransferSessionDocument, { sessionId, agentId: staffB.userId }, admin.token);
    const errors = await old.ended();
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_ASSIGNED' });
    expect(updates(old.items)).toEqual([]);

    await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'after the transfer' }, owner.token);
    const fresh = subscribe(client(staffB.token), WorkflowEventsDocument, { sessionId, since: lastEventId });
    const items = await fresh.until((all) => all.some((item) => item.sessionEvents.__typename === 'MessageEvent'));
    expect(updates(items)).toEqual([
      expect.objectContaining({ type: 'SESSION_UPDATED', action: 'TRANSFERRED', changes: ['agent'], agentId: staffB.userId, previousAgentId: staffA.userId, actorId: admin.userId }),
    ]);
    fresh.stop();
  });
});

describe('the legacy chat WebSocket (seed 001)', () => {
  it("closes the old agent's socket with 1008 on the transfer, without delivering it", async () => {
    const sessionId = await assignedSession(t, admin, owner, staffA);
    const { lastEventId } = await state(sessionId);
    const socket = new WebSocket(wsUrl(t.url, `/ws/chat/${sessionId}?since=${lastEventId}`), { headers: { authorization: `Bearer ${staffA.token}` } });
    const frames: { type: string }[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(String(data)) as { type: string }));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    // Live before the transfer: a message sent now arrives on the socket.
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'before' }, owner.token);
    while (!frames.some((frame) => frame.type === 'message')) await new Promise((resolve) => socket.once('message', resolve));
    await ok(t.graphqlUrl, TransferSessionDocument, { sessionId, agentId: staffB.userId }, admin.token);
    expect(await closed).toBe(1008);
    expect(frames.filter((frame) => frame.type === 'session_update')).toEqual([]);
  });
});

describe('unassignSession', () => {
  it('puts the session back in the queue, keeping a waiting customer waiting', async () => {
    const sessionId = await assignedSession(t, admin, owner, staffA);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'hello?' }, owner.token);
    const before = await state(sessionId);
    expect(before.waitingSince).not.toBeNull();

    expect(await reasonOf(gql(t.graphqlUrl, UnassignSessionDocument, { sessionId }, staffB.token))).toEqual({ code: 'FORBIDDEN', reason: 'NOT_ASSIGNED' });
    expect(await reasonOf(gql(t.graphqlUrl, UnassignSessionDocument, { sessionId }, owner.token))).toEqual({ code: 'FORBIDDEN', reason: 'STAFF_ONLY' });
    const { unassignSession } = await ok(t.graphqlUrl, UnassignSessionDocument, { sessionId }, staffA.token);
    expect(unassignSession.agent).toBeNull();
    expect(unassignSession.waitingSince).toBe(before.waitingSince);
    expect(unassignSession.firstResponseAt).toBeNull();
    expect(await reasonOf(gql(t.graphqlUrl, SessionDocument, { id: sessionId }, staffA.token))).toEqual({ code: 'FORBIDDEN', reason: 'NOT_ASSIGNED' });
    expect(await reasonOf(gql(t.graphqlUrl, UnassignSessionDocument, { sessionId }, admin.token))).toEqual({ code: 'CONFLICT', reason: 'SESSION_UNASSIGNED' });

    // Back in the queue: assignable again, and the first reply still ends the original wait.
    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId, agentId: staffB.userId }, admin.token);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'here now' }, staffB.token);
    const after = await state(sessionId);
    expect(after.waitingSince).toBeNull();
    expect(after.firstResponseAt).not.toBeNull();
  });

  it("treats another tenant's session like a missing one, and refuses guests, bots and the anonymous", async () => {
    const sessionId = await assignedSession(t, admin, owner, staffA);
    expect(await reasonOf(gql(t.graphqlUrl, UnassignSessionDocument, { sessionId }, foreign.token))).toEqual({ code: 'NOT_FOUND', reason: 'SESSION_NOT_FOUND' });
    const guest = await guestSession(t);
    expect(await reasonOf(gql(t.graphqlUrl, UnassignSessionDocument, { sessionId: guest.sessionId }, guest.token))).toEqual({ code: 'FORBIDDEN', reason: 'GUEST_NOT_ALLOWED' });
    expect(await reasonOf(gql(t.graphqlUrl, UnassignSessionDocument, { sessionId }))).toMatchObject({ code: 'UNAUTHENTICATED' });
    const bot = await userWithRole(t, admin, UserRole.BOT);
    expect(await reasonOf(gql(t.graphqlUrl, TransferSessionDocument, { sessionId, agentId: staffB.userId }, bot.token))).toEqual({ code: 'FORBIDDEN', reason: 'STAFF_ONLY' });
  });
});

describe('reopenSession', () => {
  it('makes a closed session ACTIVE again, so sending works again', async () => {
    const sessionId = await assignedSession(t, admin, owner, staffA);
    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId }, admin.token);
    expect((await state(sessionId)).endedAt).not.toBeNull();
    expect(await reasonOf(gql(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'late' }, owner.token))).toEqual({ code: 'CONFLICT', reason: 'SESSION_CLOSED' });
    expect(await reasonOf(gql(t.graphqlUrl, ReopenSessionDocument, { sessionId }, staffB.token))).toEqual({ code: 'FORBIDDEN', reason: 'NOT_ASSIGNED' });
    expect(await reasonOf(gql(t.graphqlUrl, ReopenSessionDocument, { sessionId }, owner.token))).toEqual({ code: 'FORBIDDEN', reason: 'STAFF_ONLY' });

    const { reopenSession } = await ok(t.graphqlUrl, ReopenSessionDocument, { sessionId }, staffA.token);
    expect(reopenSession).toMatchObject({ status: 'ACTIVE', endedAt: null, waitingSince: null, agent: { id: staffA.userId } });
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'one more thing' }, owner.token);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'sure' }, staffA.token);
    expect(await reasonOf(gql(t.graphqlUrl, ReopenSessionDocument, { sessionId }, admin.token))).toEqual({ code: 'CONFLICT', reason: 'SESSION_NOT_CLOSED' });
    // The seeds' rules stay: assigning an assigned session is 409.
    expect(await reasonOf(gql(t.graphqlUrl, AssignAgentDocument, { sessionId, agentId: staffB.userId }, admin.token))).toEqual({ code: 'CONFLICT', reason: 'ALREADY_ASSIGNED' });
  });

  it('lets an admin reopen an unassigned closed session back into the queue', async () => {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'closed unassigned' }, owner.token);
    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: createSession.id }, admin.token);
    const { reopenSession } = await ok(t.graphqlUrl, ReopenSessionDocument, { sessionId: createSession.id }, admin.token);
    expect(reopenSession).toMatchObject({ status: 'ACTIVE', agent: null, endedAt: null });
    expect(await reasonOf(gql(t.graphqlUrl, ReopenSessionDocument, { sessionId: createSession.id }, foreign.token))).toEqual({ code: 'NOT_FOUND', reason: 'SESSION_NOT_FOUND' });
  });
});

describe('workflow events', () => {
  it('arrive on sessionEvents and sessionUpdated in order, each with its action and agents', async () => {
    const sessionId = await assignedSession(t, admin, owner, staffA);
    const { lastEventId } = await state(sessionId);
    const events = subscribe(client(admin.token), WorkflowEventsDocument, { sessionId, since: lastEventId });
    const updated = subscribe(client(admin.token), WorkflowSessionUpdatedDocument, { sessionId, since: lastEventId });

    await ok(t.graphqlUrl, TransferSessionDocument, { sessionId, agentId: staffB.userId }, admin.token);
    await ok(t.graphqlUrl, UnassignSessionDocument, { sessionId }, staffB.token);
    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId, agentId: staffA.userId }, admin.token);
    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId }, admin.token);
    await ok(t.graphqlUrl, ReopenSessionDocument, { sessionId }, staffA.token);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'reopened' }, owner.token);

    const items = await events.until((all) => all.some((item) => item.sessionEvents.__typename === 'MessageEvent'));
    expect(updates(items).map(({ action, previousAgentId, agentId, status, actorId }) => ({ action, previousAgentId, agentId, status, actorId }))).toEqual([
      { action: 'TRANSFERRED', previousAgentId: staffA.userId, agentId: staffB.userId, status: 'ACTIVE', actorId: admin.userId },
      { action: 'UNASSIGNED', previousAgentId: staffB.userId, agentId: null, status: 'ACTIVE', actorId: staffB.userId },
      { action: 'ASSIGNED', previousAgentId: null, agentId: staffA.userId, status: 'ACTIVE', actorId: admin.userId },
      { action: 'CLOSED', previousAgentId: staffA.userId, agentId: staffA.userId, status: 'CLOSED', actorId: admin.userId },
      { action: 'REOPENED', previousAgentId: staffA.userId, agentId: staffA.userId, status: 'ACTIVE', actorId: staffA.userId },
    ]);
    expect(items.at(-1)!.sessionEvents.__typename).toBe('MessageEvent');
    const ids = items
      .map((item) => item.sessionEvents)
      .filter((e) => 'id' in e)
      .map((e) => BigInt((e as { id: string }).id));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    events.stop();

    await updated.until((all) => all.some((item) => item.sessionUpdated.action === 'REOPENED'));
    expect(updated.items.map((item) => item.sessionUpdated.action)).toEqual(['TRANSFERRED', 'UNASSIGNED', 'ASSIGNED', 'CLOSED', 'REOPENED']);
    updated.stop();
  });

  it("reach both agents' inboxes: the old one sees the session leave, the new one sees it arrive", async () => {
    const sessionId = await assignedSession(t, admin, owner, staffA);
    const { lastEventId } = await state(sessionId);
    const inboxA = subscribe(client(staffA.token), WorkflowInboxDocument, { since: lastEventId });
    const inboxB = subscribe(client(staffB.token), WorkflowInboxDocument, { since: lastEventId });
    const adminInbox = subscribe(client(admin.token), WorkflowInboxDocument, { since: lastEventId });

    await ok(t.graphqlUrl, TransferSessionDocument, { sessionId, agentId: staffB.userId }, staffA.token);
    await ok(t.graphqlUrl, UnassignSessionDocument, { sessionId }, staffB.token);

    const mine = (items: WorkflowInboxSubscription[]) => items.filter((item) => item.inbox.sessionId === sessionId).map((item) => item.inbox);
    await inboxB.until((items) => mine(items).some((e) => e.action === 'UNASSIGNED'));
    expect(mine(inboxB.items).map((e) => [e.action, e.previousAgentId, e.agentId])).toEqual([
      ['TRANSFERRED', staffA.userId, staffB.userId],
      ['UNASSIGNED', staffB.userId, null],
    ]);
    await inboxA.until((items) => mine(items).some((e) => e.action === 'TRANSFERRED'));
    expect(mine(inboxA.items).map((e) => e.action)).toEqual(['TRANSFERRED']);
    await adminInbox.until((items) => mine(items).some((e) => e.action === 'UNASSIGNED'));
    expect(mine(adminInbox.items).map((e) => e.action)).toEqual(['TRANSFERRED', 'UNASSIGNED']);
    for (const inbox of [inboxA, inboxB, adminInbox]) inbox.stop();
  });

  describe('webhooks', () => {
    let receiver: WebhookReceiver;
    beforeAll(async () => {
      receiver = await startWebhookReceiver();
    });
    afterAll(() => receiver.close());

    it('deliver session.updated with the action and the previous agent', async () => {
      await ok(t.graphqlUrl, CreateWebhookDocument, { url: receiver.url, events: ['session.updated'] }, admin.token);
      const sessionId = await assignedSession(t, admin, owner, staffA);
      await ok(t.graphqlUrl, TransferSessionDocument, { sessionId, agentId: staffB.userId }, admin.token);
      await ok(t.graphqlUrl, UnassignSessionDocument, { sessionId }, admin.token);
      const ofSession = () => receiver.accepted().filter((hook) => hook.json.sessionId === sessionId);
      await receiver.waitFor(() => ofSession().some((hook) => (hook.json.data as { action?: string }).action === 'UNASSIGNED'), 'the unassignment');
      const bodies = ofSession().map((hook) => hook.json.data as { action: string; previousAgentId: string | null; session: { agentId: string | null } });
      expect(bodies.map((data) => [data.action, data.previousAgentId, data.session.agentId])).toEqual([
        ['ASSIGNED', null, staffA.userId],
        ['TRANSFERRED', staffA.userId, staffB.userId],
        ['UNASSIGNED', staffB.userId, null],
      ]);
    });
  });
});

describe('agents letting go of sessions, as a reaction sees them', () => {
  it('a reaction gets every release (close, unassign, transfer) once, after commit; its failure is retried and never fails the step', async () => {
    const released: { agentId: string; sessionId: string; action: string }[] = [];
    let failedOnce = false;
    const freeing = new Set(['CLOSED', 'UNASSIGNED', 'TRANSFERRED']);
    // A new reaction starts below the oldest transaction running anywhere in the cluster (so no
    // late commit is passed over), which on a busy CI database server can include earlier tests'
    // events: this one watches only the sessions it makes.
    const watched = new Set<string>();
    const reaction: Reaction = {
      name: 'workflow-test-releases',
      events: ['session.updated'],
      handle: async (event) => {
        if (event.type !== 'session.updated' || !watched.has(event.sessionId)) return;
        const { action, previousAgentId } = event.payload;
        if (!previousAgentId || !action || !freeing.has(action)) return;
        if (released.length === 1 && !failedOnce) {
          failedOnce = true;
          throw new Error('a broken reaction');
        }
        released.push({ agentId: previousAgentId, sessionId: event.sessionId, action });
      },
    };
    const runner = new ReactionRunner(t.server.orm, [reaction], { pollIntervalMs: 50, leaseMs: 5_000, maxAttempts: 5, retryBaseMs: 20 }, pino({ level: 'silent' }));
    await runner.prepare();
    runner.start();
    try {
      const first = await assignedSession(t, admin, owner, staffA);
      watched.add(first);
      await ok(t.graphqlUrl, TransferSessionDocument, { sessionId: first, agentId: staffB.userId }, admin.token);
      await ok(t.graphqlUrl, UnassignSessionDocument, { sessionId: first }, staffB.token);
      await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: first }, admin.token); // no agent: nothing freed
      await ok(t.graphqlUrl, ReopenSessionDocument, { sessionId: first }, admin.token);
      const second = await assignedSession(t, admin, owner, staffA);
      watched.add(second);
      await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: second }, admin.token);
      // The step whose reaction failed still happened.
      expect((await state(first)).agent).toBeNull();
      const deadline = Date.now() + 10_000;
      while (released.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(failedOnce).toBe(true);
      expect(released).toEqual([
        { agentId: staffA.userId, sessionId: first, action: 'TRANSFERRED' },
        { agentId: staffB.userId, sessionId: first, action: 'UNASSIGNED' },
        { agentId: staffA.userId, sessionId: second, action: 'CLOSED' },
      ]);
    } finally {
      await runner.stop();
    }
  });
});
