import { randomUUID } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { UserRole } from '../src/shared/enums.js';
import { CreateGuestSessionDocument, CreateSessionDocument, SendMessageDocument, SessionsDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, assignedSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { JWT_SECRET, startTestServer, type TestServer } from './helpers/server.js';

describe('data integrity under races and bad input', () => {
  let t: TestServer;
  let admin: Actor;
  let owner: Actor;
  let sessionId: string;

  const count = async (table: string): Promise<number> => {
    const rows = await t.server.orm.em.fork().getConnection().execute<{ n: string }[]>(`select count(*) as n from ${table}`);
    return Number(rows[0]!.n);
  };

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    const staff = await userWithRole(t, admin, UserRole.STAFF);
    owner = await userWithRole(t, admin, UserRole.USER);
    sessionId = await assignedSession(t, admin, owner, staff);
  });
  afterAll(() => t.dispose());

  it('stores one message for 20 concurrent sends with one clientMessageId', async () => {
    const before = await count('chat_messages');
    const clientMessageId = randomUUID();
    const results = await Promise.all(Array.from({ length: 20 }, () => ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'only once', clientMessageId }, owner.token)));
    const ids = new Set(results.map((r) => r.sendMessage.message.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.sendMessage.created)).toHaveLength(1);
    expect(await count('chat_messages')).toBe(before + 1);
    expect(await count(`session_events where type = 'message.created'`)).toBeGreaterThan(0);
  });

  it('opens one session for 20 concurrent guest sessions with one sessionKey', async () => {
    const before = await count('chat_sessions');
    const sessionKey = randomUUID();
    const results = await Promise.all(Array.from({ length: 20 }, () => ok(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey, guestName: 'Racer' })));
    expect(new Set(results.map((r) => r.createGuestSession.session.id)).size).toBe(1);
    expect(results.filter((r) => r.createGuestSession.created)).toHaveLength(1);
    expect(await count('chat_sessions')).toBe(before + 1);
    // Every caller got a working token for the same session.
    const sent = await ok(t.graphqlUrl, SendMessageDocument, { sessionId: results[7]!.createGuestSession.session.id, content: 'hi' }, results[7]!.createGuestSession.token);
    expect(sent.sendMessage.message.senderType).toBe('USER');
  });

  it('returns an existing guest session with its history for a duplicate sessionKey', async () => {
    const sessionKey = randomUUID();
    const first = await ok(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey, guestName: 'Ann', guestEmail: 'ann@example.test' });
    expect(first.createGuestSession).toMatchObject({ created: true, messages: [] });
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: first.createGuestSession.session.id, content: 'first words' }, first.createGuestSession.token);
    const again = await ok(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey, guestName: 'Someone else' });
    expect(again.createGuestSession.created).toBe(false);
    expect(again.createGuestSession.session.id).toBe(first.createGuestSession.session.id);
    expect(again.createGuestSession.session.guestName).toBe('Ann');
    expect(again.createGuestSession.messages.map((m) => m.content)).toEqual(['first words']);
  });

  it('stores tags exactly as given, even ones spelled like SQL NULL or holding array syntax, and finds them by tag', async () => {
    const tags = ['null', 'a,b', 'say "hi"', 'back\\slash', '{x}', 'two words'];
    const created = await gql<{ createSession: { id: string; tags: string[] } }, unknown>(
      t.graphqlUrl,
      'mutation($tags: [String!]) { createSession(subject: "tags", tags: $tags) { id tags } }',
      { tags },
      owner.token,
    );
    expect(created.errors).toBeUndefined();
    expect(created.data!.createSession.tags).toEqual(tags);
    const listed = await gql<{ sessions: { items: { id: string; tags: string[] }[] } }, unknown>(
      t.graphqlUrl,
      'query($tag: String) { sessions(filter: { tag: $tag }) { items { id tags } } }',
      { tag: 'null' },
      owner.token,
    );
    expect(listed.errors).toBeUndefined();
    expect(listed.data!.sessions.items).toEqual([{ id: created.data!.createSession.id, tags }]);
    const chatApi = await fetch(`${t.url}/api/chat/sessions`, { headers: { authorization: `Bearer ${owner.token}` } });
    expect(chatApi.status).toBe(200);
  });

  describe('bad input gets a clear error and stores nothing', () => {
    const cases: [string, () => Promise<Awaited<ReturnType<typeof gql>>>][] = [
      ['empty content', () => gql(t.graphqlUrl, SendMessageDocument, { sessionId, content: '' }, owner.token)],
      ['whitespace content', () => gql(t.graphqlUrl, SendMessageDocument, { sessionId, content: ' \n\t ' }, owner.token)],
      ['content over 10,000 characters', () => gql(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'x'.repeat(10_001) }, owner.token)],
      ['control characters in content', () => gql(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'a\u0000b' }, owner.token)],
      ['oversized metadata', () => gql(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'ok', metadata: { blob: 'x'.repeat(20_000) } }, owner.token)],
      ['a non-numeric session id', () => gql(t.graphqlUrl, SendMessageDocument, { sessionId: 'abc', content: 'ok' }, owner.token)],
      ['an unknown priority', () => gql(t.graphqlUrl, CreateSessionDocument, { priority: 'URGENT' as never }, owner.token)],
      ['an unknown priority inline', () => gql(t.graphqlUrl, 'mutation { createSession(priority: URGENT) { id } }', {}, owner.token)],
      ['too many tags', () => gql(t.graphqlUrl, CreateSessionDocument, { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, owner.token)],
      ['a blank tag', () => gql(t.graphqlUrl, CreateSessionDocument, { tags: ['ok', '  '] }, owner.token)],
      ['a subject over 500 characters', () => gql(t.graphqlUrl, CreateSessionDocument, { subject: 's'.repeat(501) }, owner.token)],
      ['a blank sessionKey', () => gql(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey: '   ' })],
      ['a sessionKey with spaces', () => gql(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey: 'a b' })],
      ['a malformed guest email', () => gql(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey: randomUUID(), guestEmail: 'nope' })],
      ['a malformed guest phone', () => gql(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey: randomUUID(), guestPhone: 'call me' })],
    ];
    it.each(cases)('%s', async (_name, call) => {
      const before = [await count('chat_messages'), await count('chat_sessions'), await count('session_events')];
      const result = await call();
      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message).toBeTruthy();
      expect([await count('chat_messages'), await count('chat_sessions'), await count('session_events')]).toEqual(before);
    });
  });

  describe('bad tokens are refused with 401 and change nothing', () => {
    const secret = new TextEncoder().encode(JWT_SECRET);
    const claims = () => ({ typ: 'access', tid: '1' });
    const sign = (key: Uint8Array, build: (jwt: SignJWT) => SignJWT) => build(new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).setSubject(owner.userId).setIssuedAt()).sign(key);

    const tokens: [string, () => Promise<string>][] = [
      ['malformed', async () => 'not.a.token'],
      ['garbage', async () => 'x'],
      ['expired', () => sign(secret, (j) => j.setIssuer('parley').setAudience('parley-api').setIssuedAt(1_600_000_000).setExpirationTime(1_600_000_100))],
      ['signed with a foreign key', () => sign(new TextEncoder().encode('another-secret-that-is-long-enough-xxxx'), (j) => j.setIssuer('parley').setAudience('parley-api').setExpirationTime('1h'))],
      ['alg none', async () => new UnsecuredJWT(claims()).setSubject(owner.userId).setIssuer('parley').setAudience('parley-api').setIssuedAt().setExpirationTime('1h').encode()],
      ['wrong audience', () => sign(secret, (j) => j.setIssuer('parley').setAudience('someone-else').setExpirationTime('1h'))],
      ['wrong issuer', () => sign(secret, (j) => j.setIssuer('mallory').setAudience('parley-api').setExpirationTime('1h'))],
      ['without expiry', () => sign(secret, (j) => j.setIssuer('parley').setAudience('parley-api'))],
      [
        'for a user that does not exist',
        () =>
          new SignJWT({ typ: 'access', tid: '1' })
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject('99999999')
            .setIssuer('parley')
            .setAudience('parley-api')
            .setIssuedAt()
            .setExpirationTime('1h')
            .sign(secret),
      ],
      [
        'a tampered payload',
        async () => {
          const good = await sign(secret, (j) => j.setIssuer('parley').setAudience('parley-api').setExpirationTime('1h'));
          const [h, , s] = good.split('.');
          const payload = Buffer.from(JSON.stringify({ typ: 'access', tid: '1', sub: '1', iss: 'parley', aud: 'parley-api', iat: 1, exp: 9_999_999_999 })).toString('base64url');
          return `${h}.${payload}.${s}`;
        },
      ],
    ];
    it.each(tokens)('%s', async (_name, make) => {
      const token = await make();
      const before = await count('chat_sessions');
      const result = await gql(t.graphqlUrl, CreateSessionDocument, { subject: 'should not exist' }, token);
      expect(result.status).toBe(401);
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(await count('chat_sessions')).toBe(before);
    });

    it('refuses an Authorization header that is not a bearer token', async () => {
      const response = await fetch(t.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Basic YWRtaW46YWRtaW4=' },
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
      expect(response.status).toBe(401);
    });

    it('accepts a valid token (the control case)', async () => {
      const result = await ok(t.graphqlUrl, SessionsDocument, {}, owner.token);
      expect(result.sessions.totalCount).toBeGreaterThan(0);
    });
  });
});
