import WebSocket from 'ws';
import { createParleyClient } from '../client/src/index.js';
import { totpCode } from '../src/auth/totp.js';
import { MAX_SECOND_FACTOR_FAILURES } from '../src/auth/two-factor.service.js';
import { UserRole } from '../src/shared/enums.js';
import {
  ConfirmTotpDocument,
  ConfirmTotpWithCredentialsDocument,
  DisableTotpDocument,
  EnrollTotpDocument,
  EnrollTotpWithCredentialsDocument,
  LoginWithSecondFactorDocument,
  MeDocument,
  RegenerateRecoveryCodesDocument,
  RequireTwoFactorDocument,
  ResetTwoFactorDocument,
  SessionEventsDocument,
  SetTypingDocument,
  TwoFactorRequiredRolesDocument,
  TwoFactorStatusDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, assignedSession, foreignTenantAdmin, guestSession, loginAdmin, PASSWORD, unique, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, untilLive, wsClient } from './helpers/subscriptions.js';

let t: TestServer;
let admin: Actor;

beforeAll(async () => {
  t = await startTestServer();
  admin = await loginAdmin(t);
});
afterAll(() => t.dispose());

const STEP_MS = 30_000;
const reasonOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => (result.errors ? `${result.errors[0]?.extensions?.code} ${result.errors[0]?.extensions?.reason}` : 'OK');

/** A user with two-factor sign-in on: their name, secret, recovery codes and token. */
async function enrolledUser(role = UserRole.STAFF) {
  const username = unique('tf');
  const actor = await userWithRole(t, admin, role, username);
  const { enrollTotp } = await ok(t.graphqlUrl, EnrollTotpDocument, { password: PASSWORD }, actor.token);
  // The enrolment's own code is the step before now: later logins in this step stay fresh.
  const { confirmTotp: recoveryCodes } = await ok(t.graphqlUrl, ConfirmTotpDocument, { code: totpCode(enrollTotp.secret, Date.now() - STEP_MS) }, actor.token);
  return { ...actor, username, secret: enrollTotp.secret, recoveryCodes };
}
const login = (username: string, second: { totp?: string; recoveryCode?: string } = {}, password = PASSWORD) => gql(t.graphqlUrl, LoginWithSecondFactorDocument, { username, password, ...second });

