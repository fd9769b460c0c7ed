import { UserRole } from '../src/shared/enums.js';
import { MarkReadDocument, MessagesDocument, MessagesPageDocument, type MessagesQuery, MessagesSinceDocument, SendMessageDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, assignedSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const TOTAL = 250;

describe('message paging over 250 messages', () => {
  let t: TestServer;
  let owner: Actor;
  let sessionId: string;
  let sent: string[];
  let staff: Actor;
  const staffOfSession = async () => ({ staffToken: staff.token });

  beforeAll(async () => {
    t = await startTestServer();
    const admin = await loginAdmin(t);
    staff = await userWithRole(t, admin, UserRole.STAFF);
    owner = await userWithRole(t, admin, UserRole.USER);
    sessionId = await assignedSession(t, admin, owner, staff);
    sent = [];
    // Alternate senders so the page contents are not uniform; sequential so the order is known.
    for (let i = 0; i < TOTAL; i++) {
      const author = i % 3 === 2 ? staff : owner;
      const { sendMessage } = await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: `message ${i}` }, author.token);
      sent.push(sendMessage.message.id);
    }
  }, 120_000);
  afterAll(() => t.dispose());

  const expectSameAsSent = (ids: string[]) => {
    expect(ids).toEqual(sent);
    expect(new Set(ids).size).toBe(TOTAL);
  };

  it('walks forward with first/after to exactly the sent messages, in order', async () => {
    const ids: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const { messages }: MessagesQuery = await ok(t.graphqlUrl, MessagesDocument, { sessionId, first: 40, after }, owner.token);
      expect(messages.totalCount).toBe(TOTAL);
      expect(messages.pageInfo.hasPreviousPage).toBe(after !== null);
      ids.push(...messages.edges.map((e) => e.node.id));
      pages++;
      if (!messages.pageInfo.hasNextPage) break;
      after = messages.pageInfo.endCursor;
    }
    expect(pages).toBe(Math.ceil(TOTAL / 40));
    expectSameAsSent(ids);
  });

  it('walks backward with last/before to exactly the sent messages', async () => {
    const pages: string[][] = [];
    let before: string | null = null;
    for (;;) {
      const { messages }: MessagesQuery = await ok(t.graphqlUrl, MessagesDocument, { sessionId, last: 33, before }, owner.token);
      const ids = messages.edges.map((e) => e.node.id);
      // Each page is itself oldest first.
      expect([...ids].sort((a, b) => Number(a) - Number(b))).toEqual(ids);
      pages.unshift(ids);
      expect(messages.pageInfo.hasNextPage).toBe(before !== null);
      if (!messages.pageInfo.hasPreviousPage) break;
      before = messages.pageInfo.startCursor;
    }
    expectSameAsSent(pages.flat());
  });

  it('pages by offset in (createdAt, id) order with hasMore from limit + 1', async () => {
    const ids: string[] = [];
    for (let offset = 0; ; offset += 70) {
      const { messagesPage } = await ok(t.graphqlUrl, MessagesPageDocument, { sessionId, offset, limit: 70 }, owner.token);
      expect(messagesPage.totalCount).toBe(TOTAL);
      ids.push(...messagesPage.items.map((m) => m.id));
      expect(messagesPage.hasMore).toBe(offset + 70 < TOTAL);
      if (!messagesPage.hasMore) break;
    }
    expectSameAsSent(ids);
    const exact = await ok(t.graphqlUrl, MessagesPageDocument, { sessionId, offset: 150, limit: 100 }, owner.token);
    expect(exact.messagesPage.hasMore).toBe(false);
    expect(exact.messagesPage.items).toHaveLength(100);
  });

  it('polls since an id until caught up', async () => {
    const ids: string[] = [];
    let afterId = '0';
    for (;;) {
      const { messagesSince } = await ok(t.graphqlUrl, MessagesSinceDocument, { sessionId, afterId, limit: 100 }, owner.token);
      if (messagesSince.length === 0) break;
      ids.push(...messagesSince.map((m) => m.id));
      afterId = messagesSince[messagesSince.length - 1]!.id;
    }
    expectSameAsSent(ids);
    const { messagesSince } = await ok(t.graphqlUrl, MessagesSinceDocument, { sessionId, afterId: sent[199]! }, owner.token);
    expect(messagesSince.map((m) => m.id)).toEqual(sent.slice(200));
  });

  it("derives read and status from the other side's watermarks", async () => {
    // Sending moves the sender's watermark to their message: staff's last reply (248) marks the
    // customer's 247 READ, the customer's 249 marks 248 READ, and nobody on staff has read 249.
    const before = await ok(t.graphqlUrl, MessagesSinceDocument, { sessionId, afterId: sent[246]! }, owner.token);
    expect(before.messagesSince.map((m) => [m.senderType, m.read, m.status])).toEqual([
      ['USER', true, 'READ'],
      ['SUPPORT', true, 'READ'],
      ['USER', false, 'SENT'],
    ]);
    const { staffToken } = await staffOfSession();
    await ok(t.graphqlUrl, MarkReadDocument, { sessionId, messageIds: [sent[249]!] }, staffToken);
    const after = await ok(t.graphqlUrl, MessagesSinceDocument, { sessionId, afterId: sent[248]! }, owner.token);
    expect(after.messagesSince[0]).toMatchObject({ read: true, status: 'READ' });
    // A watermark never moves backwards.
    const back = await ok(t.graphqlUrl, MarkReadDocument, { sessionId, messageIds: [sent[0]!] }, staffToken);
    expect(back.markRead.lastReadMessageId).toBe(sent[249]);
  });

  it.each([
    ['negative offset', MessagesPageDocument, { offset: -1 }],
    ['limit 0', MessagesPageDocument, { limit: 0 }],
    ['limit above 100', MessagesPageDocument, { limit: 101 }],
    ['first 0', MessagesDocument, { first: 0 }],
    ['first above 100', MessagesDocument, { first: 101 }],
    ['last above 100', MessagesDocument, { last: 101 }],
    ['first and last together', MessagesDocument, { first: 5, last: 5 }],
    ['a malformed cursor', MessagesDocument, { first: 5, after: 'not-a-cursor!' }],
    ['a cursor of another kind', MessagesDocument, { first: 5, after: Buffer.from('usr:12').toString('base64url') }],
    ['since limit above 100', MessagesSinceDocument, { afterId: '0', limit: 101 }],
    ['a negative since id', MessagesSinceDocument, { afterId: '-5' }],
    ['a non-numeric since id', MessagesSinceDocument, { afterId: 'abc' }],
  ] as const)('rejects %s with BAD_USER_INPUT', async (_name, document, variables) => {
    const result = await gql(t.graphqlUrl, document as typeof MessagesDocument, { sessionId, ...variables } as never, owner.token);
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
