import { UserRole } from '../src/shared/enums.js';
import { ChangeOwnPasswordDocument, LoginWithRefreshDocument, MeDocument, RefreshSignInDocument, SignOutEverywhereDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { loginAdmin, PASSWORD, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Refresh tokens: login returns one; each use returns a new access token and a new
 * refresh token and spends the old one; a spent one used again revokes every token of that
 * sign-in; logout and password changes end them all.
 */
describe('refresh tokens', () => {
  let t: TestServer;
  let username: string;
  beforeAll(async () => {
    t = await startTestServer();
    const admin = await loginAdmin(t);
    username = `refresher${Date.now().toString(36)}`;
    await userWithRole(t, admin, UserRole.STAFF, username);
  }, 60_000);
  afterAll(async () => {
    await t.dispose();
  });

  const signIn = async () => (await ok(t.graphqlUrl, LoginWithRefreshDocument, { username, password: PASSWORD })).login;
  const refresh = (refreshToken: string) => gql(t.graphqlUrl, RefreshSignInDocument, { refreshToken });
  const reasonOf = async (refreshToken: string) => (await refresh(refreshToken)).errors?.[0]?.extensions?.reason;

  it('renews an access token without the password, rotating the refresh token each time', async () => {
    const login = await signIn();
    expect(login.refreshToken).toMatch(/^prr_[A-Za-z0-9_-]{43}$/);
    expect(new Date(login.refreshExpiresAt).getTime()).toBeGreaterThan(new Date(login.expiresAt).getTime());
    const first = (await refresh(login.refreshToken)).data!.refreshToken;
    expect(first.user.username).toBe(username);
    expect(first.refreshToken).not.toBe(login.refreshToken);
    expect((await ok(t.graphqlUrl, MeDocument, {}, first.token)).me?.username).toBe(username);
    const second = (await refresh(first.refreshToken)).data!.refreshToken;
    expect((await ok(t.graphqlUrl, MeDocument, {}, second.token)).me?.username).toBe(username);
  });

  it('a spent refresh token used again revokes the whole sign-in, the newest token included; other sign-ins live on', async () => {
    const stolen = await signIn();
    const other = await signIn();
    const renewed = (await refresh(stolen.refreshToken)).data!.refreshToken;
    expect(await reasonOf(stolen.refreshToken)).toBe('REFRESH_TOKEN_REUSED');
    expect(await reasonOf(renewed.refreshToken)).toBe('REFRESH_TOKEN_REVOKED');
    expect((await refresh(other.refreshToken)).data?.refreshToken.user.username).toBe(username);
  });

  it('only one of two concurrent uses of the same token wins, and the loser revokes the family', async () => {
    const login = await signIn();
    const results = await Promise.all([refresh(login.refreshToken), refresh(login.refreshToken)]);
    const winners = results.filter((result) => result.data?.refreshToken);
    expect(winners.length).toBeLessThanOrEqual(1);
    expect(results.some((result) => result.errors?.[0]?.extensions?.reason === 'REFRESH_TOKEN_REUSED')).toBe(true);
    for (const winner of winners) expect(await reasonOf(winner.data!.refreshToken.refreshToken)).toBe('REFRESH_TOKEN_REVOKED');
  });

  it('logout and a password change end every refresh token issued before', async () => {
    const a = await signIn();
    const b = await signIn();
    await ok(t.graphqlUrl, SignOutEverywhereDocument, {}, a.token);
    expect(await reasonOf(a.refreshToken)).toBe('REFRESH_TOKEN_REVOKED');
    expect(await reasonOf(b.refreshToken)).toBe('REFRESH_TOKEN_REVOKED');

    const c = await signIn();
    const changed = (await ok(t.graphqlUrl, ChangeOwnPasswordDocument, { currentPassword: PASSWORD, newPassword: `${PASSWORD}-2` }, c.token)).changePassword;
    expect(await reasonOf(c.refreshToken)).toBe('REFRESH_TOKEN_REVOKED');
    // The password change's own new sign-in works.
    expect((await refresh(changed.refreshToken)).data?.refreshToken.user.username).toBe(username);
    // Back to the shared password, for the tests after this one.
    await ok(t.graphqlUrl, ChangeOwnPasswordDocument, { currentPassword: `${PASSWORD}-2`, newPassword: PASSWORD }, changed.token);
  });

  it('refuses anything that is not a live refresh token with UNAUTHENTICATED, never a 500', async () => {
    const login = await signIn();
    for (const bogus of ['', 'prr_', `prr_${'A'.repeat(43)}`, login.token, 'x'.repeat(5000)]) {
      const result = await refresh(bogus);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'INVALID_REFRESH_TOKEN' });
    }
  });
});

describe('refresh token expiry', () => {
  it('an expired refresh token is refused with REFRESH_TOKEN_EXPIRED', async () => {
    const t = await startTestServer({ env: { REFRESH_TOKEN_TTL_SECONDS: '300' } });
    try {
      const admin = await loginAdmin(t);
      const name = `expiring${Date.now().toString(36)}`;
      await userWithRole(t, admin, UserRole.USER, name);
      const { login } = await ok(t.graphqlUrl, LoginWithRefreshDocument, { username: name, password: PASSWORD });
      // Age the token in place rather than wait five minutes.
      await t.server.orm.em.fork().getConnection().execute(`update refresh_tokens set expires_at = now() - interval '1 second'`);
      const result = await gql(t.graphqlUrl, RefreshSignInDocument, { refreshToken: login.refreshToken });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'REFRESH_TOKEN_EXPIRED' });
    } finally {
      await t.dispose();
    }
  }, 60_000);
});
