import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { ChatSession } from '../src/model/session.entity.js';
import { Tenant } from '../src/model/tenant.entity.js';
import { UserRole } from '../src/shared/enums.js';
import { createTenant } from '../src/tenants/tenant.service.js';
import { AssignAgentDocument, CloseSessionDocument, SendMessageDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { type Actor, guestSession, loginAdmin, unique, userWithRole } from './helpers/fixtures.js';
import { expectSameShape, OpenApiChecker, type RestOptions, rest } from './helpers/rest.js';
import { JWT_SECRET, startTestServer, type TestServer } from './helpers/server.js';

const START = '/widget/session';
const MESSAGES = '/widget/conversations/{id}/messages';
const ORIGIN = 'https://shop.example';
/** Seed 002's example body. */
const EXAMPLE = {
  conversation_id: '<uuid>',
  messages: [{ id: '<uuid>', role: 'user', content: 'Ahoj', metadata: {}, created_at: '2025-01-01T00:00:00+00:00' }],
  paging: { limit: 50, offset: 0, has_more: false },
};

describe('widget dialect (seed 002)', () => {
  let t: TestServer;
  let admin: Actor;
  let widgetKey: string;
  let foreignKey: string;
  const openapi = new OpenApiChecker();
  const call = async (method: string, template: string, path: string, options: RestOptions = {}) => {
    const response = await rest(t.url, method, path, options);
    openapi.check(method, template, response);
    return response;
  };
  const start = async (key = widgetKey, origin: string | null = ORIGIN) => call('POST', START, START, { body: { widget_key: key }, headers: origin ? { origin } : {} });
  const path = (id: string, query = '') => `/widget/conversations/${id}/messages${query}`;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    const em = t.server.orm.em.fork();
    const tenant = await em.findOneOrFail(Tenant, { id: t.server.defaultTenantId });
    tenant.allowedOrigins = [ORIGIN];
    await em.flush();
    widgetKey = tenant.widgetKey;
    const foreign = await createTenant(em, unique('shop-'));
    foreign.allowedOrigins = ['https://other.example'];
    await em.flush();
    foreignKey = foreign.widgetKey;
  });
  afterAll(() => t.dispose());

  it('starts a conversation (201) with the widget key from an allowed Origin, refusing bad keys (401) and origins (403)', async () => {
    const response = await start();
    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(['conversation_id', 'token']);
    expect(response.body.conversation_id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await start('wk_nope')).body).toEqual({ detail: 'invalid_widget_key' });
    expect((await start(widgetKey, 'https://evil.example')).body).toEqual({ detail: 'origin_not_allowed' });
    expect((await start(widgetKey, null)).status).toBe(403);
    expect((await start(foreignKey)).status).toBe(403);
    const missing = await call('POST', START, START, { body: {}, headers: { origin: ORIGIN } });
    expect(missing.body).toEqual({ detail: [{ loc: ['body', 'widget_key'], msg: 'field required', type: 'value_error.missing' }] });
    const malformed = await call('POST', START, START, { raw: '{', headers: { origin: ORIGIN } });
    expect([malformed.status, malformed.body.detail[0].type]).toEqual([422, 'value_error.jsondecode']);
  });

  it('pages history by limit/offset in created_at, id order with has_more from limit + 1, in the example shape', async () => {
    const { body } = await start();
    const { token, conversation_id: id } = body;
    const staff = await userWithRole(t, admin, UserRole.STAFF);
    const contents = ['Ahoj', 'two', 'three', 'four', 'five'];
    for (const [i, content] of contents.entries()) {
      if (i === 1) {
        // The assistant reply (stage 06): staff answers in the same conversation.
        const session = await t.server.orm.em.fork().findOneOrFail(ChatSession, { uuid: id }, { filters: false });
        await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: session.id, agentId: staff.userId }, admin.token);
        await ok(t.graphqlUrl, SendMessageDocument, { sessionId: session.id, content }, staff.token);
      } else {
        const sent = await call('POST', MESSAGES, path(id), { token, body: { content, metadata: { i } } });
        expect(sent.status).toBe(201);
        expect(sent.body).toMatchObject({ role: 'user', content, metadata: { i } });
      }
    }
    const first = await call('GET', MESSAGES, path(id, '?limit=2&offset=0&extra=ignored'), { token });
    expect(first.status).toBe(200);
    expectSameShape(first.body, EXAMPLE);
    expectSameShape(first.body.messages[0], EXAMPLE.messages[0]!);
    expectSameShape(first.body.paging, EXAMPLE.paging);
    expect(first.body.conversation_id).toBe(id);
    expect(first.body.messages.map((m: { content: string; role: string }) => [m.content, m.role])).toEqual([
      ['Ahoj', 'user'],
      ['two', 'assistant'],
    ]);
    expect(first.body.messages[0].created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
    expect(first.body.paging).toEqual({ limit: 2, offset: 0, has_more: true });
    const last = await call('GET', MESSAGES, path(id, '?limit=2&offset=4'), { token });
    expect(last.body.messages.map((m: { content: string }) => m.content)).toEqual(['five']);
    expect(last.body.paging).toEqual({ limit: 2, offset: 4, has_more: false });
    const exact = await call('GET', MESSAGES, path(id, '?limit=5'), { token });
    expect(exact.body.paging.has_more).toBe(false);
    const defaults = await call('GET', MESSAGES, path(id), { token });
    expect(defaults.body.paging).toEqual({ limit: 50, offset: 0, has_more: false });
    expect(defaults.body.messages.map((m: { content: string }) => m.content)).toEqual(contents);
  });

  it('answers 422 with FastAPI bodies for bad limit, offset and a malformed UUID', async () => {
    const { body } = await start();
    const { token, conversation_id: id } = body;
    const cases: [string, string, string][] = [
      [path(id, '?limit=0'), 'limit', 'value_error.number.not_ge'],
      [path(id, '?limit=101'), 'limit', 'value_error.number.not_le'],
      [path(id, '?limit=ten'), 'limit', 'type_error.integer'],
      [path(id, '?offset=-1'), 'offset', 'value_error.number.not_ge'],
      [path('not-a-uuid'), 'id', 'type_error.uuid'],
    ];
    for (const [url, field, type] of cases) {
      const response = await call('GET', MESSAGES, url, { token });
      expect(response.status).toBe(422);
      expect(response.body.detail).toEqual([expect.objectContaining({ loc: [field === 'id' ? 'path' : 'query', field], msg: expect.any(String), type })]);
    }
    for (const [payload, type] of [
      [{}, 'value_error.missing'],
      [{ content: 5 }, 'type_error.str'],
      [{ content: 'x', metadata: [1] }, 'type_error.dict'],
      [{ content: '  ' }, 'value_error'],
    ] as const) {
      const response = await call('POST', MESSAGES, path(id), { token, body: payload });
      expect([response.status, response.body.detail[0].type]).toEqual([422, type]);
    }
    const malformed = await call('POST', MESSAGES, path(id), { token, raw: '{"content":' });
    expect(malformed.status).toBe(422);
    const large = await call('POST', MESSAGES, path(id), { token, body: { content: 'x'.repeat(40_000) } });
    expect([large.status, large.body]).toEqual([413, { detail: 'payload_too_large' }]);
  });

  it('answers every 401 code of the seed: missing, non-Bearer, invalid, expired token and a token without a conversation', async () => {
    const { body } = await start();
    const url = path(body.conversation_id);
    const detail = async (headers: Record<string, string>) => (await call('GET', MESSAGES, url, { headers })).body;
    expect(await detail({})).toEqual({ detail: 'missing_authorization' });
    expect(await detail({ authorization: `Token ${body.token}` })).toEqual({ detail: 'invalid_authorization' });
    expect(await detail({ authorization: 'Bearer garbage' })).toEqual({ detail: 'invalid_token' });
    const secret = new TextEncoder().encode(JWT_SECRET);
    const claims = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString());
    const expired = await new SignJWT({ typ: 'guest', tid: claims.tid, sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.sub)
      .setIssuer('parley')
      .setAudience('parley-api')
      .setIssuedAt(1_000)
      .setNotBefore(1_000)
      .setExpirationTime(2_000)
      .sign(secret);
    expect(await detail({ authorization: `Bearer ${expired}` })).toEqual({ detail: 'token_expired' });
    const wrongAudience = await new SignJWT({ typ: 'guest', tid: claims.tid, sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.sub)
      .setIssuer('parley')
      .setAudience('elsewhere')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(secret);
    expect(await detail({ authorization: `Bearer ${wrongAudience}` })).toEqual({ detail: 'invalid_claims' });
    expect(await detail({ authorization: `Bearer ${admin.token}` })).toEqual({ detail: 'invalid_claims' });
    for (const [headers, status] of [
      [{}, 401],
      [{ authorization: 'Bearer garbage' }, 401],
    ] as const) {
      expect((await call('GET', MESSAGES, url, { headers })).status).toBe(status);
    }
  });

  it('answers 403 conversation_mismatch for another conversation, tenant_mismatch and conversation_not_found for tokens whose conversation moved or vanished', async () => {
    const mine = await start();
    const other = await start();
    const guest = await guestSession(t);
    for (const id of [other.body.conversation_id, randomUUID()]) {
      const read = await call('GET', MESSAGES, path(id), { token: mine.body.token });
      expect([read.status, read.body]).toEqual([403, { detail: 'conversation_mismatch' }]);
      const write = await call('POST', MESSAGES, path(id), { token: mine.body.token, body: { content: 'x' } });
      expect([write.status, write.body]).toEqual([403, { detail: 'conversation_mismatch' }]);
    }
    expect((await call('GET', MESSAGES, path(mine.body.conversation_id), { token: guest.token })).body).toEqual({ detail: 'conversation_mismatch' });

    const claims = JSON.parse(Buffer.from(mine.body.token.split('.')[1], 'base64url').toString());
    const em = t.server.orm.em.fork();
    const foreign = await createTenant(em, unique('moved-'));
    const otherTenantToken = await t.server.deps.tokens.issueGuestToken(claims.sub, foreign.id, claims.sid);
    expect((await call('GET', MESSAGES, path(mine.body.conversation_id), { token: otherTenantToken })).body).toEqual({ detail: 'tenant_mismatch' });

    await em.nativeDelete(ChatSession, { id: claims.sid }, { filters: false });
    const gone = await call('GET', MESSAGES, path(mine.body.conversation_id), { token: mine.body.token });
    expect([gone.status, gone.body]).toEqual([403, { detail: 'conversation_not_found' }]);
  });

  it("answers browser preflights and reflects the page origin, so the widget works from the tenant's site", async () => {
    const preflight = await fetch(`${t.url}/widget/conversations/${randomUUID()}/messages`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    const started = await start();
    expect(started.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  it('refuses a message to a closed conversation with 409 and never answers HTML for unknown widget paths', async () => {
    const { body } = await start();
    const session = await t.server.orm.em.fork().findOneOrFail(ChatSession, { uuid: body.conversation_id }, { filters: false });
    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: session.id }, admin.token);
    const closed = await call('POST', MESSAGES, path(body.conversation_id), { token: body.token, body: { content: 'late' } });
    expect([closed.status, closed.body]).toEqual([409, { detail: 'conversation_closed' }]);
    const unknown = await rest(t.url, 'GET', '/widget/nothing');
    expect([unknown.status, unknown.body]).toEqual([404, { detail: 'Not Found' }]);
  });
});
