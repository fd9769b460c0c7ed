/**
 * Nodes remember their callers' users rows for the revocation check (auth/viewer-cache.ts). These
 * tests make the cache's lifetime long (300 s), so a refused token can only mean the revocation
 * reached the node: at once on the node that revoked, and over pub/sub on every other.
 */
import { UserRole } from '../src/shared/enums.js';
import { ChangeOwnPasswordDocument, MeDocument, SignOutEverywhereDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { clusterAvailable, skipReason, startCluster } from './helpers/cluster.js';
import { PASSWORD, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';

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
});

const available = clusterAvailable();
skipReason(available, 'revocation across nodes needs two nodes sharing PostgreSQL and Redis (DATABASE_URL and REDIS_URL)');

describe('the viewer cache across two nodes', () => {
  (available ? it : it.skip)('a logout or password change on one node refuses the old token on the other, though both remembered it', async () => {
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
  }, 60_000);
});
