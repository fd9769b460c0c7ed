import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { SignJWT } from 'jose';
import { TokenService } from '../src/auth/tokens.js';
import { createLogger } from '../src/observability/logger.js';
import { UserRole } from '../src/shared/enums.js';
import { CreateGuestSessionDocument, CreateSessionDocument, LoginDocument, SendMessageDocument } from './generated/graphql.js';
import { ABUSIVE_DOCUMENTS, aliases } from './helpers/abuse.js';
import { gql, ok } from './helpers/client.js';
import { clusterAvailable, skipReason } from './helpers/cluster.js';
import { loginAdmin, PASSWORD, userWithRole } from './helpers/fixtures.js';
import { JWT_SECRET, startTestServer, type TestServer } from './helpers/server.js';

const post = (t: TestServer, body: unknown, headers: Record<string, string> = {}) =>
  fetch(t.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

async function countRows(t: TestServer, table: string): Promise<number> {
  const rows = await t.server.orm.em.fork().getConnection().execute(`select count(*)::int as n from ${table}`);
  return Number((rows as { n: number }[])[0]!.n);
}

describe('query limits reject abusive documents before any resolver runs (HTTP)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { RATE_LIMIT_MAX: '60' } });
  });
  afterAll(() => t.dispose());

  const abusive: [string, string, RegExp][] = [
    ...ABUSIVE_DOCUMENTS,
    ['too many aliases of a mutation', `mutation { ${aliases(16, 'createSession(subject: "alias bomb") { id }')} }`, /aliases limit/i],
  ];

  it.each(abusive)('%s', async (_name, query, reason) => {
    const sessionsBefore = await countRows(t, 'chat_sessions');
    const response = await post(t, { query });
    const body = (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
    expect(response.status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.map((e) => e.message).join(' | ')).toMatch(reason);
    // No root field resolved: nothing was counted against the rate limit, nothing was written.
    expect(response.headers.get('ratelimit')).toBeNull();
    expect(await countRows(t, 'chat_sessions')).toBe(sessionsBefore);
  });

  it('accepts a document just inside the limits (the control case)', async () => {
    const response = await post(t, { query: `{ ${aliases(15, 'me { id }')} }` });
    expect(response.status).toBe(200);
    expect(response.headers.get('ratelimit')).toMatch(/remaining=\d+/);
  });

  it('refuses batched requests', async () => {
    const response = await post(t, [{ query: '{ me { id } }' }, { query: '{ me { id } }' }]);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/json/);
  });

  it('refuses a JSON body over the size limit with a JSON 413', async () => {
    const response = await post(t, { query: '{ me { id } }', variables: { pad: 'x'.repeat(1_100_000) } });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toMatch(/json/);
  });

  // Production hides both: test/production.test.ts.
  it('allows introspection and field suggestions outside production', async () => {
    const schema = await gql(t.graphqlUrl, '{ __schema { queryType { name } } }');
    expect(schema.errors).toBeUndefined();
    const typo = await gql(t.graphqlUrl, '{ mee { id } }');
    expect(typo.errors?.[0]?.message).toMatch(/Did you mean/);
  });
});

