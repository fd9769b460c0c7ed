import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { UserRole } from '../src/shared/enums.js';
import { MAX_JSON_DEPTH } from '../src/shared/validate.js';
import { CreateGuestSessionDocument, CreateRoomDocument, CreateSessionDocument, CreateUserDocument, SendMessageDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, assignedSession, guestSession, loginAdmin, unique, userWithRole, widgetConversation } from './helpers/fixtures.js';
import { rest } from './helpers/rest.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** `levels` nested objects as JSON text (JSON.stringify itself overflows the stack on thousands of levels). */
const nested = (levels: number) => `${'{"n":'.repeat(levels - 1)}{"leaf":true}${'}'.repeat(levels - 1)}`;

const LONE_SURROGATES = ['a\ud800b', '\udc00', 'x\udfff\ud800y'];
/** Right-to-left override, isolates, a C1 control and the Arabic letter mark. */
const SPOOFING = ['gpj\u202Eexe', '\u2067admin\u2069', 'Ann\u0085', 'Bob\u061C'];
const BAD_METADATA: [string, string][] = [
  ['NUL in a key', '{"k\\u0000":1}'],
  ['NUL in a value', '{"k":"v\\u0000"}'],
  ['NUL in a nested array', '{"k":["ok",{"i":"a\\u0000b"}]}'],
  ['a lone surrogate in a value', '{"k":"\\ud800"}'],
  ['a lone surrogate in a key', '{"\\udc00":1}'],
  [`${MAX_JSON_DEPTH + 1} levels`, nested(MAX_JSON_DEPTH + 1)],
  ['5,000 levels', nested(5000)],
];

