import type { Client } from 'graphql-ws';
import { UserRole } from '../src/shared/enums.js';
import {
  AddRoomMemberDocument,
  AssignAgentDocument,
  CloseSessionDocument,
  CreateRoomDocument,
  CreateSessionDocument,
  InboxDocument,
  MarkReadDocument,
  MessageAddedDocument,
  MessagesSinceDocument,
  RateSessionDocument,
  RemoveRoomMemberDocument,
  SendMessageDocument,
  SessionEventsDocument,
  type SessionEventsSubscription,
  SetTypingDocument,
} from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { type Actor, assignedSession, foreignTenantAdmin, guestSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { type Collected, subscribe, untilLive, wsClient } from './helpers/subscriptions.js';

type Event = SessionEventsSubscription['sessionEvents'];

let t: TestServer;
let admin: Actor;
let staff: Actor;
let owner: Actor;
let sessionId: string;
const clients: Client[] = [];

function client(token: string, onClose?: (code: number) => void): Client {
  const created = wsClient(t.url, token, onClose);
  clients.push(created);
  return created;
}

/** Subscribes to sessionEvents and waits until the server is delivering (typing ping from `pinger`). */
async function liveEvents(token: string, session: string, pinger: Actor = admin): Promise<Collected<{ sessionEvents: Event }>> {
  const events = subscribe(client(token), SessionEventsDocument, { sessionId: session });
  await untilLive(
    events,
    () => ok(t.graphqlUrl, SetTypingDocument, { sessionId: session, isTyping: false }, pinger.token),
    (item) => item.sessionEvents.__typename === 'TypingEvent',
  );
  return events;
}

const persisted = (items: { sessionEvents: Event }[]) => items.map((item) => item.sessionEvents).filter((event) => event.__typename !== 'TypingEvent');

beforeAll(async () => {
  t = await startTestServer();
  admin = await loginAdmin(t);
  staff = await userWithRole(t, admin, UserRole.STAFF);
  owner = await userWithRole(t, admin, UserRole.USER);
  sessionId = await assignedSession(t, admin, owner, staff);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await t.dispose();
});

describe('sessionEvents subscription', () => {
  it('delivers messages, typing and session updates of the session, each persisted event with its outbox id', async () => {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'events' }, owner.token);
    const events = await liveEvents(owner.token, createSession.id);

    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'hello' }, owner.token);
    await ok(t.graphqlUrl, SetTypingDocument, { sessionId: createSession.id, isTyping: true }, admin.token);
    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: createSession.id, agentId: staff.userId }, admin.token);
    const items = await events.until((all) => all.some((item) => item.sessionEvents.__typename === 'SessionUpdateEvent'));

    const message = items.find((item) => item.sessionEvents.__typename === 'MessageEvent')!.sessionEvents;
    expect(message).toMatchObject({ type: 'MESSAGE_CREATED', sessionId: createSession.id, message: { content: 'hello', senderType: 'USER', senderUserId: owner.userId } });
    const typing = items.find((item) => item.sessionEvents.__typename === 'TypingEvent' && item.sessionEvents.isTyping)!.sessionEvents;
    expect(typing).toMatchObject({ type: 'TYPING', userId: admin.userId, isTyping: true });
    const update = items.find((item) => item.sessionEvents.__typename === 'SessionUpdateEvent')!.sessionEvents;
    expect(update).toMatchObject({ type: 'SESSION_UPDATED', changes: ['agent'], agentId: staff.userId, status: 'ACTIVE' });
    const ids = persisted(items).map((event) => BigInt((event as { id: string }).id));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
    events.stop();
  });

  it('names each change with what the contract can change: AGENT, STATUS, RATING on a support session, MEMBERS on a room', async () => {
    const guest = await guestSession(t);
    const support = subscribe(client(admin.token), SessionEventsDocument, { sessionId: guest.sessionId, since: '0' });
    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: guest.sessionId, agentId: staff.userId }, admin.token);
    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: guest.sessionId }, admin.token);
    await ok(t.graphqlUrl, RateSessionDocument, { sessionId: guest.sessionId, score: 4 }, guest.token);
    const updates = (items: { sessionEvents: Event }[]) => persisted(items).filter((event) => event.__typename === 'SessionUpdateEvent');
    const changed = (items: { sessionEvents: Event }[]) => updates(items).filter((event) => event.type === 'SESSION_UPDATED');
    const supportUpdates = changed(await support.until((items) => changed(items).length >= 3, 'assign, close and rating', 10_000));
    expect(supportUpdates.map((event) => [event.changed, event.changes])).toEqual([
      [['AGENT'], ['agent']],
      [['STATUS'], ['status']],
      [['RATING'], ['rating']],
    ]);
    support.stop();

    const roomOwner = await userWithRole(t, admin, UserRole.USER);
    const member = await userWithRole(t, admin, UserRole.USER);
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'changes', memberIds: [] }, roomOwner.token);
    const room = subscribe(client(roomOwner.token), SessionEventsDocument, { sessionId: createRoom.id, since: '0' });
    await ok(t.graphqlUrl, AddRoomMemberDocument, { roomId: createRoom.id, userId: member.userId }, roomOwner.token);
    await ok(t.graphqlUrl, RemoveRoomMemberDocument, { roomId: createRoom.id, userId: member.userId }, roomOwner.token);
    const roomUpdates = updates(await room.until((items) => changed(items).length >= 2, 'member added and removed', 10_000));
    expect(roomUpdates.map((event) => [event.type, event.changed])).toEqual([
      ['SESSION_CREATED', []],
      ['SESSION_UPDATED', ['MEMBERS']],
      ['SESSION_UPDATED', ['MEMBERS']],
    ]);
    room.stop();
  });

  it('fails with FORBIDDEN and no event for a session the viewer may not read', async () => {
    const otherStaff = await userWithRole(t, admin, UserRole.STAFF);
    const events = subscribe(client(otherStaff.token), SessionEventsDocument, { sessionId });
    const errors = await events.ended();
    expect(errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(events.items).toEqual([]);
  });

  it("treats another tenant's session like one that does not exist", async () => {
    const foreign = await foreignTenantAdmin(t);
    const events = subscribe(client(foreign.token), SessionEventsDocument, { sessionId });
    expect((await events.ended())?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(events.items).toEqual([]);
  });

  it('never delivers an event of another session or another tenant', async () => {
    const foreign = await foreignTenantAdmin(t);
    const { createSession: foreignSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'theirs' }, foreign.token);
    const { createSession: other } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'other' }, owner.token);
    const { createSession: mine } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'mine' }, owner.token);
    const events = await liveEvents(owner.token, mine.id);

    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: other.id, content: 'elsewhere' }, owner.token);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: foreignSession.id, content: 'other tenant' }, foreign.token);
    await ok(t.graphqlUrl, SetTypingDocument, { sessionId: other.id, isTyping: true }, owner.token);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: mine.id, content: 'here' }, owner.token);
    const items = await events.until((all) => all.some((item) => item.sessionEvents.__typename === 'MessageEvent'));
    expect(items.every((item) => item.sessionEvents.sessionId === mine.id)).toBe(true);
    expect(persisted(items)).toHaveLength(1);
    events.stop();
  });

  it('fails with FORBIDDEN when the token expires while subscribed', async () => {
    const shortLived = await t.server.deps.tokens.issueAccessToken(owner.userId, t.server.defaultTenantId, 0, 2);
    const events = subscribe(client(shortLived), SessionEventsDocument, { sessionId, since: '0' });
    const errors = await events.ended();
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'TOKEN_EXPIRED' });
  }, 15_000);

  it('fails with FORBIDDEN and delivers nothing more once the subscriber is no longer assigned', async () => {
    const first = await userWithRole(t, admin, UserRole.STAFF);
    const session = await assignedSession(t, admin, owner, first);
    const events = await liveEvents(first.token, session, owner);
    // There is no reassign operation yet; change the assignment the way a future one would.
    await t.server.orm.em.fork().getConnection().execute('update chat_sessions set agent_id = null where id = ?', [session]);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: session, content: 'not for the old agent' }, owner.token);
    const errors = await events.ended();
    expect(errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(persisted(events.items).filter((event) => event.__typename === 'MessageEvent').length).toBeLessThanOrEqual(1);
  }, 15_000);
});

