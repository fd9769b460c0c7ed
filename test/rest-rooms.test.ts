import { SessionEvent } from '../src/model/session-event.entity.js';
import { UserRole } from '../src/shared/enums.js';
import { AddRoomMemberDocument, CreateRoomDocument, CreateSessionDocument, DeleteMessageDocument, EditMessageDocument, RemoveRoomMemberDocument, RoomMessagesDocument } from './generated/graphql.js';
import { errorCode, ok } from './helpers/client.js';
import { type Actor, foreignTenantAdmin, guestSession, loginAdmin, unique, userWithRole } from './helpers/fixtures.js';
import { expectSameShape, OpenApiChecker, rest } from './helpers/rest.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const LIST = '/api/chat/rooms/{chat_room_id}/messages/';
/** Seed 004's example bodies. */
const EXAMPLE_MESSAGE = { id: 15, chat_room: 1, sender: 'edulite', content: 'Hello everyone! How are you doing today?', created_at: '2023-10-01T14:30:00Z', is_read: false };
const EXAMPLE_PAGE = { next: 'http://localhost:8000/api/chat/rooms/1/messages/?cursor=cD0yMDIzLTEwLTAxKzEyJTNBMTU%3D', previous: null, results: [] };

describe('rooms dialect (seed 004): GET|POST /api/chat/rooms/{id}/messages/', () => {
  let t: TestServer;
  let admin: Actor;
  let owner: Actor;
  let member: Actor;
  let outsider: Actor;
  let roomId: string;
  const openapi = new OpenApiChecker();
  const url = (id: string | number, query = '') => `/api/chat/rooms/${id}/messages/${query}`;
  const call = async (method: 'GET' | 'POST', path: string, options: Parameters<typeof rest>[3] = {}) => {
    const response = await rest(t.url, method, path, options);
    openapi.check(method, LIST, response);
    return response;
  };

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    owner = await userWithRole(t, admin, UserRole.USER, 'edulite');
    member = await userWithRole(t, admin, UserRole.USER);
    outsider = await userWithRole(t, admin, UserRole.STAFF);
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'EduLite', memberIds: [member.userId] }, owner.token);
    roomId = createRoom.id;
  });
  afterAll(() => t.dispose());

  it('creates a message with 201 and the example body shape; sender is the username and chat_room the URL id', async () => {
    const response = await call('POST', url(roomId), { token: owner.token, body: { content: 'Hello everyone! How are you doing today?', is_read: false } });
    expect(response.status).toBe(201);
    expectSameShape(response.body, EXAMPLE_MESSAGE);
    expect(response.body).toMatchObject({ chat_room: Number(roomId), sender: 'edulite', content: 'Hello everyone! How are you doing today?', is_read: false });
    expect(response.body.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$/);
  });

  it("checks the write-only sender_id (an unknown pk is the seed's 400) and never lets it change who sends", async () => {
    const unknown = await call('POST', url(roomId), { token: owner.token, body: { content: 'as whom?', sender_id: 999999 } });
    expect([unknown.status, unknown.body]).toEqual([400, { sender_id: ['Invalid pk "999999" - object does not exist.'] }]);
    const foreign = await foreignTenantAdmin(t);
    const foreignId = await call('POST', url(roomId), { token: owner.token, body: { content: 'as whom?', sender_id: Number(foreign.userId) } });
    expect([foreignId.status, foreignId.body]).toEqual([400, { sender_id: [`Invalid pk "${foreign.userId}" - object does not exist.`] }]);
    for (const [value, message] of [
      ['abc', 'Incorrect type. Expected pk value, received str.'],
      [true, 'Incorrect type. Expected pk value, received bool.'],
      [null, 'This field may not be null.'],
    ] as const) {
      const bad = await call('POST', url(roomId), { token: owner.token, body: { content: 'x', sender_id: value } });
      expect([bad.status, bad.body]).toEqual([400, { sender_id: [message] }]);
    }
    // Naming another member is accepted, and the message is still the caller's.
    const spoofed = await call('POST', url(roomId), { token: owner.token, body: { content: 'mine', sender_id: Number(member.userId) } });
    expect(spoofed.status).toBe(201);
    expect(spoofed.body.sender).toBe('edulite');
  });

  it('pages newest first with absolute next/previous URLs carrying an opaque cursor, and walks back and forth without gaps', async () => {
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'paging', memberIds: [member.userId] }, owner.token);
    const sent: number[] = [];
    for (let i = 0; i < 7; i++) {
      const author = i % 2 ? member : owner;
      const response = await call('POST', url(createRoom.id), { token: author.token, body: { content: `m${i}` } });
      sent.push(response.body.id);
    }
    const first = await call('GET', url(createRoom.id, '?page_size=3&unknown=1'), { token: member.token });
    expect(first.status).toBe(200);
    expectSameShape(first.body, EXAMPLE_PAGE);
    expect(first.body.previous).toBeNull();
    expect(first.body.results.map((m: { id: number }) => m.id)).toEqual(sent.slice(-3).reverse());
    const next = new URL(first.body.next);
    expect(next.origin).toBe(new URL(t.url).origin);
    expect(next.pathname).toBe(`/api/chat/rooms/${createRoom.id}/messages/`);
    expect(next.searchParams.get('page_size')).toBe('3');
    expect(next.searchParams.get('cursor')).toMatch(/^[A-Za-z0-9_-]+$/);

    const ids: number[] = [];
    let link: string | null = first.body.next;
    ids.push(...first.body.results.map((m: { id: number }) => m.id));
    let last = first;
    while (link) {
      last = await call('GET', link.slice(new URL(link).origin.length), { token: member.token });
      ids.push(...last.body.results.map((m: { id: number }) => m.id));
      link = last.body.next;
    }
    expect(ids).toEqual([...sent].reverse());
    expect(last.body.previous).not.toBeNull();
    const back = await call('GET', last.body.previous.slice(new URL(last.body.previous).origin.length), { token: member.token });
    expect(back.body.results.map((m: { id: number }) => m.id)).toEqual(sent.slice(1, 4).reverse());
  });

  it('uses page_size 50 by default, caps it at 100 and treats an invalid page_size as the default', async () => {
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'sizes' }, owner.token);
    const sent: number[] = [];
    for (let i = 0; i < 120; i++) sent.push((await call('POST', url(createRoom.id), { token: owner.token, body: { content: `x${i}` } })).body.id);
    const newest = sent.slice().reverse();
    for (const [query, size] of [
      ['', 50],
      ['?page_size=abc', 50],
      ['?page_size=0', 50],
      ['?page_size=100', 100],
      ['?page_size=1000', 100],
      ['?page_size=7', 7],
    ] as const) {
      const response = await call('GET', url(createRoom.id, query), { token: owner.token });
      expect(response.status).toBe(200);
      expect([query, response.body.results.map((m: { id: number }) => m.id)]).toEqual([query, newest.slice(0, size)]);
      expect(response.body.next).not.toBeNull();
    }
    // The capped page continues where it stopped: the next page holds the 20 oldest.
    const first = await call('GET', url(createRoom.id, '?page_size=1000'), { token: owner.token });
    const second = await call('GET', first.body.next.slice(t.url.length), { token: owner.token });
    expect(second.body.results.map((m: { id: number }) => m.id)).toEqual(newest.slice(100));
    expect(second.body.next).toBeNull();
  });

  it('answers 404 {"detail": "Invalid cursor"} for a tampered cursor', async () => {
    const response = await call('GET', url(roomId, '?cursor=not-a-cursor'), { token: owner.token });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ detail: 'Invalid cursor' });
  });

  it('reports is_read from the other members: false until another member reads, true after', async () => {
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'reads', memberIds: [member.userId] }, owner.token);
    const sent = await call('POST', url(createRoom.id), { token: owner.token, body: { content: 'read me', is_read: true } });
    expect(sent.body.is_read).toBe(false);
    const read = await rest(t.url, 'PUT', `/api/chat/sessions/${createRoom.id}/read`, { token: member.token, body: { messageIds: [String(sent.body.id)] } });
    expect(read.status).toBe(204);
    const list = await call('GET', url(createRoom.id), { token: owner.token });
    expect(list.body.results[0]).toMatchObject({ id: sent.body.id, is_read: true });
  });

  it('returns the seed error bodies for blank, missing and non-boolean fields', async () => {
    const blank = await call('POST', url(roomId), { token: member.token, body: { content: '   ' } });
    expect([blank.status, blank.body]).toEqual([400, { content: ['This field may not be blank.'] }]);
    const missing = await call('POST', url(roomId), { token: member.token, body: { is_read: false } });
    expect([missing.status, missing.body]).toEqual([400, { content: ['This field is required.'] }]);
    const notBoolean = await call('POST', url(roomId), { token: member.token, body: { content: 'hi', is_read: 5 } });
    expect([notBoolean.status, notBoolean.body]).toEqual([400, { is_read: ['Must be a valid boolean.'] }]);
    const both = await call('POST', url(roomId), { token: member.token, body: { content: '', is_read: 'maybe' } });
    expect(both.body).toEqual({ content: ['This field may not be blank.'], is_read: ['Must be a valid boolean.'] });
    const wrongType = await call('POST', url(roomId), { token: member.token, body: { content: { text: 'x' } } });
    expect([wrongType.status, wrongType.body]).toEqual([400, { content: ['Not a valid string.'] }]);
    const nullContent = await call('POST', url(roomId), { token: member.token, body: { content: null } });
    expect(nullContent.body).toEqual({ content: ['This field may not be null.'] });
    const tooLong = await call('POST', url(roomId), { token: member.token, body: { content: 'x'.repeat(10_001) } });
    expect(tooLong.body).toEqual({ content: ['Ensure this field has no more than 10000 characters.'] });
    const list = await call('POST', url(roomId), { token: member.token, body: ['content'] });
    expect(list.body).toEqual({ non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
  });

  it('accepts DRF boolean spellings for is_read', async () => {
    for (const value of [true, 'false', 1, '0', 'yes']) {
      const response = await call('POST', url(roomId), { token: member.token, body: { content: 'ok', is_read: value } });
      expect(response.status).toBe(201);
    }
  });

  it('answers malformed JSON, other media types and oversized bodies with DRF detail bodies', async () => {
    const malformed = await call('POST', url(roomId), { token: member.token, raw: '{"content": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.detail).toMatch(/^JSON parse error/);
    const text = await call('POST', url(roomId), { token: member.token, raw: 'hello', headers: { 'content-type': 'text/plain' } });
    expect([text.status, text.body]).toEqual([415, { detail: 'Unsupported media type "text/plain" in request.' }]);
    // A body without any Content-Type is not read as JSON either (DRF names the absent type "").
    const untyped = await fetch(t.url + url(roomId), { method: 'POST', headers: { authorization: `Bearer ${member.token}` }, body: Buffer.from('{"content":"hi"}') });
    expect([untyped.status, await untyped.json()]).toEqual([415, { detail: 'Unsupported media type "" in request.' }]);
    const large = await call('POST', url(roomId), { token: member.token, body: { content: 'x'.repeat(70_000) } });
    expect(large.status).toBe(413);
  });

  it('answers 401 "Authentication credentials were not provided." without a token and a DRF 401 for a bad one', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const response = await call(method, url(roomId), method === 'POST' ? { body: { content: 'x' } } : {});
      expect([response.status, response.body]).toEqual([401, { detail: 'Authentication credentials were not provided.' }]);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    const bad = await call('GET', url(roomId), { token: 'not-a-jwt' });
    expect([bad.status, bad.body]).toEqual([401, { detail: 'Incorrect authentication credentials.' }]);
  });

  it("answers 403 with the same body for non-members, unknown rooms, support sessions and other tenants' rooms, even with an invalid body", async () => {
    const foreign = await foreignTenantAdmin(t);
    const { createRoom: foreignRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'theirs' }, foreign.token);
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'support' }, member.token);
    const forbidden = { detail: 'You do not have permission to perform this action.' };
    for (const [id, token] of [
      [roomId, outsider.token],
      ['999999999', owner.token],
      [foreignRoom.id, owner.token],
      [createSession.id, member.token],
    ] as const) {
      const get = await call('GET', url(id), { token });
      expect([id, get.status, get.body]).toEqual([id, 403, forbidden]);
      const post = await call('POST', url(id), { token, body: { content: 'hi' } });
      expect([id, post.status, post.body]).toEqual([id, 403, forbidden]);
      const invalid = await call('POST', url(id), { token, body: { content: '' } });
      expect([id, invalid.status, invalid.body]).toEqual([id, 403, forbidden]);
    }
    const guest = await guestSession(t);
    const asGuest = await call('GET', url(roomId), { token: guest.token });
    expect(asGuest.status).toBe(403);
  });

  it('answers 404 {"detail": "Not found."} for a non-integer room id or a path without the trailing slash, 405 for other methods', async () => {
    const response = await call('GET', url('abc'), { token: owner.token });
    expect([response.status, response.body]).toEqual([404, { detail: 'Not found.' }]);
    const wrongMethod = await rest(t.url, 'DELETE', url(roomId), { token: owner.token });
    expect([wrongMethod.status, wrongMethod.body]).toEqual([405, { detail: 'Method "DELETE" not allowed.' }]);
    const noSlash = await rest(t.url, 'GET', `/api/chat/rooms/${roomId}/messages`, { token: owner.token });
    expect([noSlash.status, noSlash.body]).toEqual([404, { detail: 'Not found.' }]);
  });

  describe('GraphQL: rooms, membership and own-message edits', () => {
    it('lets members read all, lets only the sender edit or delete, and records an event for each change', async () => {
      const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'edits', memberIds: [member.userId] }, owner.token);
      const mine = await call('POST', url(createRoom.id), { token: member.token, body: { content: 'original' } });
      const messageId = String(mine.body.id);
      expect(await errorCode(t.graphqlUrl, EditMessageDocument, { messageId, content: 'hijack' }, owner.token)).toBe('FORBIDDEN');
      expect(await errorCode(t.graphqlUrl, DeleteMessageDocument, { messageId }, owner.token)).toBe('FORBIDDEN');
      const { editMessage } = await ok(t.graphqlUrl, EditMessageDocument, { messageId, content: 'edited' }, member.token);
      expect(editMessage).toMatchObject({ content: 'edited', deletedAt: null });
      expect(editMessage.editedAt).not.toBeNull();
      const afterEdit = await call('GET', url(createRoom.id), { token: owner.token });
      expect(afterEdit.body.results[0]).toMatchObject({ id: mine.body.id, content: 'edited' });
      const { deleteMessage } = await ok(t.graphqlUrl, DeleteMessageDocument, { messageId }, member.token);
      expect(deleteMessage.content).toBe('');
      expect(deleteMessage.deletedAt).not.toBeNull();
      expect(await errorCode(t.graphqlUrl, EditMessageDocument, { messageId, content: 'again' }, member.token)).toBe('CONFLICT');
      const events = await t.server.orm.em.fork().find(SessionEvent, { session: createRoom.id }, { filters: false, orderBy: { id: 'asc' } });
      expect(events.map((e) => e.type).filter((type) => type !== 'delivery.updated')).toEqual(['session.created', 'message.created', 'message.updated', 'message.deleted']);
    });

    it('lets the owner add and remove members; a removed member loses access but keeps authorship', async () => {
      const newcomerName = unique('newcomer');
      const newcomer = await userWithRole(t, admin, UserRole.USER, newcomerName);
      const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'members' }, owner.token);
      expect((await call('GET', url(createRoom.id), { token: newcomer.token })).status).toBe(403);
      expect(await errorCode(t.graphqlUrl, AddRoomMemberDocument, { roomId: createRoom.id, userId: newcomer.userId }, member.token)).toBe('FORBIDDEN');
      await ok(t.graphqlUrl, AddRoomMemberDocument, { roomId: createRoom.id, userId: newcomer.userId }, owner.token);
      const posted = await call('POST', url(createRoom.id), { token: newcomer.token, body: { content: 'joined' } });
      expect(posted.status).toBe(201);
      await ok(t.graphqlUrl, RemoveRoomMemberDocument, { roomId: createRoom.id, userId: newcomer.userId }, owner.token);
      expect((await call('GET', url(createRoom.id), { token: newcomer.token })).status).toBe(403);
      const { roomMessages } = await ok(t.graphqlUrl, RoomMessagesDocument, { roomId: createRoom.id }, owner.token);
      expect(roomMessages.edges[0]!.node.senderUsername).toBe(newcomerName);
      expect(await errorCode(t.graphqlUrl, RemoveRoomMemberDocument, { roomId: createRoom.id, userId: owner.userId }, owner.token)).toBe('CONFLICT');
      const events = await t.server.orm.em.fork().find(SessionEvent, { session: createRoom.id, type: 'session.updated' }, { filters: false });
      expect(events).toHaveLength(2);
    });
  });
});
