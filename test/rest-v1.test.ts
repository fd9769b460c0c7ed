import { randomUUID } from 'node:crypto';
import { UserRole } from '../src/shared/enums.js';
import { CloseSessionDocument, CreateSessionDocument, SendMessageDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { png } from './helpers/files.js';
import { type Actor, assignedSession, foreignTenantAdmin, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { expectSameShape, OpenApiChecker, type RestOptions, rest } from './helpers/rest.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const GUEST = '/api/v1/chat/guest/session';
const GUEST_MESSAGES = '/api/v1/chat/guest/session/{session_id}/messages';
const STAFF_MESSAGES = '/api/v1/chat/sessions/{id}/messages';
/** Seed 003's example envelope. */
const EXAMPLE = { success: true, message: 'Session created successfully', data: { session: {}, messages: [] }, meta: null, trace_id: 'uuid', timestamp: '2025-10-31T12:34:56Z' };
const SESSION_RESOURCE = { id: 1, session_id: 's', guest_name: 'g', status: 'active', assigned_to: null, started_at: 't', ended_at: null };
const MESSAGE_RESOURCE = { id: 1, session_id: 1, sender_type: 'user', sender_id: null, sender_name: 'n', message: 'm', attachments: [], is_read: false, created_at: 't' };
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe('v1 dialect (seeds 000 and 003)', () => {
  let t: TestServer;
  let admin: Actor;
  let staff: Actor;
  let otherStaff: Actor;
  let owner: Actor;
  const openapi = new OpenApiChecker();
  const call = async (method: 'GET' | 'POST', template: string, path: string, options: RestOptions = {}) => {
    const response = await rest(t.url, method, path, options);
    openapi.check(method, template, response);
    // Every answer, errors included, is the envelope with the request's trace id.
    expect(response.body.trace_id).toBe(response.headers.get('x-trace-id'));
    expect(response.body.timestamp).toMatch(TIMESTAMP);
    return response;
  };
  const startGuest = (body: Record<string, unknown>) => call('POST', GUEST, GUEST, { body });

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    staff = await userWithRole(t, admin, UserRole.STAFF);
    otherStaff = await userWithRole(t, admin, UserRole.STAFF);
    owner = await userWithRole(t, admin, UserRole.USER);
  });
  afterAll(() => t.dispose());

  describe('POST /api/v1/chat/guest/session', () => {
    it('creates a session with 201 in the example envelope, with ChatSessionResource fields and a guest token', async () => {
      const sessionId = randomUUID();
      const response = await startGuest({ session_id: sessionId, guest_name: 'Guest' });
      expect(response.status).toBe(201);
      expectSameShape(response.body, EXAMPLE);
      expect(response.body).toMatchObject({ success: true, message: 'Session created successfully', meta: null });
      expect(Object.keys(response.body.data).sort()).toEqual(['messages', 'session', 'token']);
      expectSameShape(response.body.data.session, SESSION_RESOURCE);
      expect(response.body.data.session).toMatchObject({ session_id: sessionId, guest_name: 'Guest', status: 'active', assigned_to: null, ended_at: null });
      expect(response.body.data.messages).toEqual([]);
      expect(typeof response.body.data.token).toBe('string');
    });

    it('answers a duplicate session_id with 200, the same session and its messages', async () => {
      const sessionId = randomUUID();
      const first = await startGuest({ session_id: sessionId });
      const token = first.body.data.token;
      await call('POST', GUEST_MESSAGES, `${GUEST}/${sessionId}/messages`, { token, body: { message: 'hello' } });
      const again = await startGuest({ session_id: sessionId, guest_name: 'Other' });
      expect(again.status).toBe(200);
      expect(again.body.data.session.id).toBe(first.body.data.session.id);
      expect(again.body.data.messages).toHaveLength(1);
      expectSameShape(again.body.data.messages[0], MESSAGE_RESOURCE);
      expect(again.body.data.messages[0]).toMatchObject({ message: 'hello', sender_type: 'user', sender_id: null });
    });

    it('answers missing, wrongly typed and invalid fields with 400 VALIDATION_FAILED and per-field messages', async () => {
      const missing = await startGuest({ guest_name: 'x' });
      expect(missing.status).toBe(400);
      expect(missing.body).toMatchObject({ success: false, data: null, meta: null, error: { code: 'VALIDATION_FAILED', fields: { session_id: [expect.any(String)] } } });
      const wrongType = await startGuest({ session_id: 42, guest_email: ['x'] });
      expect(Object.keys(wrongType.body.error.fields).sort()).toEqual(['guest_email', 'session_id']);
      const badEmail = await startGuest({ session_id: randomUUID(), guest_email: 'not-an-email' });
      expect(badEmail.body.error).toEqual({ code: 'VALIDATION_FAILED', fields: { guest_email: ['guest_email must be an email address'] } });
      const malformed = await call('POST', GUEST, GUEST, { raw: '{"session_id":' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe('VALIDATION_FAILED');
      const large = await call('POST', GUEST, GUEST, { body: { session_id: 'x', guest_name: 'y'.repeat(20_000) } });
      expect(large.status).toBe(413);
    });
  });

  describe('guest messages', () => {
    it('sends (201) and polls with last_message_id, answering ChatMessageResource in the envelope', async () => {
      const key = randomUUID();
      const { body } = await startGuest({ session_id: key, guest_name: 'Ann' });
      const token = body.data.token;
      const path = `${GUEST}/${key}/messages`;
      const sent = await call('POST', GUEST_MESSAGES, path, { token, body: { message: 'one' } });
      expect(sent.status).toBe(201);
      expectSameShape(sent.body.data, MESSAGE_RESOURCE);
      expect(sent.body.data).toMatchObject({ message: 'one', sender_name: 'Ann', session_id: body.data.session.id, is_read: false, attachments: [] });
      await call('POST', GUEST_MESSAGES, path, { token, body: { message: 'two' } });
      const all = await call('GET', GUEST_MESSAGES, `${path}?unknown=1`, { token });
      expect(all.body.data.map((m: { message: string }) => m.message)).toEqual(['one', 'two']);
      expect(all.body.meta).toEqual({ count: 2, last_message_id: all.body.data[1].id, has_more: false });
      const since = await call('GET', GUEST_MESSAGES, `${path}?last_message_id=${sent.body.data.id}`, { token });
      expect(since.body.data.map((m: { message: string }) => m.message)).toEqual(['two']);
    });

    it('answers a repeated client_message_id with 200 and the original message, stored once', async () => {
      const key = randomUUID();
      const { body } = await startGuest({ session_id: key });
      const token = body.data.token;
      const path = `${GUEST}/${key}/messages`;
      const first = await call('POST', GUEST_MESSAGES, path, { token, body: { message: 'once', client_message_id: 'c-1' } });
      expect(first.status).toBe(201);
      expect(first.body.message).toBe('Message sent successfully');
      const again = await call('POST', GUEST_MESSAGES, path, { token, body: { message: 'twice?', client_message_id: 'c-1' } });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ success: true, message: 'Message already sent', data: first.body.data });
      const other = await call('POST', GUEST_MESSAGES, path, { token, body: { message: 'another', client_message_id: 'c-2' } });
      expect(other.status).toBe(201);
      const all = await call('GET', GUEST_MESSAGES, path, { token });
      expect(all.body.data.map((m: { id: number; message: string }) => [m.id, m.message])).toEqual([
        [first.body.data.id, 'once'],
        [other.body.data.id, 'another'],
      ]);
    });

    it('polls at most 100 messages with has_more true, and the rest with last_message_id and has_more false', async () => {
      const key = randomUUID();
      const { body } = await startGuest({ session_id: key });
      const token = body.data.token;
      for (let i = 0; i < 130; i++) await ok(t.graphqlUrl, SendMessageDocument, { sessionId: String(body.data.session.id), content: `m${i}` }, token);
      const path = `${GUEST}/${key}/messages`;
      const first = await call('GET', GUEST_MESSAGES, path, { token });
      expect(first.body.data.map((m: { message: string }) => m.message)).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
      expect(first.body.meta).toEqual({ count: 100, last_message_id: first.body.data[99].id, has_more: true });
      const rest = await call('GET', GUEST_MESSAGES, `${path}?last_message_id=${first.body.meta.last_message_id}`, { token });
      expect(rest.body.data.map((m: { message: string }) => m.message)).toEqual(Array.from({ length: 30 }, (_, i) => `m${100 + i}`));
      expect(rest.body.meta).toEqual({ count: 30, last_message_id: rest.body.data[29].id, has_more: false });
    });

    it("refuses without a token (401), with another guest's token or an unknown session_id alike (404), and a bad last_message_id (400)", async () => {
      const key = randomUUID();
      await startGuest({ session_id: key });
      const other = await startGuest({ session_id: randomUUID() });
      const path = `${GUEST}/${key}/messages`;
      expect((await call('GET', GUEST_MESSAGES, path)).body.error.code).toBe('UNAUTHORIZED');
      // Another session's key answers exactly like a key that does not exist: keys cannot be probed.
      const foreign = await call('GET', GUEST_MESSAGES, path, { token: other.body.data.token });
      const unknown = await call('GET', GUEST_MESSAGES, `${GUEST}/${randomUUID()}/messages`, { token: other.body.data.token });
      expect([foreign.status, foreign.body.error, foreign.body.message]).toEqual([404, { code: 'NOT_FOUND' }, unknown.body.message]);
      expect([unknown.status, unknown.body.error.code]).toEqual([404, 'NOT_FOUND']);
      const bad = await call('GET', GUEST_MESSAGES, `${GUEST}/${key}/messages?last_message_id=abc`, { token: other.body.data.token });
      expect([bad.status, bad.body.error]).toEqual([400, { code: 'VALIDATION_FAILED', fields: { last_message_id: [expect.any(String)] } }]);
      const invalidToken = await call('GET', GUEST_MESSAGES, path, { token: 'garbage' });
      expect([invalidToken.status, invalidToken.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
      const blank = await call('POST', GUEST_MESSAGES, `${GUEST}/${other.body.data.session.session_id}/messages`, { token: other.body.data.token, body: { message: ' ' } });
      expect([blank.status, blank.body.error.fields]).toEqual([400, { message: [expect.any(String)] }]);
    });
  });

  describe('GET /api/v1/chat/sessions/{id}/messages (staff)', () => {
    it('returns the assigned staff member the messages with id > last_message_id, all of them without it', async () => {
      const sessionId = await assignedSession(t, admin, owner, staff);
      const path = `/api/v1/chat/sessions/${sessionId}/messages`;
      const first = await call('POST', STAFF_MESSAGES, path, { token: staff.token, body: { message: 'hello from staff' } });
      expect(first.status).toBe(201);
      expect(first.body.data).toMatchObject({ sender_type: 'support', sender_id: Number(staff.userId), message: 'hello from staff' });
      const second = await call('POST', STAFF_MESSAGES, path, { token: staff.token, body: { message: 'second' } });
      const all = await call('GET', STAFF_MESSAGES, path, { token: staff.token });
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ success: true, meta: { count: 2, last_message_id: second.body.data.id, has_more: false } });
      for (const message of all.body.data) expectSameShape(message, MESSAGE_RESOURCE);
      const newer = await call('GET', STAFF_MESSAGES, `${path}?last_message_id=${first.body.data.id}`, { token: staff.token });
      expect(newer.body.data.map((m: { id: number }) => m.id)).toEqual([second.body.data.id]);
      const none = await call('GET', STAFF_MESSAGES, `${path}?last_message_id=${second.body.data.id}`, { token: staff.token });
      expect(none.body).toMatchObject({ data: [], meta: { count: 0, last_message_id: second.body.data.id } });
    });

    it("returns each message's real attachments (seed 000), not an empty list", async () => {
      const sessionId = await assignedSession(t, admin, owner, staff);
      const form = new FormData();
      form.append('content', 'see attached');
      form.append('attachments[0]', new Blob([png(4, 3)], { type: 'image/png' }), 'shot.png');
      const sent = await rest(t.url, 'POST', `/api/chat/sessions/${sessionId}/messages`, { token: owner.token, form });
      expect(sent.status).toBe(201);
      const polled = await call('GET', STAFF_MESSAGES, `/api/v1/chat/sessions/${sessionId}/messages`, { token: staff.token });
      const message = polled.body.data.find((item: { message: string }) => item.message === 'see attached');
      expect(message.attachments).toEqual([
        {
          id: sent.body.attachments[0].id,
          url: `/api/chat/attachments/${sent.body.attachments[0].id}`,
          type: 'image/png',
          name: 'shot.png',
          size: png(4, 3).length,
          metadata: { width: 4, height: 3 },
        },
      ]);
    });

    it('answers 403 FORBIDDEN when the staff member is not assigned, and to non-staff callers', async () => {
      const sessionId = await assignedSession(t, admin, owner, staff);
      const path = `/api/v1/chat/sessions/${sessionId}/messages`;
      for (const actor of [otherStaff, owner]) {
        const response = await call('GET', STAFF_MESSAGES, path, { token: actor.token });
        expect([response.status, response.body.error]).toEqual([403, { code: 'FORBIDDEN' }]);
        expect(response.body).toMatchObject({ success: false, data: null, meta: null });
      }
      const post = await call('POST', STAFF_MESSAGES, path, { token: otherStaff.token, body: { message: 'x' } });
      expect(post.status).toBe(403);
    });

    it('answers 401, 404 (unknown, foreign tenant, malformed id), 400 (bad last_message_id) and 409 (closed) in the envelope', async () => {
      const sessionId = await assignedSession(t, admin, owner, staff);
      expect((await call('GET', STAFF_MESSAGES, `/api/v1/chat/sessions/${sessionId}/messages`)).status).toBe(401);
      const foreign = await foreignTenantAdmin(t);
      const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'theirs' }, foreign.token);
      for (const id of ['99999999', createSession.id, 'abc']) {
        const response = await call('GET', STAFF_MESSAGES, `/api/v1/chat/sessions/${id}/messages`, { token: admin.token });
        expect([id, response.status, response.body.error.code]).toEqual([id, 404, 'NOT_FOUND']);
      }
      const bad = await call('GET', STAFF_MESSAGES, `/api/v1/chat/sessions/${sessionId}/messages?last_message_id=-1`, { token: staff.token });
      expect(bad.body.error.code).toBe('VALIDATION_FAILED');
      await ok(t.graphqlUrl, CloseSessionDocument, { sessionId }, admin.token);
      const closed = await call('POST', STAFF_MESSAGES, `/api/v1/chat/sessions/${sessionId}/messages`, { token: staff.token, body: { message: 'late' } });
      expect([closed.status, closed.body.error.code]).toEqual([409, 'CONFLICT']);
      const unknownRoute = await rest(t.url, 'GET', '/api/v1/chat/nothing');
      expect([unknownRoute.status, unknownRoute.body.error.code]).toEqual([404, 'NOT_FOUND']);
    });
  });
});