describe('the update that takes access away', () => {
  it('ends the subscription with FORBIDDEN instead of delivering it (a member removed from a room)', async () => {
    const owner2 = await userWithRole(t, admin, UserRole.USER);
    const member = await userWithRole(t, admin, UserRole.USER);
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'leaving', memberIds: [member.userId] }, owner2.token);
    const events = await liveEvents(member.token, createRoom.id, owner2);
    await ok(t.graphqlUrl, RemoveRoomMemberDocument, { roomId: createRoom.id, userId: member.userId }, owner2.token);
    const errors = await events.ended();
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(persisted(events.items)).toEqual([]);
  }, 15_000);
});

describe('typing', () => {
  it('expires on its own 6 seconds after the last refresh', async () => {
    const guest = await guestSession(t);
    const typing = await liveEvents(guest.token, guest.sessionId, { token: guest.token, userId: '' });
    const { setTyping } = await ok(t.graphqlUrl, SetTypingDocument, { sessionId: guest.sessionId, isTyping: true }, guest.token);
    expect(setTyping.userId).toMatch(/^guest:\d+$/);
    const items = await typing.until((all) => all.some((item) => item.sessionEvents.__typename === 'TypingEvent' && !item.sessionEvents.isTyping));
    const states = items
      .map((item) => item.sessionEvents)
      .filter((event) => event.__typename === 'TypingEvent')
      .map((event) => (event as { isTyping: boolean }).isTyping);
    expect(states).toEqual([true, false]);
    typing.stop();
  }, 15_000);

  it('postpones the expiry on every refresh: no isTyping false while refreshed every 3 s, then one 6 s after the last', async () => {
    const guest = await guestSession(t);
    const typing = await liveEvents(guest.token, guest.sessionId, { token: guest.token, userId: '' });
    const states = () => typing.items.flatMap(({ sessionEvents: event }) => (event.__typename === 'TypingEvent' ? [event.isTyping] : []));
    // Refreshes 3 s apart, half the 6 s lifetime: a refresh that did not postpone the expiry
    // would let the first signal expire 6 s in, 3 s before the last refresh.
    for (let refresh = 0; refresh < 4; refresh++) {
      if (refresh > 0) await new Promise((resolve) => setTimeout(resolve, 3_000));
      await ok(t.graphqlUrl, SetTypingDocument, { sessionId: guest.sessionId, isTyping: true }, guest.token);
    }
    await typing.count(4);
    expect(states()).toEqual([true, true, true, true]);
    await typing.until((items) => items.length > 4, 'the expiry');
    expect(states()).toEqual([true, true, true, true, false]);
    typing.stop();
  }, 30_000);
});

