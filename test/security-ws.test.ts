import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { SignJWT, UnsecuredJWT } from 'jose';
import WebSocket from 'ws';
import { UserRole } from '../src/shared/enums.js';
import { CreateSessionDocument, LoginDocument, MessageAddedDocument, SendMessageDocument, SetTypingDocument } from './generated/graphql.js';
import { ABUSIVE_DOCUMENTS, aliases } from './helpers/abuse.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, loginAdmin, PASSWORD, userWithRole } from './helpers/fixtures.js';
import { JWT_SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { Collected, run, type SubscriptionError, subscribe, untilLive, wsClient, wsUrl } from './helpers/subscriptions.js';

/** Starts a subscription and resolves with its errors if it is refused, or null once it is clearly live. */
function refusalOf(client: Client, query: string, variables: Record<string, unknown>, liveAfterMs = 400): Promise<SubscriptionError[] | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), liveAfterMs);
    client.subscribe(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) {
            clearTimeout(timer);
            resolve(result.errors as SubscriptionError[]);
          }
        },
        error: (error) => {
          clearTimeout(timer);
          resolve(Array.isArray(error) ? (error as SubscriptionError[]) : [{ message: String(error) }]);
        },
        complete: () => undefined,
      },
    );
  });
}

/** A raw socket speaking graphql-transport-ws; resolves with the close code (or the refused upgrade's status). */
function rawSocket(
  t: TestServer,
  options: { path?: string; origin?: string; onOpen?: (ws: WebSocket) => void; withReason?: boolean } = {},
): Promise<{ code?: number; reason?: string; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl(t.url, options.path), 'graphql-transport-ws', options.origin ? { origin: options.origin } : {});
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.on('open', () => options.onOpen?.(ws));
    ws.on('close', (code, reason) => resolve(options.withReason ? { code, reason: reason.toString() } : { code }));
    ws.on('error', () => undefined);
  });
}

const TYPING = 'subscription($sessionId: ID!) { typing(sessionId: $sessionId) { isTyping } }';

describe('WebSocket limits', () => {
  let t: TestServer;
  let owner: Actor;
  let sessionId: string;
  const clients: Client[] = [];
  const client = (token: string | null = owner.token) => {
    const c = wsClient(t.url, token);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startTestServer({
      env: { WS_MAX_SUBSCRIPTIONS: '3', WS_INIT_TIMEOUT_MS: '500', WS_MAX_PAYLOAD_BYTES: '8192', CORS_ORIGINS: 'https://app.example.com' },
    });
    // A tenant's widget origin may open sockets too (read before any Origin is checked).
    await t.server.orm.em.fork().getConnection().execute(`update tenants set allowed_origins = '{https://shop.example}'`);
    const admin = await loginAdmin(t);
    owner = await userWithRole(t, admin, UserRole.USER);
    sessionId = (await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'ws limits' }, owner.token)).createSession.id;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t.dispose();
  });

  describe('abusive documents are refused before anything executes', () => {
    it.each(ABUSIVE_DOCUMENTS)('%s', async (_name, query, reason) => {
      const result = await run(client(), query);
      expect(result.data).toBeUndefined();
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.errors?.map((e) => e.message).join(' | ')).toMatch(reason);
    });

    it('refuses an alias bomb of mutations without writing anything', async () => {
      const before = (await ok(t.graphqlUrl, CreateSessionDocument, {}, owner.token)).createSession.id;
      const result = await run(client(), `mutation { ${aliases(16, 'createSession(subject: "bomb") { id }')} }`);
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const after = (await ok(t.graphqlUrl, CreateSessionDocument, {}, owner.token)).createSession.id;
      // Sessions come from one sequence: nothing was created between the two control sessions.
      expect(BigInt(after) - BigInt(before)).toBe(1n);
    });

    it('runs a document inside the limits (the control case)', async () => {
      const result = await run(client(), '{ me { id } }');
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual({ me: { id: owner.userId } });
    });
  });

  it('caps the subscriptions one connection may hold', async () => {
    const c = client();
    const first = await Promise.all([1, 2, 3].map(() => refusalOf(c, TYPING, { sessionId })));
    expect(first).toEqual([null, null, null]);
    const fourth = await refusalOf(c, TYPING, { sessionId });
    expect(fourth?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOO_MANY_SUBSCRIPTIONS' });
    // Another connection has its own allowance.
    expect(await refusalOf(client(), TYPING, { sessionId })).toBeNull();
  });

  it('closes a socket that does not send connection_init in time (4408)', async () => {
    expect(await rawSocket(t)).toEqual({ code: 4408 });
  });

  it('closes a socket that sends a frame over the size limit (1009)', async () => {
    const closed = await rawSocket(t, { onOpen: (ws) => ws.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(10_000) } })) });
    expect(closed).toEqual({ code: 1009 });
  });

  it('closes a socket that subscribes before connection_init (4401)', async () => {
    const closed = await rawSocket(t, { onOpen: (ws) => ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: TYPING, variables: { sessionId } } })) });
    expect(closed).toEqual({ code: 4401 });
  });

  it('refuses browser origins that are not allowed, on both endpoints', async () => {
    // graphql-ws: the browser can read why (4403 ORIGIN_NOT_ALLOWED); the legacy socket answers 403 before the upgrade.
    expect(await rawSocket(t, { origin: 'https://evil.example.net', withReason: true })).toEqual({ code: 4403, reason: 'ORIGIN_NOT_ALLOWED' });
    expect(await rawSocket(t, { origin: 'https://evil.example.net', path: `/ws/chat/${sessionId}?token=${owner.token}` })).toEqual({ status: 403 });
    // Allowed: the configured origin and a tenant's widget origin (these then wait for connection_init).
    expect(await rawSocket(t, { origin: 'https://app.example.com' })).toEqual({ code: 4408 });
    expect(await rawSocket(t, { origin: 'https://shop.example' })).toEqual({ code: 4408 });
  });
});

