/**
 * Nodes remember their callers' users rows for the revocation check (auth/viewer-cache.ts). These
 * tests make the cache's lifetime long (300 s), so a refused token can only mean the revocation
 * reached the node: at once on the node that revoked, and over pub/sub on every other.
 */
import type { Client } from 'graphql-ws';
import { UserRole } from '../src/shared/enums.js';
import {
  ChangeOwnPasswordDocument,
  CreateApiKeyDocument,
  CreateSessionDocument,
  LoginWithRefreshDocument,
  MeDocument,
  RefreshSignInDocument,
  RevokeApiKeyDocument,
  SendMessageDocument,
  SessionEventsDocument,
  type SessionEventsSubscription,
  SetTypingDocument,
  SignOutEverywhereDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { clusterAvailable, skipReason, startCluster } from './helpers/cluster.js';
import { loginAdmin, PASSWORD, unique, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { type Collected, subscribe, untilLive, within, wsClient } from './helpers/subscriptions.js';

const LONG_CACHE = { VIEWER_CACHE_TTL_SECONDS: '300' };

/** The refusal reason for a token, or null when it still works. */
async function refusal(graphqlUrl: string, token: string): Promise<string | null> {
  const result = await gql(graphqlUrl, MeDocument, {}, token);
  if (result.data?.me) return null;
  return (result.errors?.[0]?.extensions?.reason as string | undefined) ?? JSON.stringify(result.errors);
}

/** Pub/sub is fast but not synchronous with the HTTP answer that caused it: ask again for up to a second. */
async function refusedSoon(graphqlUrl: string, token: string): Promise<string | null> {
  const deadline = Date.now() + 1_000;
  for (;;) {
    const reason = await refusal(graphqlUrl, token);
    if (reason !== null || Date.now() > deadline) return reason;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the viewer cache on one node', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: LONG_CACHE });
  });
  afterAll(async () => t.dispose());

  it('refuses a remembered token at once after logout, and after a password change keeps only the new token', async () => {
    const admin = await loginAdmin(t);
    const user = await userWithRole(t, admin, UserRole.STAFF);
    // Used twice: the second request is served from the cache.
    expect(await refusal(t.graphqlUrl, user.token)).toBeNull();
    expect(await refusal(t.graphqlUrl, user.token)).toBeNull();
    await ok(t.graphqlUrl, SignOutEverywhereDocument, {}, user.token);
    expect(await refusal(t.graphqlUrl, user.token)).toBe('TOKEN_REVOKED');

    const other = await userWithRole(t, admin, UserRole.USER);
    expect(await refusal(t.graphqlUrl, other.token)).toBeNull();
    const { changePassword } = await ok(t.graphqlUrl, ChangeOwnPasswordDocument, { currentPassword: PASSWORD, newPassword: `${PASSWORD}-new` }, other.token);
    expect(await refusal(t.graphqlUrl, other.token)).toBe('TOKEN_REVOKED');
    // The new token carries a version above the remembered one: the row is read again, not refused.
    expect(await refusal(t.graphqlUrl, changePassword.token)).toBeNull();
    expect(await refusal(t.graphqlUrl, changePassword.token)).toBeNull();
  });

  it('refuses both remembered access tokens of a sign-in at once when its spent refresh token is reused; another sign-in lives on', async () => {
    const admin = await loginAdmin(t);
    const username = unique('family');
    await userWithRole(t, admin, UserRole.USER, username);
    const signIn = async () => (await ok(t.graphqlUrl, LoginWithRefreshDocument, { username, password: PASSWORD })).login;
    const stolen = await signIn();
    const other = await signIn();
    const renewed = (await ok(t.graphqlUrl, RefreshSignInDocument, { refreshToken: stolen.refreshToken })).refreshToken;
    for (const token of [stolen.token, renewed.token, other.token]) expect(await refusal(t.graphqlUrl, token)).toBeNull();

    const reuse = await gql(t.graphqlUrl, RefreshSignInDocument, { refreshToken: stolen.refreshToken });
    expect(reuse.errors?.[0]?.extensions?.reason).toBe('REFRESH_TOKEN_REUSED');
    expect(await refusal(t.graphqlUrl, stolen.token)).toBe('TOKEN_REVOKED');
    expect(await refusal(t.graphqlUrl, renewed.token)).toBe('TOKEN_REVOKED');
    expect(await refusal(t.graphqlUrl, other.token)).toBeNull();
  });
});

const available = clusterAvailable();
skipReason(available, 'revocation across nodes needs two nodes sharing PostgreSQL and Redis (DATABASE_URL and REDIS_URL)');

