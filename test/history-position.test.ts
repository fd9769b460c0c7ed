import { UserRole } from '../src/shared/enums.js';
import {
  HistoryWithPositionDocument,
  MarkReadStateDocument,
  PageWithPositionDocument,
  SendMessageDocument,
  SessionEventsDocument,
  type SessionEventsSubscription,
  SessionPositionDocument,
} from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { type Actor, assignedSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, wsClient } from './helpers/subscriptions.js';

type Event = SessionEventsSubscription['sessionEvents'];
const messageIdOf = (event: Event) => (event.__typename === 'MessageEvent' && event.type === 'MESSAGE_CREATED' ? event.message.id : null);

/**
 * History then subscribe: every history read says where in the outbox it stands
 * (`lastEventId`), so a client that loads history and then subscribes `since` it sees every
 * message exactly once, even while messages keep arriving between the two.
 */
describe('lastEventId on history', () => {
  let t: TestServer;
  let customer: Actor;
  let staff: Actor;
  let sessionId: string;
  const send = (content: string) => ok(t.graphqlUrl, SendMessageDocument, { sessionId, content }, customer.token);

  beforeAll(async () => {
    t = await startTestServer();
    const admin = await loginAdmin(t);
    customer = await userWithRole(t, admin, UserRole.USER);
    staff = await userWithRole(t, admin, UserRole.STAFF);
    sessionId = await assignedSession(t, admin, customer, staff);
  }, 60_000);
  afterAll(async () => {
    await t.dispose();
  });

  it('continues after the page: the next event is the next message, and nothing of the page repeats', async () => {
    for (const content of ['one', 'two', 'three']) await send(content);
    const { messages } = await ok(t.graphqlUrl, HistoryWithPositionDocument, { sessionId, last: 100 }, staff.token);
    const { messagesPage } = await ok(t.graphqlUrl, PageWithPositionDocument, { sessionId, limit: 100 }, staff.token);
    const { session } = await ok(t.graphqlUrl, SessionPositionDocument, { id: sessionId }, staff.token);
    // Reading a page records the reader's delivery receipt (an event), so later reads stand further on.
    expect(Number(messagesPage.lastEventId)).toBeGreaterThanOrEqual(Number(messages.lastEventId));
    expect(Number(session.lastEventId)).toBeGreaterThanOrEqual(Number(messagesPage.lastEventId));
    expect(messagesPage.items.map((item) => item.content)).toEqual(messages.edges.map((edge) => edge.node.content));

    const client = wsClient(t.url, staff.token);
    try {
      const events = subscribe(client, SessionEventsDocument, { sessionId, since: messages.lastEventId });
      const { sendMessage } = await send('four');
      const items = await events.until((all) => all.some((item) => messageIdOf(item.sessionEvents) === sendMessage.message.id), 'message four');
      // The only message event after the page is the new one: nothing of the page comes again.
      expect(items.map((item) => messageIdOf(item.sessionEvents)).filter((id) => id !== null)).toEqual([sendMessage.message.id]);
      events.stop();
    } finally {
      await client.dispose();
    }
  }, 30_000);

  it('while messages keep arriving, page ∪ stream is every message and page ∩ stream is empty', async () => {
    const client = wsClient(t.url, staff.token);
    try {
      const sent: string[] = [];
      let sending = true;
      // Four senders at once, so reads keep landing between a send's commit and the next.
      const senders = Promise.all(
        [0, 1, 2, 3].map(async (lane) => {
          for (let i = 0; i < 25; i++) sent.push((await send(`burst ${lane}.${i}`)).sendMessage.message.id);
        }),
      ).finally(() => {
        sending = false;
      });
      const reads: { paged: string[]; events: ReturnType<typeof subscribe<SessionEventsSubscription, { sessionId: string; since: string }>> }[] = [];
      // At most 15: a connection may hold 20 subscriptions.
      while (sending && reads.length < 15) {
        const { messages } = await ok(t.graphqlUrl, HistoryWithPositionDocument, { sessionId, last: 100 }, staff.token);
        reads.push({ paged: messages.edges.map((edge) => edge.node.id), events: subscribe(client, SessionEventsDocument, { sessionId, since: messages.lastEventId }) });
      }
      await senders;
      expect(reads.length).toBeGreaterThan(3);
      const last = sent.reduce((a, b) => (BigInt(a) > BigInt(b) ? a : b));
      for (const { paged, events } of reads) {
        const items = await events.until((all) => all.some((item) => messageIdOf(item.sessionEvents) === last), 'the last message');
        events.stop();
        const streamed = items.map((item) => messageIdOf(item.sessionEvents)).filter((id): id is string => id !== null);
        expect(streamed.filter((id) => paged.includes(id))).toEqual([]);
        expect(new Set(streamed).size).toBe(streamed.length);
        // Everything sent after the page's newest message arrives on the stream.
        const newestPaged = paged.reduce((a, b) => (BigInt(a) > BigInt(b) ? a : b), '0');
        for (const id of sent) if (BigInt(id) > BigInt(newestPaged)) expect(streamed).toContain(id);
      }
    } finally {
      await client.dispose();
    }
  }, 90_000);

  it("a new session already stands past its creation; ReadState is keyed by the reader's participant, as ReadEvent names it", async () => {
    const admin = await loginAdmin(t);
    const other = await userWithRole(t, admin, UserRole.USER);
    const fresh = await assignedSession(t, admin, other, staff);
    const { session } = await ok(t.graphqlUrl, SessionPositionDocument, { id: fresh }, staff.token);
    expect(Number(session.lastEventId)).toBeGreaterThan(0); // creating and assigning are events
    const { sendMessage } = await ok(t.graphqlUrl, SendMessageDocument, { sessionId: fresh, content: 'hi' }, other.token);

    const client = wsClient(t.url, other.token);
    try {
      const events = subscribe(client, SessionEventsDocument, { sessionId: fresh, since: session.lastEventId });
      const { markRead } = await ok(t.graphqlUrl, MarkReadStateDocument, { sessionId: fresh, messageIds: [sendMessage.message.id] }, staff.token);
      expect(markRead).toMatchObject({ sessionId: fresh, lastReadMessageId: sendMessage.message.id });
      expect(markRead.id).toBe(markRead.participantId);
      const items = await events.until((all) => all.some((item) => item.sessionEvents.__typename === 'ReadEvent'), 'the read event');
      const read = items.map((item) => item.sessionEvents).find((event) => event.__typename === 'ReadEvent');
      expect(read?.__typename === 'ReadEvent' && read.participantId).toBe(markRead.id);
      events.stop();
    } finally {
      await client.dispose();
    }
  }, 30_000);
});