describe('two-factor sign-in (TOTP)', () => {
  it('is enrolled with the password, turned on by a code from the app, and hands out ten recovery codes once', async () => {
    const username = unique('tf');
    const user = await userWithRole(t, admin, UserRole.USER, username);
    expect(reasonOf(await gql(t.graphqlUrl, EnrollTotpDocument, { password: 'not-the-password' }, user.token))).toBe('FORBIDDEN PASSWORD_MISMATCH');
    expect(reasonOf(await gql(t.graphqlUrl, ConfirmTotpDocument, { code: '123456' }, user.token))).toBe('CONFLICT TOTP_NOT_ENROLLED');
    const { enrollTotp } = await ok(t.graphqlUrl, EnrollTotpDocument, { password: PASSWORD }, user.token);
    expect(enrollTotp.secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(enrollTotp.otpauthUrl);
    expect([url.protocol, url.host, decodeURIComponent(url.pathname), url.searchParams.get('secret'), url.searchParams.get('issuer')]).toEqual([
      'otpauth:',
      'totp',
      `/Parley:${username}`,
      enrollTotp.secret,
      'Parley',
    ]);
    // Pending: signing in still needs only the password.
    expect((await ok(t.graphqlUrl, TwoFactorStatusDocument, {}, user.token)).twoFactor).toEqual({ enabled: false, recoveryCodesLeft: 0, required: false });
    expect(reasonOf(await login(username))).toBe('OK');

    const wrong = String((Number(totpCode(enrollTotp.secret, Date.now())) + 1) % 1_000_000).padStart(6, '0');
    expect(reasonOf(await gql(t.graphqlUrl, ConfirmTotpDocument, { code: wrong }, user.token))).toBe('UNAUTHENTICATED INVALID_TOTP');
    const { confirmTotp: codes } = await ok(t.graphqlUrl, ConfirmTotpDocument, { code: totpCode(enrollTotp.secret, Date.now()) }, user.token);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    expect((await ok(t.graphqlUrl, TwoFactorStatusDocument, {}, user.token)).twoFactor).toEqual({ enabled: true, recoveryCodesLeft: 10, required: false });
    expect(reasonOf(await gql(t.graphqlUrl, EnrollTotpDocument, { password: PASSWORD }, user.token))).toBe('CONFLICT TWO_FACTOR_ENABLED');
    // The codes are kept only as hashes.
    const stored = await t.server.orm.em.fork().getConnection().execute<{ code_hash: string }[]>('select code_hash from recovery_codes where user_id = ?', [user.userId]);
    expect(stored.map((row) => row.code_hash).some((hash) => codes.some((code) => hash.includes(code.replace(/-/g, ''))))).toBe(false);
  });

  it('refuses guests, bots and anonymous callers', async () => {
    const guest = await guestSession(t);
    expect(reasonOf(await gql(t.graphqlUrl, EnrollTotpDocument, { password: PASSWORD }, guest.token))).toBe('FORBIDDEN GUEST_NOT_ALLOWED');
    expect(reasonOf(await gql(t.graphqlUrl, TwoFactorStatusDocument, {}))).toBe('UNAUTHENTICATED AUTHENTICATION_REQUIRED');
    const bot = await userWithRole(t, admin, UserRole.BOT);
    expect(reasonOf(await gql(t.graphqlUrl, EnrollTotpDocument, { password: PASSWORD }, bot.token))).toBe('FORBIDDEN ROLE_NOT_ALLOWED');
  });

  it('asks for the second factor after the right password only, and issues no token without it', async () => {
    const user = await enrolledUser();
    expect(reasonOf(await login(user.username, {}, 'wrong-password'))).toBe('UNAUTHENTICATED INVALID_CREDENTIALS');
    const bare = await login(user.username);
    expect(reasonOf(bare)).toBe('UNAUTHENTICATED TOTP_REQUIRED');
    expect(bare.data).toBeNull();
    const signedIn = await ok(t.graphqlUrl, LoginWithSecondFactorDocument, { username: user.username, password: PASSWORD, totp: totpCode(user.secret, Date.now()) });
    expect((await ok(t.graphqlUrl, MeDocument, {}, signedIn.login.token)).me?.id).toBe(user.userId);
  });

  it('takes each code once, on every node alike: a replay and a code older than the last one used are refused', async () => {
    const user = await enrolledUser();
    const now = Date.now();
    const code = totpCode(user.secret, now);
    // The same code twice at once: exactly one sign-in.
    const both = await Promise.all([login(user.username, { totp: code }), login(user.username, { totp: code })]);
    expect(both.map(reasonOf).sort()).toEqual(['OK', 'UNAUTHENTICATED INVALID_TOTP']);
    expect(reasonOf(await login(user.username, { totp: code }))).toBe('UNAUTHENTICATED INVALID_TOTP');
    // A phone a step ahead is fine; going back to an earlier step is not.
    expect(reasonOf(await login(user.username, { totp: totpCode(user.secret, now + STEP_MS) }))).toBe('OK');
    expect(reasonOf(await login(user.username, { totp: totpCode(user.secret, now) }))).toBe('UNAUTHENTICATED INVALID_TOTP');
    // Two steps away is no code of now.
    expect(reasonOf(await login(user.username, { totp: totpCode(user.secret, now + 3 * STEP_MS) }))).toBe('UNAUTHENTICATED INVALID_TOTP');
    expect(reasonOf(await login(user.username, { totp: 'abcdef' }))).toBe('UNAUTHENTICATED INVALID_TOTP');
  });

  it('takes a recovery code instead, once each, however it is typed', async () => {
    const user = await enrolledUser();
    const [first, second] = user.recoveryCodes as [string, string];
    expect(reasonOf(await login(user.username, { recoveryCode: ` ${first.toUpperCase().replace(/-/g, ' ')} ` }))).toBe('OK');
    expect(reasonOf(await login(user.username, { recoveryCode: first }))).toBe('UNAUTHENTICATED INVALID_RECOVERY_CODE');
    expect(reasonOf(await login(user.username, { recoveryCode: 'aaaa-bbbb-cccc' }))).toBe('UNAUTHENTICATED INVALID_RECOVERY_CODE');
    const { login: signedIn } = await ok(t.graphqlUrl, LoginWithSecondFactorDocument, { username: user.username, password: PASSWORD, recoveryCode: second });
    expect((await ok(t.graphqlUrl, TwoFactorStatusDocument, {}, signedIn.token)).twoFactor).toEqual({ enabled: true, recoveryCodesLeft: 8, required: false });
  });

  it(`locks the second factor after ${MAX_SECOND_FACTOR_FAILURES} wrong codes, even for the right one, until the window ends`, async () => {
    const user = await enrolledUser();
    const wrong = String((Number(totpCode(user.secret, Date.now())) + 500_000) % 1_000_000).padStart(6, '0');
    for (let attempt = 0; attempt < MAX_SECOND_FACTOR_FAILURES; attempt++) expect(reasonOf(await login(user.username, { totp: wrong }))).toBe('UNAUTHENTICATED INVALID_TOTP');
    expect(reasonOf(await login(user.username, { totp: totpCode(user.secret, Date.now()) }))).toBe('RATE_LIMITED TOO_MANY_SECOND_FACTOR_ATTEMPTS');
    expect(reasonOf(await login(user.username, { recoveryCode: user.recoveryCodes[0] }))).toBe('RATE_LIMITED TOO_MANY_SECOND_FACTOR_ATTEMPTS');
    // Another account is not affected.
    const other = await enrolledUser();
    expect(reasonOf(await login(other.username, { totp: totpCode(other.secret, Date.now()) }))).toBe('OK');
    // The window over (moved back in the database: 15 minutes are not waited out), the right code works and the count starts again.
    await t.server.orm.em.fork().getConnection().execute(`update user_two_factor set failures_since = failures_since - interval '15 minutes' where user_id = ?`, [user.userId]);
    expect(reasonOf(await login(user.username, { totp: totpCode(user.secret, Date.now()) }))).toBe('OK');
    const [state] = await t.server.orm.em.fork().getConnection().execute<{ failed_attempts: number }[]>('select failed_attempts from user_two_factor where user_id = ?', [user.userId]);
    expect(state?.failed_attempts).toBe(0);
  });

  it('is turned off with the password and a second factor, after which the password alone signs in', async () => {
    const user = await enrolledUser();
    expect(reasonOf(await gql(t.graphqlUrl, DisableTotpDocument, { password: PASSWORD }, user.token))).toBe('UNAUTHENTICATED TOTP_REQUIRED');
    expect(reasonOf(await gql(t.graphqlUrl, DisableTotpDocument, { password: 'wrong', totp: totpCode(user.secret, Date.now()) }, user.token))).toBe('FORBIDDEN PASSWORD_MISMATCH');
    expect((await ok(t.graphqlUrl, DisableTotpDocument, { password: PASSWORD, recoveryCode: user.recoveryCodes[3] }, user.token)).disableTotp).toBe(true);
    expect(reasonOf(await login(user.username))).toBe('OK');
    expect((await ok(t.graphqlUrl, DisableTotpDocument, { password: PASSWORD }, user.token)).disableTotp).toBe(false);
    const left = await t.server.orm.em.fork().getConnection().execute<{ n: number }[]>('select count(*)::int as n from recovery_codes where user_id = ?', [user.userId]);
    expect(left[0]?.n).toBe(0);
  });

  it('renews the recovery codes with the password and a code; the old ones stop working', async () => {
    const user = await enrolledUser();
    const { regenerateRecoveryCodes: fresh } = await ok(t.graphqlUrl, RegenerateRecoveryCodesDocument, { password: PASSWORD, totp: totpCode(user.secret, Date.now()) }, user.token);
    expect(fresh).toHaveLength(10);
    expect(reasonOf(await login(user.username, { recoveryCode: user.recoveryCodes[0] }))).toBe('UNAUTHENTICATED INVALID_RECOVERY_CODE');
    expect(reasonOf(await login(user.username, { recoveryCode: fresh[0] }))).toBe('OK');
  });

  it("is reset by an admin of the user's tenant only", async () => {
    const user = await enrolledUser();
    const staff = await userWithRole(t, admin, UserRole.STAFF);
    const foreign = await foreignTenantAdmin(t);
    expect(reasonOf(await gql(t.graphqlUrl, ResetTwoFactorDocument, { userId: user.userId }, staff.token))).toBe('FORBIDDEN ADMIN_ONLY');
    expect(reasonOf(await gql(t.graphqlUrl, ResetTwoFactorDocument, { userId: user.userId }, foreign.token))).toBe('NOT_FOUND USER_NOT_FOUND');
    expect(reasonOf(await gql(t.graphqlUrl, ResetTwoFactorDocument, { userId: 'x' }, admin.token))).toBe('NOT_FOUND USER_NOT_FOUND');
    expect(reasonOf(await login(user.username))).toBe('UNAUTHENTICATED TOTP_REQUIRED');
    expect((await ok(t.graphqlUrl, ResetTwoFactorDocument, { userId: user.userId }, admin.token)).resetTwoFactor).toBe(true);
    expect(reasonOf(await login(user.username))).toBe('OK');
    expect((await ok(t.graphqlUrl, ResetTwoFactorDocument, { userId: user.userId }, admin.token)).resetTwoFactor).toBe(false);
  });

  it('signs the SDK in with a code from its totp callback, asked afresh for each sign-in', async () => {
    const user = await enrolledUser();
    let asked = 0;
    const client = createParleyClient({
      url: t.graphqlUrl,
      webSocketImpl: WebSocket,
      credentials: {
        username: user.username,
        password: PASSWORD,
        totp: () => {
          asked++;
          return totpCode(user.secret, Date.now());
        },
      },
    });
    try {
      const token = await client.token();
      expect((await ok(t.graphqlUrl, MeDocument, {}, token ?? undefined)).me?.id).toBe(user.userId);
      expect(asked).toBe(1);
    } finally {
      await client.close();
    }
    const withoutCode = createParleyClient({ url: t.graphqlUrl, webSocketImpl: WebSocket, credentials: { username: user.username, password: PASSWORD } });
    try {
      await expect(withoutCode.token()).rejects.toMatchObject({ reason: 'TOTP_REQUIRED' });
    } finally {
      await withoutCode.close();
    }
  });

  it('is required of chosen roles by an admin: their users without it are signed out at once, set it up with their password, and cannot turn it off', async () => {
    const staffName = unique('req');
    const staff = await userWithRole(t, admin, UserRole.STAFF, staffName);
    const customer = await userWithRole(t, admin, UserRole.USER);
    const enrolled = await enrolledUser(UserRole.STAFF);
    const sessionId = await assignedSession(t, admin, customer, staff);
    const client = wsClient(t.url, staff.token);
    try {
      const stream = subscribe(client, SessionEventsDocument, { sessionId });
      // Live once the staff member's stream carries the customer's typing.
      await untilLive(
        stream,
        () => ok(t.graphqlUrl, SetTypingDocument, { sessionId, isTyping: true }, customer.token),
        (item) => item.sessionEvents.__typename === 'TypingEvent',
      );
      expect(reasonOf(await gql(t.graphqlUrl, RequireTwoFactorDocument, { roles: ['STAFF'] }, staff.token))).toBe('FORBIDDEN ADMIN_ONLY');
      expect(reasonOf(await gql(t.graphqlUrl, RequireTwoFactorDocument, { roles: ['BOT'] }, admin.token))).toBe('BAD_USER_INPUT INVALID_ARGUMENT');
      expect((await ok(t.graphqlUrl, RequireTwoFactorDocument, { roles: ['STAFF', 'STAFF'] }, admin.token)).requireTwoFactor).toEqual(['STAFF']);
      expect((await ok(t.graphqlUrl, TwoFactorRequiredRolesDocument, {}, admin.token)).twoFactorRequiredRoles).toEqual(['STAFF']);

      // Signed out everywhere, pushed to the open stream; the enrolled colleague and the customer keep theirs.
      const ended = await Promise.race([stream.ended(), new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 2_000))]);
      expect(ended === 'open' ? 'still open 2 s after' : ended?.[0]?.extensions?.reason).toBe('TOKEN_REVOKED');
      expect(reasonOf(await gql(t.graphqlUrl, MeDocument, {}, staff.token))).toBe('UNAUTHENTICATED TOKEN_REVOKED');
      expect((await ok(t.graphqlUrl, MeDocument, {}, enrolled.token)).me?.id).toBe(enrolled.userId);
      expect((await ok(t.graphqlUrl, MeDocument, {}, customer.token)).me?.id).toBe(customer.userId);

      // No token until a second factor is set up, with the password, without a token.
      expect(reasonOf(await login(staffName))).toBe('UNAUTHENTICATED TWO_FACTOR_SETUP_REQUIRED');
      expect(reasonOf(await gql(t.graphqlUrl, EnrollTotpWithCredentialsDocument, { username: staffName, password: 'wrong' }))).toBe('UNAUTHENTICATED INVALID_CREDENTIALS');
      const { enrollTotp } = await ok(t.graphqlUrl, EnrollTotpWithCredentialsDocument, { username: staffName, password: PASSWORD });
      expect(reasonOf(await gql(t.graphqlUrl, ConfirmTotpWithCredentialsDocument, { code: totpCode(enrollTotp.secret, Date.now() - STEP_MS), username: staffName, password: 'wrong' }))).toBe(
        'UNAUTHENTICATED INVALID_CREDENTIALS',
      );
      const { confirmTotp: codes } = await ok(t.graphqlUrl, ConfirmTotpWithCredentialsDocument, {
        code: totpCode(enrollTotp.secret, Date.now() - STEP_MS),
        username: staffName,
        password: PASSWORD,
      });
      expect(codes).toHaveLength(10);
      const { login: signedIn } = await ok(t.graphqlUrl, LoginWithSecondFactorDocument, { username: staffName, password: PASSWORD, totp: totpCode(enrollTotp.secret, Date.now()) });
      expect((await ok(t.graphqlUrl, TwoFactorStatusDocument, {}, signedIn.token)).twoFactor).toEqual({ enabled: true, recoveryCodesLeft: 10, required: true });
      expect(reasonOf(await gql(t.graphqlUrl, DisableTotpDocument, { password: PASSWORD, recoveryCode: codes[0] }, signedIn.token))).toBe('CONFLICT TWO_FACTOR_REQUIRED');

      // Another tenant's rule is its own.
      const foreign = await foreignTenantAdmin(t);
      expect((await ok(t.graphqlUrl, TwoFactorRequiredRolesDocument, {}, foreign.token)).twoFactorRequiredRoles).toEqual([]);
    } finally {
      await ok(t.graphqlUrl, RequireTwoFactorDocument, { roles: [] }, admin.token);
      await client.dispose();
    }
  });
});
