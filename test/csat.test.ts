import { UserRole } from '../src/shared/enums.js';
import { AssignAgentDocument, CloseSessionDocument, CreateRoomDocument, CreateSessionDocument, RateSessionDocument, SessionEventsDocument, SessionRatingDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, foreignTenantAdmin, guestSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { rest } from './helpers/rest.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, wsClient } from './helpers/subscriptions.js';

/** CSAT: the customer rates a closed support session once; every transport, every refusal. */
describe('CSAT ratings', () => {
  let t: TestServer;
  let admin: Actor;
  let staff: Actor;
  let otherStaff: Actor;
  let customer: Actor;
  let otherUser: Actor;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    staff = await userWithRole(t, admin, UserRole.STAFF);
    otherStaff = await userWithRole(t, admin, UserRole.STAFF);
    customer = await userWithRole(t, admin, UserRole.USER);
    otherUser = await userWithRole(t, admin, UserRole.USER);
  });
  afterAll(() => t.dispose());

  /** A support session of `customer`, assigned to `staff`, closed unless asked otherwise. */
  async function session({ close = true } = {}): Promise<{ id: string; uuid: string }> {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'help' }, customer.token);
    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: createSession.id, agentId: staff.userId }, admin.token);
    if (close) await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: createSession.id }, admin.token);
    return { id: createSession.id, uuid: createSession.uuid };
  }

  async function refusal(variables: { sessionId: string; score: number; comment?: string | null }, token?: string) {
    const result = await gql(t.graphqlUrl, RateSessionDocument, variables, token);
    expect(result.data).toBeNull();
    const extensions = result.errors?.[0]?.extensions;
    return { code: extensions?.code, reason: extensions?.reason };
  }

  it('the customer rates a closed session once; the rating is on the session for the customer, its agent and admins', async () => {
    const { id } = await session();
    const { rateSession } = await ok(t.graphqlUrl, RateSessionDocument, { sessionId: id, score: 4, comment: '  Quick and kind  ' }, customer.token);
    expect(rateSession).toMatchObject({ sessionId: id, score: 4, comment: 'Quick and kind', agentId: staff.userId });

    for (const reader of [customer, staff, admin]) {
      const { session: read } = await ok(t.graphqlUrl, SessionRatingDocument, { id }, reader.token);
      expect(read.rating).toEqual(rateSession);
    }
    expect(await refusal({ sessionId: id, score: 5 }, customer.token)).toEqual({ code: 'CONFLICT', reason: 'ALREADY_RATED' });
    // The second attempt changed nothing.
    const { session: after } = await ok(t.graphqlUrl, SessionRatingDocument, { id }, admin.token);
    expect(after.rating?.score).toBe(4);
  });

  it('an unrated session has no rating; a session is also rated by its UUID, without a comment', async () => {
    const { id, uuid } = await session();
    expect((await ok(t.graphqlUrl, SessionRatingDocument, { id }, customer.token)).session.rating).toBeNull();
    const { rateSession } = await ok(t.graphqlUrl, RateSessionDocument, { sessionId: uuid, score: 1 }, customer.token);
    expect(rateSession).toMatchObject({ sessionId: id, score: 1, comment: null });
  });

  it('an active session cannot be rated yet (CONFLICT SESSION_NOT_CLOSED)', async () => {
    const { id } = await session({ close: false });
    expect(await refusal({ sessionId: id, score: 5 }, customer.token)).toEqual({ code: 'CONFLICT', reason: 'SESSION_NOT_CLOSED' });
  });

  it('refuses scores outside 1–5 and comments that break the message text rules', async () => {
    const { id } = await session();
    for (const score of [0, 6, -1, 100]) {
      expect(await refusal({ sessionId: id, score }, customer.token)).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_ARGUMENT' });
    }
    expect(await refusal({ sessionId: id, score: 3, comment: 'x'.repeat(1001) }, customer.token)).toEqual({ code: 'BAD_USER_INPUT', reason: 'TOO_LONG' });
    expect(await refusal({ sessionId: id, score: 3, comment: 'bad\u0000text' }, customer.token)).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT' });
    expect(await refusal({ sessionId: 'not-an-id', score: 3 }, customer.token)).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_ARGUMENT' });
    // A comment of exactly the limit, and a blank one (no comment), are fine.
    const { rateSession } = await ok(t.graphqlUrl, RateSessionDocument, { sessionId: id, score: 3, comment: 'y'.repeat(1000) }, customer.token);
    expect(rateSession.comment).toHaveLength(1000);
    const other = await session();
    expect((await ok(t.graphqlUrl, RateSessionDocument, { sessionId: other.id, score: 2, comment: '   ' }, customer.token)).rateSession.comment).toBeNull();
  });

  it('only the customer rates: staff and admins are FORBIDDEN, others as reading the session, another tenant as a missing id', async () => {
    const { id } = await session();
    const guest = await guestSession(t);
    const foreign = await foreignTenantAdmin(t);
    expect(await refusal({ sessionId: id, score: 5 }, admin.token)).toEqual({ code: 'FORBIDDEN', reason: 'NOT_THE_CUSTOMER' });
    expect(await refusal({ sessionId: id, score: 5 }, staff.token)).toEqual({ code: 'FORBIDDEN', reason: 'NOT_THE_CUSTOMER' });
    expect(await refusal({ sessionId: id, score: 5 }, otherStaff.token)).toEqual({ code: 'FORBIDDEN', reason: 'NOT_ASSIGNED' });
    expect(await refusal({ sessionId: id, score: 5 }, otherUser.token)).toEqual({ code: 'FORBIDDEN', reason: 'NOT_YOUR_SESSION' });
    expect(await refusal({ sessionId: id, score: 5 }, guest.token)).toEqual({ code: 'FORBIDDEN', reason: 'NOT_YOUR_SESSION' });
    expect(await refusal({ sessionId: id, score: 5 })).toEqual({ code: 'UNAUTHENTICATED', reason: 'AUTHENTICATION_REQUIRED' });
    const missing = await refusal({ sessionId: '999999999', score: 5 }, foreign.token);
    expect(await refusal({ sessionId: id, score: 5 }, foreign.token)).toEqual(missing);
    expect(missing).toEqual({ code: 'NOT_FOUND', reason: 'SESSION_NOT_FOUND' });
    // None of them left a rating behind.
    expect((await ok(t.graphqlUrl, SessionRatingDocument, { id }, admin.token)).session.rating).toBeNull();
  });

  it('rooms are not rated (BAD_USER_INPUT NOT_RATABLE)', async () => {
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'team' }, customer.token);
    expect(await refusal({ sessionId: createRoom.id, score: 5 }, customer.token)).toEqual({ code: 'BAD_USER_INPUT', reason: 'NOT_RATABLE' });
  });

  it('a guest rates its own closed session; the rating reaches staff live as session.updated (changes: rating)', async () => {
    const guest = await guestSession(t);
    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: guest.sessionId, agentId: staff.userId }, admin.token);
    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: guest.sessionId }, admin.token);
    const client = wsClient(t.url, staff.token);
    try {
      // `since: 0` replays the session's events first: once the close arrives, the stream is live.
      const events = subscribe(client, SessionEventsDocument, { sessionId: guest.sessionId, since: '0' });
      await events.until((items) => items.some((item) => item.sessionEvents.__typename === 'SessionUpdateEvent' && item.sessionEvents.status === 'CLOSED'), 'the close');
      const { rateSession } = await ok(t.graphqlUrl, RateSessionDocument, { sessionId: guest.sessionId, score: 5, comment: 'great' }, guest.token);
      expect(rateSession.score).toBe(5);
      const items = await events.until((all) => all.some((item) => item.sessionEvents.__typename === 'SessionUpdateEvent' && item.sessionEvents.changes.includes('rating')), 'the rating');
      const rated = items.find((item) => item.sessionEvents.__typename === 'SessionUpdateEvent' && item.sessionEvents.changes.includes('rating'))!;
      expect(rated.sessionEvents).toMatchObject({ type: 'SESSION_UPDATED', changes: ['rating'], status: 'CLOSED' });
      events.stop();
      expect((await ok(t.graphqlUrl, SessionRatingDocument, { id: guest.sessionId }, guest.token)).session.rating).toMatchObject({ score: 5, comment: 'great' });
      expect(await refusal({ sessionId: guest.sessionId, score: 4 }, guest.token)).toEqual({ code: 'CONFLICT', reason: 'ALREADY_RATED' });
    } finally {
      await client.dispose();
    }
  });

  it('concurrent first ratings: exactly one wins, the others are ALREADY_RATED', async () => {
    const { id } = await session();
    const results = await Promise.all([1, 2, 3, 4, 5].map((score) => gql(t.graphqlUrl, RateSessionDocument, { sessionId: id, score }, customer.token)));
    const won = results.filter((result) => !result.errors);
    expect(won).toHaveLength(1);
    for (const lost of results.filter((result) => result.errors)) expect(lost.errors?.[0]?.extensions?.reason).toBe('ALREADY_RATED');
    expect((await ok(t.graphqlUrl, SessionRatingDocument, { id }, admin.token)).session.rating?.score).toBe(won[0]!.data!.rateSession.score);
  });

  describe('REST: v1 dialect (guest)', () => {
    async function closedGuest() {
      const key = crypto.randomUUID();
      const started = await rest(t.url, 'POST', '/api/v1/chat/guest/session', { body: { session_id: key, guest_name: 'G' } });
      return { key, token: started.body.data.token as string, id: String(started.body.data.session.id) };
    }
    const path = (key: string) => `/api/v1/chat/guest/session/${key}/rating`;

    it('rates once (201 envelope), then 409 CONFLICT; 409 while active; 400 VALIDATION_FAILED on bad input; 401 without a token', async () => {
      const g = await closedGuest();
      const active = await rest(t.url, 'POST', path(g.key), { token: g.token, body: { score: 5 } });
      expect(active.status).toBe(409);
      expect(active.body).toMatchObject({ success: false, data: null, error: { code: 'CONFLICT' } });
      await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: g.id }, admin.token);

      const invalid = await rest(t.url, 'POST', path(g.key), { token: g.token, body: { score: 'five', comment: 3 } });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error).toEqual({ code: 'VALIDATION_FAILED', fields: { score: [expect.any(String)], comment: [expect.any(String)] } });
      const outOfRange = await rest(t.url, 'POST', path(g.key), { token: g.token, body: { score: 9 } });
      expect(outOfRange.status).toBe(400);
      expect(outOfRange.body.error).toEqual({ code: 'VALIDATION_FAILED', fields: { score: [expect.stringContaining('score')] } });
      expect((await rest(t.url, 'POST', path(g.key), { body: { score: 5 } })).status).toBe(401);

      const rated = await rest(t.url, 'POST', path(g.key), { token: g.token, body: { score: 5, comment: 'thanks' } });
      expect(rated.status).toBe(201);
      expect(rated.body).toMatchObject({ success: true, data: { session_id: Number(g.id), score: 5, comment: 'thanks' }, meta: null });
      expect(typeof rated.body.trace_id).toBe('string');
      const again = await rest(t.url, 'POST', path(g.key), { token: g.token, body: { score: 1 } });
      expect(again.status).toBe(409);
      expect(again.body.error).toEqual({ code: 'CONFLICT' });
    });

    it("another guest's session key is NOT_FOUND, as a key that does not exist", async () => {
      const g = await closedGuest();
      const other = await closedGuest();
      await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: g.id }, admin.token);
      const foreignKey = await rest(t.url, 'POST', path(g.key), { token: other.token, body: { score: 5 } });
      const missingKey = await rest(t.url, 'POST', path(crypto.randomUUID()), { token: other.token, body: { score: 5 } });
      expect(foreignKey.status).toBe(404);
      expect(foreignKey.body.error).toEqual(missingKey.body.error);
    });
  });

  describe('REST: chat API dialect', () => {
    const path = (id: string) => `/api/chat/sessions/${id}/rating`;

    it('rates once (201), reads it back (200), then 409; errors in the APIResponse shape', async () => {
      const { id } = await session();
      expect((await rest(t.url, 'GET', path(id), { token: admin.token })).status).toBe(404);
      const bad = await rest(t.url, 'POST', path(id), { token: customer.token, body: { score: 2.5 } });
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ success: false, message: expect.any(String), error: { code: 'BAD_REQUEST', message: expect.any(String) } });
      const outOfRange = await rest(t.url, 'POST', path(id), { token: customer.token, body: { score: 0 } });
      expect(outOfRange.status).toBe(400);
      const staffTry = await rest(t.url, 'POST', path(id), { token: staff.token, body: { score: 5 } });
      expect(staffTry.status).toBe(403);
      expect(staffTry.body.error.code).toBe('FORBIDDEN');

      const rated = await rest(t.url, 'POST', path(id), { token: customer.token, body: { score: 4, comment: 'good' } });
      expect(rated.status).toBe(201);
      expect(rated.body).toEqual({ id: expect.any(String), sessionId: id, score: 4, comment: 'good', agentId: staff.userId, createdAt: expect.any(String) });
      for (const reader of [customer, staff, admin]) {
        const read = await rest(t.url, 'GET', path(id), { token: reader.token });
        expect([read.status, read.body]).toEqual([200, rated.body]);
      }
      const again = await rest(t.url, 'POST', path(id), { token: customer.token, body: { score: 4 } });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('CONFLICT');
    });

    it('an active session is 409; not a session reference is 404; another tenant is 404 like a missing id', async () => {
      const { id } = await session({ close: false });
      expect((await rest(t.url, 'POST', path(id), { token: customer.token, body: { score: 5 } })).status).toBe(409);
      expect((await rest(t.url, 'POST', path('nope'), { token: customer.token, body: { score: 5 } })).status).toBe(404);
      const foreign = await foreignTenantAdmin(t);
      const theirs = await rest(t.url, 'GET', path(id), { token: foreign.token });
      const missing = await rest(t.url, 'GET', path('999999999'), { token: foreign.token });
      // The same answer but for the id the message names.
      expect([theirs.status, theirs.body.error.code, theirs.body.error.message.replace(id, 'N')]).toEqual([
        missing.status,
        missing.body.error.code,
        missing.body.error.message.replace('999999999', 'N'),
      ]);
      expect(theirs.status).toBe(404);
    });
  });
});