describe('the viewer cache across two nodes', () => {
  (available ? it : it.skip)(
    'a logout or password change on one node refuses the old token on the other, though both remembered it',
    async () => {
      const { a, b, dispose } = await startCluster({ env: LONG_CACHE });
      try {
        const admin = await loginAdmin(a);
        const leaving = await userWithRole(a, admin, UserRole.STAFF);
        const changing = await userWithRole(a, admin, UserRole.USER);
        for (const node of [a, b]) {
          for (const actor of [leaving, changing]) expect(await refusal(node.graphqlUrl, actor.token)).toBeNull();
        }

        await ok(a.graphqlUrl, SignOutEverywhereDocument, {}, leaving.token);
        expect(await refusal(a.graphqlUrl, leaving.token)).toBe('TOKEN_REVOKED');
        expect(await refusedSoon(b.graphqlUrl, leaving.token)).toBe('TOKEN_REVOKED');

        const { changePassword } = await ok(b.graphqlUrl, ChangeOwnPasswordDocument, { currentPassword: PASSWORD, newPassword: `${PASSWORD}-new` }, changing.token);
        expect(await refusal(b.graphqlUrl, changing.token)).toBe('TOKEN_REVOKED');
        expect(await refusedSoon(a.graphqlUrl, changing.token)).toBe('TOKEN_REVOKED');
        for (const node of [a, b]) expect(await refusal(node.graphqlUrl, changePassword.token)).toBeNull();
      } finally {
        await dispose();
      }
    },
    60_000,
  );
});

type Events = Collected<SessionEventsSubscription>;
const contents = (events: Events) => events.items.flatMap((item) => (item.sessionEvents.__typename === 'MessageEvent' ? [item.sessionEvents.message.content] : []));

/** The errors a stream ended with; fails when it is still open after `ms` (far below the 4 s periodic check). */
const endsWithin = (events: Events, ms: number): Promise<unknown> => within(events.ended(), ms, () => `still open ${ms} ms after the revoke, having received ${JSON.stringify(contents(events))}`);

describe('revocations across two nodes', () => {
  (available ? it : it.skip)(
    'a refresh token reused or an API key revoked on one node ends their streams on the other before anything sent after it',
    async () => {
      const { a, b, dispose } = await startCluster({ env: LONG_CACHE });
      const clients: Client[] = [];
      try {
        const admin = await loginAdmin(a);
        const username = unique('twonodes');
        const user = await userWithRole(a, admin, UserRole.USER, username);
        const { createSession } = await ok(a.graphqlUrl, CreateSessionDocument, { subject: 'two nodes' }, user.token);
        const sessionId = createSession.id;
        const login = (await ok(a.graphqlUrl, LoginWithRefreshDocument, { username, password: PASSWORD })).login;
        const renewed = (await ok(a.graphqlUrl, RefreshSignInDocument, { refreshToken: login.refreshToken })).refreshToken;
        const { createApiKey } = await ok(a.graphqlUrl, CreateApiKeyDocument, { name: 'two nodes', userId: admin.userId }, admin.token);
        const watch = async (token: string) => {
          const client = wsClient(b.url, token);
          clients.push(client);
          const events = subscribe(client, SessionEventsDocument, { sessionId });
          await untilLive(
            events,
            () => ok(a.graphqlUrl, SetTypingDocument, { sessionId, isTyping: false }, admin.token),
            (item) => item.sessionEvents.__typename === 'TypingEvent',
          );
          return events;
        };
        const family = await watch(renewed.token);
        const keyed = await watch(createApiKey.key);
        const control = await watch(admin.token);
        // B remembers the sign-in as live.
        expect(await refusal(b.graphqlUrl, renewed.token)).toBeNull();

        expect((await gql(a.graphqlUrl, RefreshSignInDocument, { refreshToken: login.refreshToken })).errors?.[0]?.extensions?.reason).toBe('REFRESH_TOKEN_REUSED');
        await ok(a.graphqlUrl, RevokeApiKeyDocument, { id: createApiKey.apiKey.id }, admin.token);
        await ok(a.graphqlUrl, SendMessageDocument, { sessionId, content: 'after both revocations' }, admin.token);

        expect(await endsWithin(family, 1_000)).toMatchObject([{ extensions: { code: 'FORBIDDEN', reason: 'TOKEN_REVOKED' } }]);
        expect(await endsWithin(keyed, 1_000)).toMatchObject([{ extensions: { code: 'FORBIDDEN', reason: 'API_KEY_REVOKED' } }]);
        await control.until((items) => items.some((item) => item.sessionEvents.__typename === 'MessageEvent'), 'the message on the control stream');
        expect(contents(family)).toEqual([]);
        expect(contents(keyed)).toEqual([]);
        expect(await refusedSoon(b.graphqlUrl, renewed.token)).toBe('TOKEN_REVOKED');
      } finally {
        await Promise.all(clients.map((client) => client.dispose()));
        await dispose();
      }
    },
    60_000,
  );
});
