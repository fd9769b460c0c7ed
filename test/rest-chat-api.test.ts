import { UserRole } from '../src/shared/enums.js';
import { CreateRoomDocument, CreateSessionDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { type Actor, foreignTenantAdmin, guestSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { expectSameShape, OpenApiChecker, type RestOptions, rest } from './helpers/rest.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Seed 001's example objects (values stand for their documented types). */
const SESSION = { id: 's', userId: 'u', agentId: null, status: 'active', startedAt: 'd', endedAt: null, subject: 's', priority: 'medium', tags: [] };
const MESSAGE = { id: 'm', content: 'c', sender: 'user', timestamp: 'd', read: false, status: 'sent' };
const STATS = { totalSessions: 0, activeSessions: 0, averageResponseTime: 0, messagesExchanged: 0 };
const ERROR = { success: false, message: 'm', error: { code: 'c', message: 'm' } };

describe('chat API dialect (seed 001)', () => {
  let t: TestServer;
  let admin: Actor;
  let staff: Actor;
  let owner: Actor;
  let stranger: Actor;
  const openapi = new OpenApiChecker();
  const call = async (method: string, template: string, path: string, options: RestOptions = {}) => {
    const response = await rest(t.url, method, path, options);
    openapi.check(method, template, response);
    if (response.status >= 400) expectSameShape(response.body, ERROR);
    return response;
  };
  const S = (id: string, tail = '') => `/api/chat/sessions/${id}${tail}`;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    staff = await userWithRole(t, admin, UserRole.STAFF);
    owner = await userWithRole(t, admin, UserRole.USER);
    stranger = await userWithRole(t, admin, UserRole.USER);
  });
  afterAll(() => t.dispose());

  const create = async (body: Record<string, unknown> = { subject: 'Help' }, token = owner.token) => call('POST', '/api/chat/sessions', '/api/chat/sessions', { token, body });

  it('creates a session (201) with the documented fields and defaults priority to medium', async () => {
    const response = await create({ subject: 'Billing', tags: ['Invoice'] });
    expect(response.status).toBe(201);
    expectSameShape(response.body, SESSION);
    expect(response.body).toMatchObject({ userId: owner.userId, agentId: null, status: 'active', endedAt: null, subject: 'Billing', priority: 'medium', tags: ['invoice'] });
    const high = await create({ priority: 'high' });
    expect(high.body.priority).toBe('high');
    for (const body of [{ priority: 'urgent' }, { tags: 'x' }, { subject: 5 }]) {
      const bad = await create(body);
      expect([bad.status, bad.body.error.code]).toEqual([400, 'BAD_REQUEST']);
    }
    const asStaff = await create({}, staff.token);
    expect(asStaff.status).toBe(403);
    const malformed = await call('POST', '/api/chat/sessions', '/api/chat/sessions', { token: owner.token, raw: '{"subject": }' });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'BAD_REQUEST']);
    const large = await call('POST', '/api/chat/sessions', '/api/chat/sessions', { token: owner.token, body: { subject: 'x'.repeat(70_000) } });
    expect([large.status, large.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('answers unknown paths and methods under /api/chat in its own body, never HTML', async () => {
    for (const [method, path] of [
      ['GET', '/api/chat/nope'],
      ['DELETE', '/api/chat/sessions'],
      ['GET', '/api/chat/sessions/1/unknown'],
    ] as const) {
      const response = await rest(t.url, method, path, { token: owner.token });
      expect([method, path, response.status]).toEqual([method, path, 404]);
      expect(response.body).toEqual({ success: false, message: 'No such route', error: { code: 'NOT_FOUND', message: 'No such route' } });
    }
  });

  it('gets a session by id (404 unknown or foreign, 403 not yours, 401 anonymous)', async () => {
    const { body } = await create();
    const got = await call('GET', '/api/chat/sessions/{sessionId}', S(body.id), { token: owner.token });
    expect(got.body).toEqual(body);
    const foreign = await foreignTenantAdmin(t);
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, {}, foreign.token);
    for (const id of ['9999999', createSession.id, 'nope']) {
      const response = await call('GET', '/api/chat/sessions/{sessionId}', S(id), { token: admin.token });
      expect([id, response.status, response.body.error.code]).toEqual([id, 404, 'NOT_FOUND']);
    }
    expect((await call('GET', '/api/chat/sessions/{sessionId}', S(body.id), { token: stranger.token })).status).toBe(403);
    expect((await call('GET', '/api/chat/sessions/{sessionId}', S(body.id))).status).toBe(401);
  });

  it('lists sessions with status, page and limit, answering 400 for non-numeric page or limit and ignoring unknown parameters', async () => {
    await create();
    const all = await call('GET', '/api/chat/sessions', '/api/chat/sessions?limit=2&page=1&whatever=1', { token: owner.token });
    expect(all.status).toBe(200);
    expect(Object.keys(all.body).sort()).toEqual(['sessions', 'totalCount']);
    expect(all.body.sessions).toHaveLength(2);
    expect(all.body.totalCount).toBeGreaterThan(2);
    for (const session of all.body.sessions) expectSameShape(session, SESSION);
    // Rooms the user owns are not support sessions.
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'mine' }, owner.token);
    const listed = await call('GET', '/api/chat/sessions', '/api/chat/sessions?limit=100', { token: owner.token });
    expect(listed.body.sessions.map((s: { id: string }) => s.id)).not.toContain(createRoom.id);
    const closed = await call('GET', '/api/chat/sessions', '/api/chat/sessions?status=closed', { token: owner.token });
    expect(closed.body).toEqual({ sessions: [], totalCount: 0 });
    for (const query of ['page=abc', 'limit=ten', 'status=open', 'limit=0']) {
      const bad = await call('GET', '/api/chat/sessions', `/api/chat/sessions?${query}`, { token: owner.token });
      expect([query, bad.status]).toEqual([query, 400]);
    }
    expect((await call('GET', '/api/chat/sessions', '/api/chat/sessions')).status).toBe(401);
  });

  it('assigns an agent (admin) with 400/403/404/409 as listed, and closes (409 when already closed)', async () => {
    const { body } = await create();
    const assign = (agentId: unknown, token = admin.token) => call('PUT', '/api/chat/sessions/{sessionId}/assign', S(body.id, '/assign'), { token, body: { agentId } });
    expect((await assign(undefined)).status).toBe(400);
    expect((await assign(owner.userId)).status).toBe(400);
    expect((await assign('99999999')).status).toBe(404);
    expect((await assign(staff.userId, owner.token)).status).toBe(403);
    const assigned = await assign(staff.userId);
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ agentId: staff.userId, status: 'active', endedAt: null });
    expect((await assign(staff.userId)).status).toBe(409);
    const unknown = await call('PUT', '/api/chat/sessions/{sessionId}/assign', S('9999999', '/assign'), { token: admin.token, body: { agentId: staff.userId } });
    expect(unknown.status).toBe(404);

    const close = (token = admin.token) => call('PUT', '/api/chat/sessions/{sessionId}/close', S(body.id, '/close'), { token });
    expect((await close(owner.token)).status).toBe(403);
    const closed = await close();
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('closed');
    expect(closed.body.endedAt).toEqual(expect.any(String));
    expect((await close()).status).toBe(409);
    expect((await call('PUT', '/api/chat/sessions/{sessionId}/close', S('9999999', '/close'), { token: admin.token })).status).toBe(404);
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'not assignable' }, owner.token);
    const room = await call('PUT', '/api/chat/sessions/{sessionId}/assign', S(createRoom.id, '/assign'), { token: admin.token, body: { agentId: staff.userId } });
    expect([room.status, room.body.error.code]).toEqual([400, 'BAD_REQUEST']);
    const other = await create();
    await call('PUT', '/api/chat/sessions/{sessionId}/close', S(other.body.id, '/close'), { token: admin.token });
    expect((await call('PUT', '/api/chat/sessions/{sessionId}/assign', S(other.body.id, '/assign'), { token: admin.token, body: { agentId: staff.userId } })).status).toBe(409);
  });

  it('sends messages (201), pages them with before + limit in chronological pages, marks read (204) and refuses a closed session (409)', async () => {
    const { body } = await create();
    await call('PUT', '/api/chat/sessions/{sessionId}/assign', S(body.id, '/assign'), { token: admin.token, body: { agentId: staff.userId } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const sent = await call('POST', '/api/chat/sessions/{sessionId}/messages', S(body.id, '/messages'), { token: i === 2 ? staff.token : owner.token, body: { content: `m${i}` } });
      expect(sent.status).toBe(201);
      expectSameShape(sent.body, MESSAGE);
      expect(sent.body).toMatchObject({ content: `m${i}`, sender: i === 2 ? 'support' : 'user', read: false, status: 'sent' });
      ids.push(sent.body.id);
    }
    const newest = await call('GET', '/api/chat/sessions/{sessionId}/messages', S(body.id, '/messages?limit=2'), { token: owner.token });
    expect(Object.keys(newest.body).sort()).toEqual(['hasMore', 'messages', 'totalCount']);
    expect(newest.body).toMatchObject({ totalCount: 5, hasMore: true });
    expect(newest.body.messages.map((m: { id: string }) => m.id)).toEqual(ids.slice(3));
    const older = await call('GET', '/api/chat/sessions/{sessionId}/messages', S(body.id, `/messages?limit=10&before=${ids[3]}`), { token: owner.token });
    expect(older.body.messages.map((m: { id: string }) => m.id)).toEqual(ids.slice(0, 3));
    expect(older.body.hasMore).toBe(false);
    for (const query of ['limit=x', 'before=abc', 'limit=1000']) {
      expect((await call('GET', '/api/chat/sessions/{sessionId}/messages', S(body.id, `/messages?${query}`), { token: owner.token })).status).toBe(400);
    }
    // The error names the caller's parameter, never the GraphQL argument behind it.
    for (const query of ['limit=0', 'limit=1000']) {
      const refused = await call('GET', '/api/chat/sessions/{sessionId}/messages', S(body.id, `/messages?${query}`), { token: owner.token });
      expect(refused.body.error).toEqual({ code: 'BAD_REQUEST', message: 'limit must be an integer between 1 and 100' });
    }
    expect((await call('GET', '/api/chat/sessions/{sessionId}/messages', S(body.id, '/messages'), { token: stranger.token })).status).toBe(403);
    expect((await call('GET', '/api/chat/sessions/{sessionId}/messages', S('9999999', '/messages'), { token: admin.token })).status).toBe(404);

    const read = await call('PUT', '/api/chat/sessions/{sessionId}/read', S(body.id, '/read'), { token: staff.token, body: { messageIds: [ids[1]] } });
    expect(read.status).toBe(204);
    const after = await call('GET', '/api/chat/sessions/{sessionId}/messages', S(body.id, '/messages'), { token: owner.token });
    // m0, m1: read by the staff member's mark; m2 (staff's): the customer wrote after it, so read; m3, m4: unread.
    expect(after.body.messages.map((m: { read: boolean }) => m.read)).toEqual([true, true, true, false, false]);
    for (const bad of [{}, { messageIds: 'x' }, { messageIds: [] }, { messageIds: ['99999999'] }]) {
      expect((await call('PUT', '/api/chat/sessions/{sessionId}/read', S(body.id, '/read'), { token: staff.token, body: bad })).status).toBe(400);
    }
    expect((await call('PUT', '/api/chat/sessions/{sessionId}/read', S(body.id, '/read'), { token: stranger.token, body: { messageIds: [ids[0]] } })).status).toBe(403);

    for (const bad of [{}, { content: 5 }, { content: '  ' }]) {
      expect((await call('POST', '/api/chat/sessions/{sessionId}/messages', S(body.id, '/messages'), { token: owner.token, body: bad })).status).toBe(400);
    }
    const multipart = await rest(t.url, 'POST', S(body.id, '/messages'), { token: owner.token, raw: '--x--', headers: { 'content-type': 'multipart/form-data; boundary=x' } });
    openapi.check('POST', '/api/chat/sessions/{sessionId}/messages', multipart);
    // An empty form has no content and no files (multipart sends: rest-chat-api-multipart.test.ts).
    expect([multipart.status, multipart.body.error.code]).toEqual([400, 'BAD_REQUEST']);
    await call('PUT', '/api/chat/sessions/{sessionId}/close', S(body.id, '/close'), { token: admin.token });
    const closed = await call('POST', '/api/chat/sessions/{sessionId}/messages', S(body.id, '/messages'), { token: owner.token, body: { content: 'late' } });
    expect([closed.status, closed.body.error.code]).toEqual([409, 'CONFLICT']);
  });

  it('accepts typing events (204) from participants, 400 for a non-boolean, 403/404/401 otherwise', async () => {
    const { body } = await create();
    const typing = (token: string | undefined, payload: unknown, id = body.id) => call('POST', '/api/chat/sessions/{sessionId}/typing', S(id, '/typing'), { token, body: payload });
    expect((await typing(owner.token, { isTyping: true })).status).toBe(204);
    expect((await typing(owner.token, { isTyping: 'yes' })).status).toBe(400);
    expect((await typing(stranger.token, { isTyping: false })).status).toBe(403);
    expect((await typing(owner.token, { isTyping: true }, '99999999')).status).toBe(404);
    expect((await typing(undefined, { isTyping: true })).status).toBe(401);
    const guest = await guestSession(t);
    expect((await typing(guest.token, { isTyping: true }, guest.sessionId)).status).toBe(204);
  });

  it('returns stats to admins with the documented fields, 403 to others and 401 anonymously', async () => {
    const stats = await call('GET', '/api/chat/stats', '/api/chat/stats', { token: admin.token });
    expect(stats.status).toBe(200);
    expectSameShape(stats.body, STATS);
    expect(stats.body.totalSessions).toBeGreaterThan(0);
    expect((await call('GET', '/api/chat/stats', '/api/chat/stats', { token: staff.token })).status).toBe(403);
    expect((await call('GET', '/api/chat/stats', '/api/chat/stats')).status).toBe(401);
    expect((await call('GET', '/api/chat/stats', '/api/chat/stats', { token: 'bad' })).status).toBe(401);
  });
});
