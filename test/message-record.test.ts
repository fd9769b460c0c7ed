import { MessagesDocument, MessagesPageDocument, MessagesSinceDocument, SendMessageDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { guestSession, loginAdmin } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** A message as its sender and any reader see it alike (read state is per viewer, so it is left out). */
const shared = <M extends { read: boolean; status: unknown }>({ read, status, ...message }: M) => JSON.stringify(message);

describe('one record of a message', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.dispose());

  it('returns a sent message, metadata key order included, exactly as every later read returns it', async () => {
    const admin = await loginAdmin(t);
    const guest = await guestSession(t, 'Gwen');
    // Keys in an order jsonb does not keep (it sorts them by length, then bytes).
    const metadata = { zeta: 1, a: { yy: 2, b: 3 }, mid: [1, { z: true, c: null }] };
    const sent = [
      (await ok(t.graphqlUrl, SendMessageDocument, { sessionId: guest.sessionId, content: 'from the guest', metadata }, guest.token)).sendMessage.message,
      // The admin has no participant row yet: the send creates it.
      (await ok(t.graphqlUrl, SendMessageDocument, { sessionId: guest.sessionId, content: 'from the admin', metadata }, admin.token)).sendMessage.message,
    ];
    expect(sent.map((m) => m.senderName)).toEqual(['Gwen', expect.any(String)]);

    for (const reader of [guest.token, admin.token]) {
      const { messagesPage } = await ok(t.graphqlUrl, MessagesPageDocument, { sessionId: guest.sessionId }, reader);
      const { messages } = await ok(t.graphqlUrl, MessagesDocument, { sessionId: guest.sessionId }, reader);
      const { messagesSince } = await ok(t.graphqlUrl, MessagesSinceDocument, { sessionId: guest.sessionId, afterId: '0' }, reader);
      for (const read of [messagesPage.items, messages.edges.map((edge) => edge.node), messagesSince]) {
        expect(read.map(shared)).toEqual(sent.map(shared));
      }
    }
  });
});
