import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '../src/observability/logger.js';
import { UserRole } from '../src/shared/enums.js';
import { CreateGuestSessionDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { loginAdmin, userWithRole } from './helpers/fixtures.js';
import { rest } from './helpers/rest.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const SESSION_BY_KEY = 'query($k: String!) { sessionByKey(sessionKey: $k) { id guestEmail } }';
const GUEST = '/api/v1/chat/guest/session';

/** Guest session keys (seed 003's `session_id`, GraphQL `sessionKey`) are bearer credentials: whoever holds one gets the session's guest token. */
describe('guest session keys are treated as credentials', () => {
  const lines: string[] = [];
  let t: TestServer;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    t = await startTestServer({ logger: createLogger('trace', sink), env: { RATE_LIMIT_OVERRIDES: 'guestSessionKey=5' } });
  });
  afterAll(() => t.dispose());

  describe('at least 16 characters', () => {
    it('GraphQL: refuses a 15-character key as BAD_USER_INPUT saying so, and accepts 16', async () => {
      const short = await gql(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey: 'k'.repeat(15) });
      expect(short.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOO_SHORT' });
      expect(short.errors?.[0]?.message).toMatch(/at least 16 characters/);
      expect((await ok(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey: `${randomUUID().slice(0, 15)}x` })).createGuestSession.created).toBe(true);
    });

    it('v1 (seed 003): refuses a short session_id with 400 VALIDATION_FAILED naming session_id and the minimum', async () => {
      const response = await rest(t.url, 'POST', GUEST, { body: { session_id: 'abc123', guest_name: 'G' } });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        success: false,
        data: null,
        meta: null,
        error: { code: 'VALIDATION_FAILED', fields: { session_id: [expect.stringMatching(/^session_id must be at least 16 characters/)] } },
      });
      expect(Object.keys(response.body).sort()).toEqual(['data', 'error', 'message', 'meta', 'success', 'timestamp', 'trace_id']);
    });
  });

  describe('a duplicate create does not echo contact details', () => {
    it('GraphQL: the first create shows email and phone, a repeat with the same key does not', async () => {
      const sessionKey = randomUUID();
      const first = await ok(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey, guestName: 'Ann', guestEmail: 'ann@example.test', guestPhone: '+420 777 000 111' });
      expect(first.createGuestSession.session).toMatchObject({ guestEmail: 'ann@example.test', guestPhone: '+420 777 000 111' });
      const again = await ok(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey });
      expect(again.createGuestSession.created).toBe(false);
      expect(again.createGuestSession.session).toMatchObject({ id: first.createGuestSession.session.id, guestEmail: null, guestPhone: null });
    });

    it('v1: a repeated session_id answers 200 without the email or phone anywhere in the body', async () => {
      const sessionId = randomUUID();
      await rest(t.url, 'POST', GUEST, { body: { session_id: sessionId, guest_email: 'bob@example.test', guest_phone: '+420 777 222 333' } });
      const again = await rest(t.url, 'POST', GUEST, { body: { session_id: sessionId } });
      expect(again.status).toBe(200);
      expect(again.text).not.toContain('bob@example.test');
      expect(again.text).not.toContain('777 222 333');
    });
  });

  describe("sessionByKey does not tell whether another session's key exists", () => {
    it("answers another session's key exactly like a key nobody has, for guests and users alike", async () => {
      const mine = (await ok(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey: randomUUID() })).createGuestSession;
      const theirs = randomUUID();
      await ok(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey: theirs });
      const admin = await loginAdmin(t);
      const user = await userWithRole(t, admin, UserRole.USER);
      for (const token of [mine.token, user.token]) {
        const existing = await gql(t.graphqlUrl, SESSION_BY_KEY, { k: theirs }, token);
        const missing = await gql(t.graphqlUrl, SESSION_BY_KEY, { k: randomUUID() }, token);
        expect(existing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
        expect([existing.data, existing.errors?.[0]?.message, existing.errors?.[0]?.extensions]).toEqual([missing.data, missing.errors?.[0]?.message, missing.errors?.[0]?.extensions]);
      }
      const own = await gql(t.graphqlUrl, SESSION_BY_KEY, { k: mine.session.sessionKey! }, mine.token);
      expect(own.errors).toBeUndefined();
    });
  });

  describe('attempts are counted per key, whoever makes them', () => {
    it('GraphQL: after the per-key limit, further creates with that key are refused as RATE_LIMITED, other keys still work', async () => {
      const sessionKey = randomUUID();
      for (let i = 0; i < 5; i++) await ok(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey });
      const refused = await gql(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey });
      expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      // The same key through a signed-in caller (another identity than the anonymous IP) is refused too.
      const admin = await loginAdmin(t);
      const byKey = await gql(t.graphqlUrl, SESSION_BY_KEY, { k: sessionKey }, admin.token);
      expect(byKey.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      await ok(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey: randomUUID() });
    });

    it('v1: the guest routes answer 429 RATE_LIMIT_EXCEEDED once one key is over its limit', async () => {
      const key = randomUUID();
      const { body } = await rest(t.url, 'POST', GUEST, { body: { session_id: key } });
      let last = 0;
      for (let i = 0; i < 5 && last !== 429; i++) last = (await rest(t.url, 'GET', `${GUEST}/${key}/messages`, { token: body.data.token })).status;
      expect(last).toBe(429);
      const refused = await rest(t.url, 'POST', GUEST, { body: { session_id: key } });
      expect([refused.status, refused.body.error.code]).toEqual([429, 'RATE_LIMIT_EXCEEDED']);
    });
  });

  it('never writes a key into a log line, URL paths included', async () => {
    const key = randomUUID();
    const { body } = await rest(t.url, 'POST', GUEST, { body: { session_id: key } });
    await rest(t.url, 'GET', `${GUEST}/${key}/messages`, { token: body.data.token });
    await rest(t.url, 'POST', `${GUEST}/${key}/messages`, { token: body.data.token, body: { message: 'hello' } });
    await rest(t.url, 'GET', `/API/V1/CHAT/GUEST/SESSION/${key}/messages`, { token: body.data.token });
    await gql(t.graphqlUrl, SESSION_BY_KEY, { k: key }, body.data.token);
    const log = lines.join('');
    expect(log).toMatch(/guest\/session\/\[redacted\]\/messages/);
    expect(log).not.toContain(key);
  });
});
