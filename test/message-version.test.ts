import { UserRole } from '../src/shared/enums.js';
import { DeleteVersionedDocument, EditVersionedDocument, SendMessageDocument, VersionedEventsDocument, VersionsOfPageDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { assignedSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, wsClient } from './helpers/subscriptions.js';

/**
 * Events never take a client cache backwards: a message carries a version that each
 * edit or delete raises, and every event carries the version it describes, so a replayed
 * `message.created` (version 1) loses against the page's edited copy (version 2).
 */
describe('message versions', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  }, 60_000);
  afterAll(async () => {
    await t.dispose();
  });

  it('starts at 1, grows with each edit and delete, and every event carries the version it describes', async () => {
    const admin = await loginAdmin(t);
    const customer = await userWithRole(t, admin, UserRole.USER);
    const staff = await userWithRole(t, admin, UserRole.STAFF);
    const sessionId = await assignedSession(t, admin, customer, staff);
    const { sendMessage } = await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'first draft' }, customer.token);
    expect(sendMessage.message).toMatchObject({ id: expect.any(String) });
    const id = sendMessage.message.id;

    const edited = await ok(t.graphqlUrl, EditVersionedDocument, { messageId: id, content: 'second draft' }, customer.token);
    expect(edited.editMessage).toEqual({ id, content: 'second draft', version: 2 });
    const { messages } = await ok(t.graphqlUrl, VersionsOfPageDocument, { sessionId }, staff.token);
    expect(messages.edges.find((edge) => edge.node.id === id)?.node).toMatchObject({ content: 'second draft', version: 2 });

    const deleted = await ok(t.graphqlUrl, DeleteVersionedDocument, { messageId: id }, customer.token);
    expect(deleted.deleteMessage).toEqual({ id, content: '', version: 3 });

    // Replayed from the start: the created event says version 1, so a cache holding version 3 keeps its copy.
    const client = wsClient(t.url, staff.token);
    try {
      const events = subscribe(client, VersionedEventsDocument, { sessionId, since: '0' });
      const items = await events.until((all) => all.filter((item) => item.sessionEvents.__typename === 'MessageEvent').length >= 3, 'three message events');
      events.stop();
      const versions = items.flatMap((item) => (item.sessionEvents.__typename === 'MessageEvent' ? [[item.sessionEvents.type, item.sessionEvents.message.version]] : []));
      expect(versions).toEqual([
        ['MESSAGE_CREATED', 1],
        ['MESSAGE_UPDATED', 2],
        ['MESSAGE_DELETED', 3],
      ]);
    } finally {
      await client.dispose();
    }
  }, 30_000);
});