describe('delivery state', () => {
  it('marks a message DELIVERED when the recipient subscription delivered it, READ after markRead, both as events', async () => {
    const session = await assignedSession(t, admin, owner, staff);
    const ownerEvents = await liveEvents(owner.token, session);
    const staffEvents = subscribe(client(staff.token), MessageAddedDocument, { sessionId: session, since: '0' });
    const { sendMessage } = await ok(t.graphqlUrl, SendMessageDocument, { sessionId: session, content: 'are you there?' }, owner.token);
    await staffEvents.count(1);
    const receipt = (type: string) => (all: { sessionEvents: Event }[]) => all.some((item) => item.sessionEvents.__typename === 'ReadEvent' && item.sessionEvents.type === type);
    const delivered = await ownerEvents.until(receipt('DELIVERY_UPDATED'));
    expect(delivered.find((item) => item.sessionEvents.__typename === 'ReadEvent')!.sessionEvents).toMatchObject({ userId: staff.userId, messageId: sendMessage.message.id });
    let { messagesSince } = await ok(t.graphqlUrl, MessagesSinceDocument, { sessionId: session, afterId: '0' }, owner.token);
    expect(messagesSince.at(-1)).toMatchObject({ status: 'DELIVERED', read: false });

    await ok(t.graphqlUrl, MarkReadDocument, { sessionId: session, messageIds: [sendMessage.message.id] }, staff.token);
    await ownerEvents.until(receipt('READ_UPDATED'));
    ({ messagesSince } = await ok(t.graphqlUrl, MessagesSinceDocument, { sessionId: session, afterId: '0' }, owner.token));
    expect(messagesSince.at(-1)).toMatchObject({ status: 'READ', read: true });
    ownerEvents.stop();
    staffEvents.stop();
  });

  it('marks a message DELIVERED when the recipient fetched it', async () => {
    const session = await assignedSession(t, admin, owner, staff);
    const { sendMessage } = await ok(t.graphqlUrl, SendMessageDocument, { sessionId: session, content: 'fetch me' }, staff.token);
    let { messagesSince } = await ok(t.graphqlUrl, MessagesSinceDocument, { sessionId: session, afterId: '0' }, staff.token);
    expect(messagesSince.at(-1)).toMatchObject({ id: sendMessage.message.id, status: 'SENT' });
    await ok(t.graphqlUrl, MessagesSinceDocument, { sessionId: session, afterId: '0' }, owner.token);
    ({ messagesSince } = await ok(t.graphqlUrl, MessagesSinceDocument, { sessionId: session, afterId: '0' }, staff.token));
    expect(messagesSince.at(-1)).toMatchObject({ status: 'DELIVERED' });
  });
});

describe('inbox subscription', () => {
  it('shows admins every session of the tenant and staff only their own: created, assigned, closed', async () => {
    const adminInbox = subscribe(client(admin.token), InboxDocument, {});
    const staffInbox = subscribe(client(staff.token), InboxDocument, {});
    const otherStaff = await userWithRole(t, admin, UserRole.STAFF);
    // The inbox is live only: keep creating sessions until both subscriptions demonstrably see them.
    let mine = '';
    for (let attempt = 0; attempt < 50 && !staffInbox.items.length; attempt++) {
      mine = await assignedSession(t, admin, owner, staff);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await staffInbox.until((items) => items.some((item) => item.inbox.sessionId === mine && item.inbox.agentId === staff.userId));
    const theirs = await assignedSession(t, admin, owner, otherStaff);
    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: mine }, admin.token);
    await staffInbox.until((items) => items.some((item) => item.inbox.sessionId === mine && item.inbox.status === 'CLOSED'));
    await adminInbox.until((items) => items.some((item) => item.inbox.sessionId === mine && item.inbox.status === 'CLOSED'));
    expect(adminInbox.items.some((item) => item.inbox.sessionId === theirs && item.inbox.type === 'SESSION_CREATED')).toBe(true);
    expect(staffInbox.items.some((item) => item.inbox.sessionId === theirs)).toBe(false);
    adminInbox.stop();
    staffInbox.stop();
  });

  it('is refused to customers', async () => {
    const inbox = subscribe(client(owner.token), InboxDocument, {});
    expect((await inbox.ended())?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