describe('rate limits on GraphQL', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { RATE_LIMIT_MAX: '60', RATE_LIMIT_OVERRIDES: 'login=3,setTyping=5', TRUST_PROXY: '1' } });
  });
  afterAll(() => t.dispose());

  const me = (ip: string, query = '{ me { id } }') => post(t, { query }, { 'x-forwarded-for': ip });

  it('answers the 61st request within a minute with 429, RATE_LIMITED and the headers', async () => {
    for (let i = 1; i <= 60; i++) {
      const response = await me('203.0.113.1');
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit')).toMatch(new RegExp(`^limit=60, remaining=${60 - i}, reset=\\d+$`));
    }
    const refused = await me('203.0.113.1');
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit-policy')).toBe('60;w=60');
    expect(refused.headers.get('ratelimit')).toMatch(/^limit=60, remaining=0, reset=\d+$/);
  });

  it('keys anonymous callers by the client IP the trusted proxy reports', async () => {
    expect((await me('203.0.113.2')).status).toBe(200);
  });

  it('counts every alias of a field', async () => {
    const response = await me('203.0.113.3', `{ ${Array.from({ length: 10 }, (_, i) => `a${i}: me { id }`).join(' ')} }`);
    expect(response.headers.get('ratelimit')).toMatch(/remaining=50,/);
  });

  it('counts every alias of a mutation field, refusing those past the limit with RATE_LIMITED', async () => {
    const { createGuestSession } = await ok(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey: randomUUID() });
    const typing = `setTyping(sessionId: "${createGuestSession.session.id}", isTyping: true) { isTyping }`;
    const send = (count: number) =>
      post(t, { query: `mutation { ${Array.from({ length: count }, (_, i) => `a${i}: ${typing}`).join(' ')} }` }, { authorization: `Bearer ${createGuestSession.token}` });
    // setTyping allows 5 calls here; mutation fields run one after another, each counted.
    const first = await send(3);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit')).toMatch(/^limit=5, remaining=2,/);
    const second = await send(4);
    const body = (await second.json()) as { data: Record<string, { isTyping: boolean } | null> | null; errors?: { path: string[]; extensions: { code: string } }[] };
    expect(second.headers.get('ratelimit')).toMatch(/^limit=5, remaining=0,/);
    // a0 and a1 used the last two calls; a2 was refused, and its null (the field is non-null)
    // ended the serial execution, so a3 never ran.
    expect(second.status).toBe(429);
    expect(body.data).toBeNull();
    expect(body.errors?.map((error) => [error.path[0], error.extensions.code])).toEqual([['a2', 'RATE_LIMITED']]);
  });

  it('applies per-operation overrides', async () => {
    const attempts = [];
    for (let i = 0; i < 4; i++) attempts.push((await post(t, { query: LOGIN, variables: { username: 'nobody', password: 'wrong-password' } }, { 'x-forwarded-for': '203.0.113.4' })).status);
    expect(attempts).toEqual([200, 200, 200, 429]);
  });

  it('counts signed-in users by account, not by address', async () => {
    const admin = await loginAdmin(t);
    const response = await post(t, { query: '{ me { id } }' }, { authorization: `Bearer ${admin.token}`, 'x-forwarded-for': '203.0.113.1' });
    expect(response.status).toBe(200);
  });
});