describe('WebSocket rate limits', () => {
  let t: TestServer;
  let owner: Actor;
  let sessionId: string;
  let c: Client;
  beforeAll(async () => {
    t = await startTestServer({ env: { RATE_LIMIT_MAX: '5', WS_MAX_SUBSCRIPTIONS: '100' } });
    const admin = await loginAdmin(t);
    owner = await userWithRole(t, admin, UserRole.USER);
    sessionId = (await ok(t.graphqlUrl, CreateSessionDocument, {}, owner.token)).createSession.id;
    c = wsClient(t.url, owner.token);
  });
  afterAll(async () => {
    await c.dispose();
    await t.dispose();
  });

  it('counts subscription creation per identity: the 6th of 5 allowed is RATE_LIMITED, and so is the legacy socket', async () => {
    for (let i = 0; i < 5; i++) expect(await refusalOf(c, TYPING, { sessionId }, 250)).toBeNull();
    const refused = await refusalOf(c, TYPING, { sessionId });
    expect(refused?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'RATE_LIMIT_EXCEEDED' });
    // Aliases in the query text do not open fresh buckets.
    const aliased = await refusalOf(c, 'subscription($sessionId: ID!) { other: typing(sessionId: $sessionId) { isTyping } }', { sessionId });
    expect(aliased?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(await rawSocket(t, { path: `/ws/chat/${sessionId}?token=${owner.token}` })).toEqual({ status: 429 });
  });
});

