import { SignJWT } from 'jose';
import { AcceptInviteDocument, CreateUserDocument, InviteUserDocument, LoginDocument, MeDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, loginAdmin, unique } from './helpers/fixtures.js';
import { JWT_SECRET, startTestServer, type TestServer } from './helpers/server.js';

/** An account nobody can sign in to is never created: a password is set now, or by the user through a one-time invitation. */
describe('accounts get a password or an invitation', () => {
  let t: TestServer;
  let admin: Actor;
  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
  });
  afterAll(() => t.dispose());

  const reason = (result: { errors?: { extensions?: { reason?: string } }[] | undefined }) => result.errors?.[0]?.extensions?.reason;

  it('createUser without a password is refused (PASSWORD_REQUIRED), except for bots', async () => {
    const refused = await gql(t.graphqlUrl, CreateUserDocument, { username: unique('nopw'), role: 'STAFF' }, admin.token);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'PASSWORD_REQUIRED', fields: { password: expect.stringContaining('inviteUser') } });
    const bot = await ok(t.graphqlUrl, CreateUserDocument, { username: unique('bot'), role: 'BOT' }, admin.token);
    expect(bot.createUser.role).toBe('BOT');
  });

  it('inviteUser returns a one-time token; acceptInvite sets the password and signs the user in', async () => {
    const username = unique('invited');
    const { inviteUser } = await ok(t.graphqlUrl, InviteUserDocument, { username, role: 'STAFF' }, admin.token);
    expect(inviteUser.user).toMatchObject({ username, role: 'STAFF' });
    expect(new Date(inviteUser.expiresAt).getTime()).toBeGreaterThan(Date.now());

    // The invitation is not a bearer token, and the account has no password yet.
    expect((await gql(t.graphqlUrl, MeDocument, {}, inviteUser.inviteToken)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(reason(await gql(t.graphqlUrl, LoginDocument, { username, password: '' }))).toBe('INVALID_CREDENTIALS');

    const tooShort = await gql(t.graphqlUrl, AcceptInviteDocument, { inviteToken: inviteUser.inviteToken, password: 'short' });
    expect(tooShort.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const { acceptInvite } = await ok(t.graphqlUrl, AcceptInviteDocument, { inviteToken: inviteUser.inviteToken, password: 'chosen-password-1' });
    expect((await ok(t.graphqlUrl, MeDocument, {}, acceptInvite.token)).me).toMatchObject({ username, role: 'STAFF' });
    await ok(t.graphqlUrl, LoginDocument, { username, password: 'chosen-password-1' });

    // Once only: a second use cannot reset the password.
    expect(reason(await gql(t.graphqlUrl, AcceptInviteDocument, { inviteToken: inviteUser.inviteToken, password: 'hijacked-password' }))).toBe('INVITE_USED');
    await ok(t.graphqlUrl, LoginDocument, { username, password: 'chosen-password-1' });
  });

  it('refuses forged, expired and access tokens as invitations', async () => {
    expect(reason(await gql(t.graphqlUrl, AcceptInviteDocument, { inviteToken: 'nonsense', password: 'chosen-password-1' }))).toBe('INVALID_INVITE');
    // An access token (typ JWT) is not an invitation, even with the right key.
    expect(reason(await gql(t.graphqlUrl, AcceptInviteDocument, { inviteToken: admin.token, password: 'chosen-password-1' }))).toBe('INVALID_INVITE');
    const { inviteUser } = await ok(t.graphqlUrl, InviteUserDocument, { username: unique('late'), role: 'USER' }, admin.token);
    const expired = await new SignJWT({ typ: 'invite', tid: '1', ver: 0 })
      .setProtectedHeader({ alg: 'HS256', typ: 'invite+jwt' })
      .setSubject(inviteUser.user.id)
      .setIssuer('parley')
      .setAudience('parley-api')
      .setIssuedAt(1000)
      .setNotBefore(1000)
      .setExpirationTime(2000)
      .sign(new TextEncoder().encode(JWT_SECRET));
    expect(reason(await gql(t.graphqlUrl, AcceptInviteDocument, { inviteToken: expired, password: 'chosen-password-1' }))).toBe('INVITE_EXPIRED');
  });
});