describe('rate limits on every REST dialect', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { RATE_LIMIT_MAX: '60', TRUST_PROXY: '1' } });
  });
  afterAll(() => t.dispose());

  const dialects: [string, (n: number) => [string, RequestInit], Record<string, unknown>][] = [
    ['v1', () => ['/api/v1/chat/guest/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }], { success: false, error: { code: 'RATE_LIMIT_EXCEEDED' } }],
    ['chat API', () => ['/api/chat/stats', {}], { success: false, error: { code: 'RATE_LIMIT_EXCEEDED' } }],
    ['widget', () => [`/widget/conversations/${randomUUID()}/messages`, {}], { detail: 'rate_limited' }],
    // Different room ids are one route: they share one count.
    ['rooms', (n) => [`/api/chat/rooms/${n + 1}/messages/`, {}], { detail: expect.stringMatching(/throttled/) }],
  ];

  it.each(dialects)("%s: the 61st request within a minute gets 429 in the dialect's body, with the headers", async (name, request, body) => {
    const ip = `198.51.100.${dialects.findIndex(([d]) => d === name) + 1}`;
    const call = (n: number) => {
      const [path, init] = request(n);
      return fetch(`${t.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-forwarded-for': ip } });
    };
    for (let i = 0; i < 60; i++) {
      const response = await call(i);
      expect(response.status).not.toBe(429);
      expect(response.headers.get('ratelimit')).toMatch(new RegExp(`^limit=60, remaining=${59 - i}, reset=\\d+$`));
    }
    const refused = await call(60);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit-policy')).toBe('60;w=60');
    expect(await refused.json()).toMatchObject(body);
  });
});

const LOGIN = 'mutation($username: String!, $password: String!) { login(username: $username, password: $password) { token } }';

describe('rate limit windows slide', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_SECONDS: '2' } });
  });
  afterAll(() => t.dispose());

  it('lets no more than the policy through in any window, across a window boundary', async () => {
    const accepted: number[] = [];
    const fire = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const response = await post(t, { query: '{ me { id } }' });
        if (response.status === 200) accepted.push(Date.now());
        else expect(response.status).toBe(429);
      }
    };
    await fire(5);
    await new Promise((r) => setTimeout(r, 1200));
    await fire(5); // straddles the boundary of a fixed window starting at the first burst
    await new Promise((r) => setTimeout(r, 1000));
    await fire(6);
    for (const start of accepted) {
      expect(accepted.filter((at) => at >= start && at < start + 2000).length).toBeLessThanOrEqual(5);
    }
    // The first burst left the window, so the last burst was served again.
    expect(accepted.length).toBeGreaterThanOrEqual(10);
  });
});

skipReason(clusterAvailable(), 'rate limits across nodes need PostgreSQL and Redis shared by two servers (DATABASE_URL and REDIS_URL)');
(clusterAvailable() ? describe : describe.skip)('rate limits across nodes sharing Redis', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await startTestServer({ env: { RATE_LIMIT_MAX: '60' } });
    b = await startTestServer({ database: a.database, env: { RATE_LIMIT_MAX: '60' } });
  });
  afterAll(async () => {
    await b.stop();
    await a.dispose();
  });

  it('shares one count: 30 requests on each node, then the 61st on either is refused', async () => {
    for (let i = 0; i < 30; i++) {
      expect((await post(a, { query: '{ me { id } }' })).status).toBe(200);
      expect((await post(b, { query: '{ me { id } }' })).status).toBe(200);
    }
    expect((await post(a, { query: '{ me { id } }' })).status).toBe(429);
    expect((await post(b, { query: '{ me { id } }' })).status).toBe(429);
  });
});

describe('token attacks are refused with 401', () => {
  const PREVIOUS = 'the-previous-signing-key-0123456789abcdef';
  let t: TestServer;
  let userId: string;
  beforeAll(async () => {
    t = await startTestServer({ env: { JWT_PREVIOUS_SECRET: PREVIOUS } });
    const admin = await loginAdmin(t);
    userId = (await userWithRole(t, admin, UserRole.USER, 'victim')).userId;
  });
  afterAll(() => t.dispose());

  const secret = new TextEncoder().encode(JWT_SECRET);
  const claims = { typ: 'access', tid: '1', ver: 0 };
  const base = (jwt: SignJWT) => jwt.setSubject(userId).setIssuer('parley').setAudience('parley-api').setIssuedAt().setExpirationTime('1h');
  const status = async (token: string) => (await post(t, { query: '{ me { id } }' }, { authorization: `Bearer ${token}` })).status;

  it('accepts a well-formed token (the control case)', async () => {
    expect(
      await status(
        await base(new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }))
          .setNotBefore('0s')
          .sign(secret),
      ),
    ).toBe(200);
  });

  it.each([
    [
      'HS/RS confusion (RS256 signed with a key pair)',
      async () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return base(new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }))
          .setNotBefore('0s')
          .sign(privateKey);
      },
    ],
    [
      'a token that is not valid yet (nbf in the future)',
      () =>
        base(new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }))
          .setNotBefore('1h')
          .sign(secret),
    ],
    ['a token without nbf', () => base(new SignJWT(claims).setProtectedHeader({ alg: 'HS256' })).sign(secret)],
    [
      'a key id nobody knows',
      () =>
        base(new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'retired-key' }))
          .setNotBefore('0s')
          .sign(secret),
    ],
    [
      'a token without its version claim',
      () =>
        base(new SignJWT({ typ: 'access', tid: '1' }).setProtectedHeader({ alg: 'HS256' }))
          .setNotBefore('0s')
          .sign(secret),
    ],
  ])('%s', async (_name, make) => {
    expect(await status(await make())).toBe(401);
  });

  it('still accepts tokens signed with the previous key after a rotation', async () => {
    const old = new TokenService({
      jwtSecret: new TextEncoder().encode(PREVIOUS),
      jwtPreviousSecret: null,
      jwtIssuer: 'parley',
      jwtAudience: 'parley-api',
      accessTokenTtlSeconds: 3600,
      guestTokenTtlSeconds: 3600,
      inviteTtlSeconds: 3600,
    });
    expect(await status(await old.issueAccessToken(userId, '1', 0))).toBe(200);
  });

  it('revokes every token of a user on logout', async () => {
    const { login } = await ok(t.graphqlUrl, LoginDocument, { username: 'victim', password: PASSWORD });
    const other = (await ok(t.graphqlUrl, LoginDocument, { username: 'victim', password: PASSWORD })).login.token;
    expect(await status(login.token)).toBe(200);
    const out = await gql(t.graphqlUrl, 'mutation { logout }', {}, login.token);
    expect(out.data).toEqual({ logout: true });
    expect(await status(login.token)).toBe(401);
    expect(await status(other)).toBe(401);
    const refused = await gql(t.graphqlUrl, '{ me { id } }', {}, login.token);
    expect(refused.errors?.[0]?.extensions?.reason).toBe('TOKEN_REVOKED');
  });

  it('revokes earlier tokens on a password change and hands out a working one', async () => {
    const { login } = await ok(t.graphqlUrl, LoginDocument, { username: 'victim', password: PASSWORD });
    const wrong = await gql(t.graphqlUrl, 'mutation { changePassword(currentPassword: "not-it-at-all", newPassword: "a-new-password") { token } }', {}, login.token);
    expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const changed = await gql<{ changePassword: { token: string } }, unknown>(
      t.graphqlUrl,
      `mutation { changePassword(currentPassword: "${PASSWORD}", newPassword: "a-new-password") { token } }`,
      {},
      login.token,
    );
    expect(await status(login.token)).toBe(401);
    expect(await status(changed.data!.changePassword.token)).toBe(200);
    expect((await gql(t.graphqlUrl, LoginDocument, { username: 'victim', password: 'a-new-password' })).data?.login.token).toBeTruthy();
  });
});

describe('HTTP hardening', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { CORS_ORIGINS: 'https://app.example.com' } });
  });
  afterAll(() => t.dispose());

  it('sends security headers on every response', async () => {
    for (const response of [await fetch(`${t.url}/healthz`), await post(t, { query: '{ me { id } }' }), await fetch(`${t.url}/nope`)]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
      expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(response.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('answers CORS only for allowed origins', async () => {
    const preflight = (origin: string) =>
      fetch(t.graphqlUrl, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const denied = await preflight('https://evil.example.net');
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('logs carry no personal data, secrets or message text', () => {
  it('after a full scenario, no email, phone, password, token or message text appears in any log line', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const t = await startTestServer({ logger: createLogger('trace', sink) });
    const secrets: string[] = [PASSWORD, 'wrong-password-123'];
    try {
      const admin = await loginAdmin(t);
      secrets.push(admin.token);
      const email = `someone.${randomUUID().slice(0, 8)}@example.test`;
      const phone = '+420 777 123 456';
      const user = await userWithRole(t, admin, UserRole.USER, `logged-${randomUUID().slice(0, 6)}`);
      secrets.push(user.token);
      const guest = await ok(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey: randomUUID(), guestName: 'Logan', guestEmail: email, guestPhone: phone });
      secrets.push(guest.createGuestSession.token, email, phone);
      const text = `very private words ${randomUUID()}`;
      secrets.push(text);
      await ok(t.graphqlUrl, SendMessageDocument, { sessionId: guest.createGuestSession.session.id, content: text }, guest.createGuestSession.token);
      const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'subject line' }, user.token);
      await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: `${text} again` }, user.token);
      await gql(t.graphqlUrl, LoginDocument, { username: 'admin', password: 'wrong-password-123' });
      await gql(t.graphqlUrl, '{ me { id } }', {}, `${user.token}tampered`);
      await fetch(`${t.url}/healthz?token=${user.token}`);
      await gql(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: `${text}\u0000` }, user.token);
    } finally {
      await t.dispose();
    }
    const log = lines.join('');
    expect(log.length).toBeGreaterThan(0);
    expect(log).toMatch(/"trace_id"/);
    expect(secrets.length).toBe(8);
    for (const secret of secrets) expect(log).not.toContain(secret);
    // Tokens are long; even a fragment of one must not leak.
    for (const token of secrets.filter((s) => s.split('.').length === 3)) expect(log).not.toContain(token.split('.')[2]!);
  });
});