describe('text and metadata a database cannot store, and names that spoof, are refused in every dialect before any write', () => {
  let t: TestServer;
  let admin: Actor;
  let owner: Actor;
  let staff: Actor;
  let sessionId: string;
  let guest: { token: string; sessionKey: string };
  let roomId: string;
  let widget: { token: string; conversation: string };

  const rows = async () => {
    const connection = t.server.orm.em.fork().getConnection();
    const counts = await Promise.all(
      ['chat_messages', 'chat_sessions', 'session_events', 'users'].map(async (table) => (await connection.execute<{ n: string }[]>(`select count(*) as n from ${table}`))[0]!.n),
    );
    return counts.join(',');
  };
  /** Runs `call` and checks that it changed no row. */
  const refusedWithoutWrites = async <T>(call: () => Promise<T>): Promise<T> => {
    const before = await rows();
    const result = await call();
    expect(await rows()).toBe(before);
    return result;
  };
  const graphqlRaw = async (body: string, token: string) => {
    const response = await fetch(t.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    return (await response.json()) as { data: unknown; errors?: { extensions: { code: string; reason: string } }[] };
  };

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    owner = await userWithRole(t, admin, UserRole.USER);
    staff = await userWithRole(t, admin, UserRole.STAFF);
    sessionId = await assignedSession(t, admin, owner, staff);
    guest = await guestSession(t);
    roomId = (await ok(t.graphqlUrl, CreateRoomDocument, { name: 'validation room', memberIds: [staff.userId] }, owner.token)).createRoom.id;
    widget = await widgetConversation(t);
  });
  afterAll(() => t.dispose());

  describe('GraphQL', () => {
    it.each(LONE_SURROGATES)('refuses message content %j as BAD_USER_INPUT', async (content) => {
      const result = await refusedWithoutWrites(() => gql(t.graphqlUrl, SendMessageDocument, { sessionId, content }, owner.token));
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT' });
    });

    it.each(BAD_METADATA)('refuses metadata with %s as BAD_USER_INPUT', async (_name, metadata) => {
      const body = `{"query":${JSON.stringify(print(SendMessageDocument))},"variables":{"sessionId":"${sessionId}","content":"ok","metadata":${metadata}}}`;
      const result = await refusedWithoutWrites(() => graphqlRaw(body, owner.token));
      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    });

    it(`accepts metadata nested ${MAX_JSON_DEPTH} levels`, async () => {
      const body = `{"query":${JSON.stringify(print(SendMessageDocument))},"variables":{"sessionId":"${sessionId}","content":"ok","metadata":${nested(MAX_JSON_DEPTH)}}}`;
      expect((await graphqlRaw(body, owner.token)).errors).toBeUndefined();
    });

    it.each(SPOOFING)('refuses the identity text %j in subjects, tags, room names, guest names, usernames and display names', async (text) => {
      const calls: (() => Promise<{ errors?: { extensions?: { code?: string } }[] }>)[] = [
        () => gql(t.graphqlUrl, CreateSessionDocument, { subject: text }, owner.token),
        () => gql(t.graphqlUrl, CreateSessionDocument, { tags: ['ok', text] }, owner.token),
        () => gql(t.graphqlUrl, CreateRoomDocument, { name: text }, owner.token),
        () => gql(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey: randomUUID(), guestName: text }),
        () => gql(t.graphqlUrl, CreateUserDocument, { username: `u${text}`, role: UserRole.USER, password: 'password-1234' }, admin.token),
        () => gql(t.graphqlUrl, CreateUserDocument, { username: unique('u'), role: UserRole.USER, displayName: text, password: 'password-1234' }, admin.token),
      ];
      for (const call of calls) {
        const result = await refusedWithoutWrites(call);
        expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
    });

    it('lets message content keep bidirectional and C1 characters (people quote them)', async () => {
      for (const content of SPOOFING) {
        const { sendMessage } = await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content }, owner.token);
        expect(sendMessage.message.content).toBe(content);
      }
    });
  });

  describe('v1 (seeds 000 and 003)', () => {
    it('refuses a spoofing guest_name and a lone surrogate with 400 VALIDATION_FAILED naming the field', async () => {
      const created = await refusedWithoutWrites(() => rest(t.url, 'POST', '/api/v1/chat/guest/session', { body: { session_id: randomUUID(), guest_name: 'gpj\u202Eexe' } }));
      expect(created.status).toBe(400);
      expect(created.body).toMatchObject({ success: false, error: { code: 'VALIDATION_FAILED', fields: { guest_name: [expect.any(String)] } } });
      const sent = await refusedWithoutWrites(() => rest(t.url, 'POST', `/api/v1/chat/guest/session/${guest.sessionKey}/messages`, { token: guest.token, body: { message: 'a\ud800b' } }));
      expect(sent.status).toBe(400);
      expect(sent.body).toMatchObject({ success: false, error: { code: 'VALIDATION_FAILED', fields: { message: [expect.stringMatching(/invalid Unicode/)] } } });
      const staffSent = await refusedWithoutWrites(() => rest(t.url, 'POST', `/api/v1/chat/sessions/${sessionId}/messages`, { token: staff.token, raw: '{"message":"\\udc00"}' }));
      expect([staffSent.status, staffSent.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    });
  });

  describe('chat API (seed 001)', () => {
    it('refuses a spoofing subject or tag and a lone surrogate in content with 400 BAD_REQUEST', async () => {
      for (const body of [{ subject: '\u2067admin\u2069' }, { tags: ['Ann\u0085'] }]) {
        const response = await refusedWithoutWrites(() => rest(t.url, 'POST', '/api/chat/sessions', { token: owner.token, body }));
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({ success: false, error: { code: 'BAD_REQUEST' } });
      }
      const sent = await refusedWithoutWrites(() => rest(t.url, 'POST', `/api/chat/sessions/${sessionId}/messages`, { token: owner.token, raw: '{"content":"a\\ud800"}' }));
      expect([sent.status, sent.body.error.code]).toEqual([400, 'BAD_REQUEST']);
    });
  });

  describe('widget (seed 002)', () => {
    const path = () => `/widget/conversations/${widget.conversation}/messages`;

    it.each(BAD_METADATA)('refuses metadata with %s with 422 on body.metadata', async (_name, metadata) => {
      const response = await refusedWithoutWrites(() => rest(t.url, 'POST', path(), { token: widget.token, raw: `{"content":"ok","metadata":${metadata}}` }));
      expect(response.status).toBe(422);
      expect(response.body.detail[0].loc).toEqual(['body', 'metadata']);
    });

    it('refuses a lone surrogate in content with 422 on body.content', async () => {
      const response = await refusedWithoutWrites(() => rest(t.url, 'POST', path(), { token: widget.token, raw: '{"content":"\\ud800"}' }));
      expect(response.status).toBe(422);
      expect(response.body.detail[0].loc).toEqual(['body', 'content']);
    });
  });

  describe('rooms (seed 004)', () => {
    it('refuses a lone surrogate in content with 400 {"content": [...]}', async () => {
      const response = await refusedWithoutWrites(() => rest(t.url, 'POST', `/api/chat/rooms/${roomId}/messages/`, { token: owner.token, raw: '{"content":"x\\udfff\\ud800y"}' }));
      expect(response.status).toBe(400);
      expect(Object.keys(response.body)).toEqual(['content']);
    });
  });
});