describe('WebSocket token attacks', () => {
  let t: TestServer;
  let owner: Actor;
  const ownerName = `ws-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    t = await startTestServer();
    const admin = await loginAdmin(t);
    owner = await userWithRole(t, admin, UserRole.USER, ownerName);
  });
  afterAll(() => t.dispose());

  const secret = new TextEncoder().encode(JWT_SECRET);
  const claims = () => ({ typ: 'access', tid: t.server.defaultTenantId, ver: 0 });
  /** connection_init with the token; the server either acknowledges (then we close, 1000) or refuses. */
  const closeFor = (token: string | null, scheme = 'Bearer ') =>
    rawSocket(t, {
      withReason: true,
      onOpen: (ws) => {
        ws.on('message', (data) => {
          if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') ws.close(1000);
        });
        ws.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `${scheme}${token}` } : {} }));
      },
    });
  const closeCodeFor = async (token: string | null) =>
    (
      await rawSocket(t, {
        onOpen: (ws) => {
          ws.on('message', (data) => {
            if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') ws.close(1000);
          });
          ws.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} }));
        },
      })
    ).code;

  it.each([
    ['no token', async () => null],
    ['alg none', async () => new UnsecuredJWT(claims()).setSubject(owner.userId).setIssuer('parley').setAudience('parley-api').setIssuedAt().setNotBefore('0s').setExpirationTime('1h').encode()],
    [
      'an expired token',
      () =>
        new SignJWT(claims())
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(owner.userId)
          .setIssuer('parley')
          .setAudience('parley-api')
          .setIssuedAt(1000)
          .setNotBefore(1000)
          .setExpirationTime(2000)
          .sign(secret),
    ],
    [
      'a wrong audience',
      () =>
        new SignJWT(claims())
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(owner.userId)
          .setIssuer('parley')
          .setAudience('elsewhere')
          .setIssuedAt()
          .setNotBefore('0s')
          .setExpirationTime('1h')
          .sign(secret),
    ],
    [
      'a tampered payload',
      async () => {
        const [h, , s] = owner.token.split('.');
        return `${h}.${Buffer.from(JSON.stringify({ ...claims(), sub: '1', iss: 'parley', aud: 'parley-api', iat: 1, nbf: 1, exp: 9_999_999_999 })).toString('base64url')}.${s}`;
      },
    ],
  ])('refuses %s with 4403', async (_name, make) => {
    expect(await closeCodeFor(await make())).toBe(4403);
  });

  it.each([
    ['missing credentials', async () => closeFor(null), 'AUTHENTICATION_REQUIRED'],
    ['a token without the Bearer scheme', async () => closeFor(owner.token, ''), 'INVALID_AUTHORIZATION'],
    ['a token that is not a JWT', async () => closeFor('not-a-token'), 'INVALID_TOKEN'],
    [
      'an expired token',
      async () =>
        closeFor(
          await new SignJWT(claims())
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject(owner.userId)
            .setIssuer('parley')
            .setAudience('parley-api')
            .setIssuedAt(1000)
            .setNotBefore(1000)
            .setExpirationTime(2000)
            .sign(secret),
        ),
      'TOKEN_EXPIRED',
    ],
  ])('says why it refuses %s: 4403 with the reason', async (_name, close, reason) => {
    expect(await close()).toEqual({ code: 4403, reason });
  });

  it('refuses a revoked token with 4403, and accepts a valid one', async () => {
    const { login } = await ok(t.graphqlUrl, LoginDocument, { username: ownerName, password: PASSWORD });
    const c = wsClient(t.url, login.token);
    expect(await run(c, '{ me { id } }')).toEqual({ data: { me: { id: owner.userId } } });
    await c.dispose();
    await gql(t.graphqlUrl, 'mutation { logout }', {}, login.token);
    expect(await closeFor(login.token)).toEqual({ code: 4403, reason: 'TOKEN_REVOKED' });
  });

  it('ends only the operation whose token is revoked: the socket and its other subscription live on', async () => {
    const admin = await loginAdmin(t);
    const user = await userWithRole(t, admin, UserRole.USER);
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'keeps going' }, user.token);
    const closes: number[] = [];
    const c = wsClient(t.url, user.token, (code) => closes.push(code));
    const events = subscribe(c, MessageAddedDocument, { sessionId: createSession.id });
    await untilLive(
      events,
      () => ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'ping' }, user.token),
      () => true,
    );

    // An operation carrying its own, revoked token (extensions.authorization) is refused alone.
    const other = await userWithRole(t, admin, UserRole.USER);
    await gql(t.graphqlUrl, 'mutation { logout }', {}, other.token);
    const refused = await new Promise<SubscriptionError[]>((resolve) => {
      c.subscribe(
        { query: '{ me { id } }', extensions: { authorization: `Bearer ${other.token}` } },
        {
          next: (result) => result.errors && resolve(result.errors as SubscriptionError[]),
          error: (error) => resolve(Array.isArray(error) ? (error as SubscriptionError[]) : [{ message: String(error) }]),
          complete: () => undefined,
        },
      );
    });
    expect(refused[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });

    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'still here' }, user.token);
    await events.until((items) => items.some((item) => item.messageAdded.content === 'still here'), 'the message after the refusal');
    expect(closes).toEqual([]);
    events.stop();
    await c.dispose();
  });

  it("refuses a new subscribe after the connection's own token was revoked as an operation error, not a 4500 close", async () => {
    const { login } = await ok(t.graphqlUrl, LoginDocument, { username: ownerName, password: PASSWORD });
    const closes: number[] = [];
    const c = wsClient(t.url, login.token, (code) => closes.push(code));
    // A subscription keeps the (lazy) socket open across the revocation: one with a token of its
    // own, since the revocation ends the subscriptions made with the connection's token.
    const keeper = await userWithRole(t, await loginAdmin(t), UserRole.USER);
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'revoked' }, keeper.token);
    const open = new Collected<unknown>(() => undefined);
    c.subscribe(
      { query: TYPING, variables: { sessionId: createSession.id }, extensions: { authorization: `Bearer ${keeper.token}` } },
      { next: (result) => open.push(result.data), error: (error) => open.fail([{ message: String(error) }]), complete: () => open.complete() },
    );
    await untilLive(
      open,
      () => ok(t.graphqlUrl, SetTypingDocument, { sessionId: createSession.id, isTyping: false }, keeper.token),
      () => true,
    );
    await gql(t.graphqlUrl, 'mutation { logout }', {}, login.token);
    const result = await run(c, '{ me { id } }');
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
    expect(closes).toEqual([]);
    await c.dispose();
  });
});
