import { UserRole } from '../src/shared/enums.js';
import { SessionEventsDocument, SetTypingDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, foreignTenantAdmin, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { rest } from './helpers/rest.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, untilLive, upgradeStatus, wsClient } from './helpers/subscriptions.js';

/** A session is named by its numeric id or its UUID, the same way on every transport (one resolver: sessionIdFrom). */
describe('a session UUID wherever a session id is taken', () => {
  let t: TestServer;
  let admin: Actor;
  let owner: Actor;
  let staff: Actor;
  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    owner = await userWithRole(t, admin, UserRole.USER);
    staff = await userWithRole(t, admin, UserRole.STAFF);
  });
  afterAll(() => t.dispose());

  const newSession = async () => {
    const created = await rest(t.url, 'POST', '/api/chat/sessions', { token: owner.token, body: { subject: 'by uuid' } });
    const { session } = await ok<{ session: { uuid: string } }, unknown>(t.graphqlUrl, 'query($id: ID!) { session(id: $id) { uuid } }' as never, { id: created.body.id }, owner.token);
    return { id: created.body.id as string, uuid: session.uuid };
  };

  it('GraphQL: every session operation and subscription', async () => {
    const { uuid } = await newSession();
    const client = wsClient(t.url, owner.token);
    const events = subscribe(client, SessionEventsDocument, { sessionId: uuid });
    await untilLive(
      events,
      () => ok(t.graphqlUrl, SetTypingDocument, { sessionId: uuid, isTyping: false }, owner.token),
      () => true,
    );
    const calls: [string, Record<string, unknown>, string][] = [
      ['mutation($s: ID!) { sendMessage(sessionId: $s, content: "hi") { message { id } } }', { s: uuid }, owner.token],
      ['query($s: ID!) { messages(sessionId: $s) { totalCount } }', { s: uuid }, owner.token],
      ['query($s: ID!) { messagesPage(sessionId: $s) { totalCount } }', { s: uuid }, owner.token],
      ['query($s: ID!) { messagesSince(sessionId: $s, afterId: "0") { id } }', { s: uuid }, owner.token],
      ['mutation($s: ID!) { assignAgent(sessionId: $s, agentId: "' + staff.userId + '") { id } }', { s: uuid }, admin.token],
      ['mutation($s: ID!) { closeSession(sessionId: $s) { status } }', { s: uuid }, admin.token],
    ];
    for (const [query, variables, token] of calls) {
      const result = await gql(t.graphqlUrl, query, variables, token);
      expect([query, result.errors]).toEqual([query, undefined]);
    }
    await events.until((items) => items.some((item) => item.sessionEvents.__typename === 'SessionUpdateEvent' && item.sessionEvents.status === 'CLOSED'), 'the close');
    await client.dispose();
  });

  it('chat API (seed 001): every route that takes a session, and the legacy socket', async () => {
    const { uuid } = await newSession();
    const path = (tail = '') => `/api/chat/sessions/${uuid}${tail}`;
    expect((await rest(t.url, 'GET', path(), { token: owner.token })).status).toBe(200);
    const sent = await rest(t.url, 'POST', path('/messages'), { token: owner.token, body: { content: 'by uuid' } });
    expect(sent.status).toBe(201);
    expect((await rest(t.url, 'GET', path('/messages'), { token: owner.token })).status).toBe(200);
    expect((await rest(t.url, 'PUT', path('/read'), { token: owner.token, body: { messageIds: [sent.body.id] } })).status).toBe(204);
    expect((await rest(t.url, 'POST', path('/typing'), { token: owner.token, body: { isTyping: true } })).status).toBe(204);
    expect(await upgradeStatus(t.url, `/ws/chat/${uuid}`, { token: owner.token })).toBe(101);
    expect((await rest(t.url, 'PUT', path('/assign'), { token: admin.token, body: { agentId: staff.userId } })).status).toBe(200);
    expect((await rest(t.url, 'PUT', path('/close'), { token: admin.token })).status).toBe(200);
  });

  it("another tenant's UUID is exactly a missing one, on every transport", async () => {
    const { uuid } = await newSession();
    const foreign = await foreignTenantAdmin(t);
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const ref of [uuid, missing]) {
      const graphql = await gql(t.graphqlUrl, 'mutation($s: ID!) { closeSession(sessionId: $s) { id } }', { s: ref }, foreign.token);
      expect(graphql.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'SESSION_NOT_FOUND' });
      const close = await rest(t.url, 'PUT', `/api/chat/sessions/${ref}/close`, { token: foreign.token });
      expect([close.status, close.body.error.code]).toEqual([404, 'NOT_FOUND']);
      expect(await upgradeStatus(t.url, `/ws/chat/${ref}`, { token: foreign.token })).toBe(404);
    }
  });
});
