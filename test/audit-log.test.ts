import { parse } from 'csv-parse/sync';
import { parseAdminCommand } from '../src/admin/admin.commands.js';
import { totpCode } from '../src/auth/totp.js';
import { UserRole } from '../src/shared/enums.js';
import {
  AcceptInviteDocument,
  AuditLogDocument,
  type AuditLogQuery,
  ChangeOwnPasswordDocument,
  ClearBusinessHoursDocument,
  ConfirmTotpDocument,
  CreateApiKeyDocument,
  CreateSlaPolicyDocument,
  CreateUserDocument,
  CreateWebhookDocument,
  DeleteSlaPolicyDocument,
  DeleteWebhookDocument,
  DisableTotpDocument,
  DisableWebhookDocument,
  EnableWebhookDocument,
  EnrollTotpDocument,
  ExportReportDocument,
  InviteUserDocument,
  LoginDocument,
  LoginWithRefreshDocument,
  RefreshSignInDocument,
  RegenerateRecoveryCodesDocument,
  RequireTwoFactorDocument,
  ResetTwoFactorDocument,
  RevokeApiKeyDocument,
  RotateWebhookSecretDocument,
  SetAutoAssignmentDocument,
  SetAutoCloseDocument,
  SetAutoReplyDocument,
  SetBusinessHoursDocument,
  SignOutEverywhereDocument,
  UpdateSlaPolicyDocument,
  UpdateWebhookDocument,
  VerifyAuditLogDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, foreignTenantAdmin, guestSession, loginAdmin, PASSWORD, unique, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * The audit log (docs/security.md, "Audit log"): each security-relevant act writes exactly one
 * entry with its actor, action, target, client address, user agent and a redacted diff; admins
 * of the tenant read and export it; the per-tenant hash chain names the first tampered row.
 */

let t: TestServer;
let admin: Actor;

beforeAll(async () => {
  t = await startTestServer();
  admin = await loginAdmin(t);
});
afterAll(() => t.dispose());

const AGENT = 'audit-test/1.0 (+https://parley.example)';
const STEP_MS = 30_000;
type Entry = AuditLogQuery['auditLog']['edges'][number]['node'];

/** A GraphQL call that must succeed, sent with the test's user agent. */
async function act<TData, TVars>(document: Parameters<typeof gql<TData, TVars>>[1], variables: TVars, token?: string): Promise<TData> {
  const result = await gql(t.graphqlUrl, document, variables, token, { 'user-agent': AGENT });
  if (result.errors?.length || !result.data) throw new Error(`GraphQL call failed: ${JSON.stringify(result.errors)}`);
  return result.data;
}

/** Every entry of an action (and actor), newest first, as the admin reads them. */
async function entries(action: string, actorId?: string, token = admin.token): Promise<Entry[]> {
  const { auditLog } = await ok(t.graphqlUrl, AuditLogDocument, { action, actorId, first: 200 }, token);
  return auditLog.edges.map((edge) => edge.node);
}
const about = (list: Entry[], targetId: string) => list.filter((entry) => entry.targetId === targetId);

/** The entry of one act: the only one of its action about its target, made by the admin from this test's client. */
async function onlyEntry(action: string, targetId: string, actorId = admin.userId): Promise<Entry> {
  const found = about(await entries(action), targetId);
  expect(found).toHaveLength(1);
  const [entry] = found;
  expect(entry).toMatchObject({ action, actorId, targetId, userAgent: AGENT });
  expect(entry!.ip).toMatch(/127\.0\.0\.1|::1/);
  return entry!;
}

/** Every stored row of the audit log, as text: no secret may appear in any of them. */
async function everyRowAsText(): Promise<string> {
  const rows = await t.server.orm.em.fork().getConnection().execute<object[]>('select * from audit_log');
  return JSON.stringify(rows);
}

const reasonOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => (result.errors ? `${result.errors[0]?.extensions?.code} ${result.errors[0]?.extensions?.reason}` : 'OK');

describe('audit log: each act writes one entry', () => {
  it('sign-in, failed sign-in, password change and sign-out', async () => {
    const username = unique('au');
    const user = await userWithRole(t, admin, UserRole.STAFF, username);
    await act(LoginDocument, { username, password: PASSWORD });
    const logins = about(await entries('auth.login', user.userId), user.userId);
    // userWithRole signed in once (without the test's agent), and now once more.
    expect(logins).toHaveLength(2);
    expect(logins[0]).toMatchObject({ actorType: 'USER', actorId: user.userId, targetType: 'user', userAgent: AGENT, diff: null });

    expect(reasonOf(await gql(t.graphqlUrl, LoginDocument, { username, password: 'wrong-password' }, undefined, { 'user-agent': AGENT }))).toBe('UNAUTHENTICATED INVALID_CREDENTIALS');
    const failed = about(await entries('auth.login_failed'), user.userId);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ actorType: 'ANONYMOUS', actorId: null, targetType: 'user', userAgent: AGENT, diff: { username: { after: username }, reason: { after: 'INVALID_CREDENTIALS' } } });
    // An unknown name is recorded too (no target), and the password tried never is.
    const nobody = unique('nobody');
    await gql(t.graphqlUrl, LoginDocument, { username: nobody, password: 'guess-password' });
    expect((await entries('auth.login_failed')).filter((entry) => (entry.diff as { username: { after: string } }).username.after === nobody)).toMatchObject([{ targetId: null }]);
    // Refused before any sign-in was tried (a blank name): nothing.
    const before = (await entries('auth.login_failed')).length;
    expect(reasonOf(await gql(t.graphqlUrl, LoginDocument, { username: ' ', password: PASSWORD }))).toMatch(/^BAD_USER_INPUT/);
    expect(await entries('auth.login_failed')).toHaveLength(before);

    const newPassword = 'a-brand-new-password-42';
    const { changePassword } = await act(ChangeOwnPasswordDocument, { currentPassword: PASSWORD, newPassword }, user.token);
    expect(about(await entries('auth.password_changed', user.userId), user.userId)).toMatchObject([{ userAgent: AGENT, diff: { password: { before: '[redacted]', after: '[redacted]' } } }]);
    // A wrong current password changes nothing and writes nothing.
    await gql(t.graphqlUrl, ChangeOwnPasswordDocument, { currentPassword: 'not-it-at-all', newPassword: 'another-password-1' }, changePassword.token);
    expect(about(await entries('auth.password_changed', user.userId), user.userId)).toHaveLength(1);

    await act(SignOutEverywhereDocument, {}, changePassword.token);
    expect(about(await entries('auth.logout', user.userId), user.userId)).toMatchObject([{ actorType: 'USER', userAgent: AGENT }]);
    expect(await everyRowAsText()).not.toContain(newPassword);
    expect(await everyRowAsText()).not.toContain('wrong-password');
    expect(await everyRowAsText()).not.toContain('guess-password');
  });

  it('a spent refresh token used again, and an invitation accepted', async () => {
    const username = unique('rt');
    await userWithRole(t, admin, UserRole.STAFF, username);
    const { login } = await ok(t.graphqlUrl, LoginWithRefreshDocument, { username, password: PASSWORD });
    const before = (await entries('auth.refresh_token_reused')).length;
    await act(RefreshSignInDocument, { refreshToken: login.refreshToken }, undefined);
    const reused = await gql(t.graphqlUrl, RefreshSignInDocument, { refreshToken: login.refreshToken }, undefined, { 'user-agent': AGENT });
    expect(reasonOf(reused)).toBe('UNAUTHENTICATED REFRESH_TOKEN_REUSED');
    const after = await entries('auth.refresh_token_reused');
    expect(after).toHaveLength(before + 1);
    expect(after[0]).toMatchObject({ actorType: 'ANONYMOUS', targetType: 'sign_in', userAgent: AGENT });
    expect(await everyRowAsText()).not.toContain(login.refreshToken);

    const { inviteUser } = await act(InviteUserDocument, { username: unique('inv'), role: UserRole.STAFF }, admin.token);
    await act(AcceptInviteDocument, { inviteToken: inviteUser.inviteToken, password: PASSWORD }, undefined);
    // A second use is refused and writes nothing.
    await gql(t.graphqlUrl, AcceptInviteDocument, { inviteToken: inviteUser.inviteToken, password: PASSWORD });
    expect(about(await entries('auth.invite_accepted'), inviteUser.user.id)).toMatchObject([{ actorType: 'USER', actorId: inviteUser.user.id, userAgent: AGENT }]);
  });

  it('two-factor sign-in turned on, codes renewed, turned off, and reset by an admin; the secret and codes never recorded', async () => {
    const user = await userWithRole(t, admin, UserRole.STAFF);
    const enrol = async () => {
      const { enrollTotp } = await act(EnrollTotpDocument, { password: PASSWORD }, user.token);
      const { confirmTotp } = await act(ConfirmTotpDocument, { code: totpCode(enrollTotp.secret, Date.now() - STEP_MS) }, user.token);
      return { secret: enrollTotp.secret, codes: confirmTotp };
    };
    const first = await enrol();
    expect(about(await entries('two_factor.enabled', user.userId), user.userId)).toMatchObject([{ targetType: 'user', userAgent: AGENT }]);
    const { regenerateRecoveryCodes } = await act(RegenerateRecoveryCodesDocument, { password: PASSWORD, totp: totpCode(first.secret, Date.now()) }, user.token);
    expect(about(await entries('two_factor.recovery_codes_regenerated', user.userId), user.userId)).toHaveLength(1);
    await act(DisableTotpDocument, { password: PASSWORD, recoveryCode: regenerateRecoveryCodes[0] }, user.token);
    expect(about(await entries('two_factor.disabled', user.userId), user.userId)).toHaveLength(1);

    const second = await enrol();
    expect(await act(ResetTwoFactorDocument, { userId: user.userId }, admin.token)).toEqual({ resetTwoFactor: true });
    await onlyEntry('two_factor.reset', user.userId);
    // Nothing to reset: no entry.
    expect(await act(ResetTwoFactorDocument, { userId: user.userId }, admin.token)).toEqual({ resetTwoFactor: false });
    expect(about(await entries('two_factor.reset'), user.userId)).toHaveLength(1);

    // Required of a role, and no longer: a tenant setting (a foreign tenant, so no one here is signed out).
    const boss = await foreignTenantAdmin(t);
    await act(RequireTwoFactorDocument, { roles: [UserRole.STAFF] }, boss.token);
    await act(RequireTwoFactorDocument, { roles: [UserRole.STAFF] }, boss.token);
    await act(RequireTwoFactorDocument, { roles: [] }, boss.token);
    const required = await entries('settings.two_factor_required', boss.userId, boss.token);
    expect(required.map((entry) => entry.diff)).toEqual([{ roles: { before: ['STAFF'], after: [] } }, { roles: { before: [], after: ['STAFF'] } }]);

    const text = await everyRowAsText();
    for (const secret of [first.secret, second.secret, ...first.codes, ...second.codes, ...regenerateRecoveryCodes]) expect(text).not.toContain(secret);
  });

  it('users created and invited; a refused creation writes nothing', async () => {
    const username = unique('created');
    const { createUser } = await act(CreateUserDocument, { username, role: UserRole.STAFF, password: PASSWORD, email: `${username}@example.test` }, admin.token);
    const entry = await onlyEntry('user.created', createUser.id);
    expect(entry).toMatchObject({ actorType: 'USER', targetType: 'user', diff: { username: { after: username }, role: { after: 'STAFF' }, email: { after: `${username}@example.test` } } });
    const invited = unique('invited');
    const { inviteUser } = await act(InviteUserDocument, { username: invited, role: UserRole.USER }, admin.token);
    await onlyEntry('user.invited', inviteUser.user.id);

    const before = (await entries('user.created')).length;
    expect(reasonOf(await gql(t.graphqlUrl, CreateUserDocument, { username: 'Not Valid!', role: UserRole.STAFF, password: PASSWORD }, admin.token))).toMatch(/^BAD_USER_INPUT/);
    expect(reasonOf(await gql(t.graphqlUrl, CreateUserDocument, { username, role: UserRole.STAFF, password: PASSWORD }, admin.token))).toBe('CONFLICT USERNAME_TAKEN');
    expect(await entries('user.created')).toHaveLength(before);
    expect(await everyRowAsText()).not.toContain(inviteUser.inviteToken);
  });

  it('the admin CLI acts as the system', async () => {
    const username = unique('cli');
    const created = await parseAdminCommand(['create-user', username, '--role', 'STAFF']).run({ orm: t.server.orm, tokens: t.server.deps.tokens, secrets: t.server.deps.secrets });
    const { id } = JSON.parse(created.split('\n')[0]!) as { id: string };
    const password = /password: (\S+)/.exec(created)![1]!;
    expect(about(await entries('user.created'), id)).toMatchObject([{ actorType: 'SYSTEM', actorId: null, userAgent: 'parley-admin-cli', ip: null, diff: { role: { after: 'STAFF' } } }]);
    await parseAdminCommand(['set-password', username, '--password', 'set-by-the-cli-1']).run({ orm: t.server.orm, tokens: t.server.deps.tokens, secrets: t.server.deps.secrets });
    expect(about(await entries('auth.password_changed'), id)).toMatchObject([{ actorType: 'SYSTEM', diff: { password: { before: '[redacted]', after: '[redacted]' } } }]);
    const text = await everyRowAsText();
    expect(text).not.toContain(password);
    expect(text).not.toContain('set-by-the-cli-1');
  });

  it('API keys created and revoked, the key never recorded; a key acting is recorded as the key', async () => {
    const bot = await userWithRole(t, admin, UserRole.BOT);
    const { createApiKey } = await act(CreateApiKeyDocument, { name: 'integration', userId: bot.userId }, admin.token);
    expect(await onlyEntry('api_key.created', createApiKey.apiKey.id)).toMatchObject({ targetType: 'api_key', diff: { name: { after: 'integration' }, userId: { after: bot.userId } } });
    // An admin's key: what it does is recorded with the key as the actor.
    const { createApiKey: adminKey } = await act(CreateApiKeyDocument, { name: 'admin automation', userId: admin.userId }, admin.token);
    const { createWebhook } = await act(CreateWebhookDocument, { url: 'http://127.0.0.1:9/by-key', events: ['message.created'] }, adminKey.key);
    expect(about(await entries('webhook.created'), createWebhook.id)).toMatchObject([{ actorType: 'API_KEY', actorId: adminKey.apiKey.id }]);
    await act(RevokeApiKeyDocument, { id: createApiKey.apiKey.id }, admin.token);
    await act(RevokeApiKeyDocument, { id: createApiKey.apiKey.id }, admin.token);
    await onlyEntry('api_key.revoked', createApiKey.apiKey.id);
    await act(RevokeApiKeyDocument, { id: adminKey.apiKey.id }, admin.token);
    const text = await everyRowAsText();
    expect(text).not.toContain(createApiKey.key);
    expect(text).not.toContain(adminKey.key);
  });

  it('webhooks created, updated, disabled, enabled, rotated and deleted, no secret recorded; a refused one writes nothing', async () => {
    const { createWebhook } = await act(CreateWebhookDocument, { url: 'http://127.0.0.1:9/hook', events: ['message.created'] }, admin.token);
    const id = createWebhook.id;
    expect(await onlyEntry('webhook.created', id)).toMatchObject({
      targetType: 'webhook',
      diff: { url: { after: 'http://127.0.0.1:9/hook' }, events: { after: ['message.created'] }, includePrivate: { after: false }, enabled: { after: true } },
    });
    await act(UpdateWebhookDocument, { id, events: ['message.created', 'session.updated'] }, admin.token);
    expect((await onlyEntry('webhook.updated', id)).diff).toEqual({ events: { before: ['message.created'], after: ['message.created', 'session.updated'] } });
    await act(DisableWebhookDocument, { id }, admin.token);
    expect((await onlyEntry('webhook.disabled', id)).diff).toEqual({ enabled: { before: true, after: false } });
    await act(EnableWebhookDocument, { id }, admin.token);
    await onlyEntry('webhook.enabled', id);
    const { rotateWebhookSecret } = await act(RotateWebhookSecretDocument, { id }, admin.token);
    expect((await onlyEntry('webhook.secret_rotated', id)).diff).toEqual({ secret: { before: '[redacted]', after: '[redacted]' } });
    await act(DeleteWebhookDocument, { id }, admin.token);
    expect((await onlyEntry('webhook.deleted', id)).diff).toMatchObject({ url: { before: 'http://127.0.0.1:9/hook' } });

    const before = (await entries('webhook.created')).length;
    expect(reasonOf(await gql(t.graphqlUrl, CreateWebhookDocument, { url: 'ftp://example.test/hook', events: ['message.created'] }, admin.token))).toMatch(/^BAD_USER_INPUT/);
    expect(await entries('webhook.created')).toHaveLength(before);
    const text = await everyRowAsText();
    expect(text).not.toContain(createWebhook.secret);
    expect(text).not.toContain(rotateWebhookSecret.secret);
  });

  it('settings changed: business hours, auto-reply, auto-close, auto-assignment and SLA policies; an unchanged setting writes nothing', async () => {
    const weekly = [{ day: 'MONDAY' as const, opens: '09:00', closes: '17:00' }];
    await act(SetBusinessHoursDocument, { timeZone: 'Europe/Berlin', weekly }, admin.token);
    const hours = (await entries('settings.business_hours'))[0]!;
    expect(hours).toMatchObject({ targetType: 'settings', targetId: 'business_hours', userAgent: AGENT, diff: { timeZone: { after: 'Europe/Berlin' } } });
    await act(SetBusinessHoursDocument, { timeZone: 'Europe/Berlin', weekly }, admin.token);
    expect((await entries('settings.business_hours'))[0]!.id).toBe(hours.id);
    await act(SetBusinessHoursDocument, { timeZone: 'Europe/Paris', weekly }, admin.token);
    expect((await entries('settings.business_hours'))[0]!.diff).toEqual({ timeZone: { before: 'Europe/Berlin', after: 'Europe/Paris' } });
    await act(ClearBusinessHoursDocument, {}, admin.token);
    expect((await entries('settings.business_hours'))[0]!.diff).toMatchObject({ timeZone: { before: 'Europe/Paris', after: null } });

    await act(SetAutoReplyDocument, { enabled: false, outOfHours: 'We are closed; back soon.' }, admin.token);
    expect((await entries('settings.auto_reply'))[0]!.diff).toMatchObject({ outOfHours: { after: 'We are closed; back soon.' } });
    await act(SetAutoCloseDocument, { inactiveSeconds: 3600 }, admin.token);
    await act(SetAutoCloseDocument, { inactiveSeconds: null }, admin.token);
    expect((await entries('settings.auto_close')).slice(0, 2).map((entry) => entry.diff)).toEqual([
      { inactiveSeconds: { before: 3600, after: null } },
      { inactiveSeconds: { before: null, after: 3600 } },
    ]);
    await act(SetAutoAssignmentDocument, { enabled: true }, admin.token);
    await act(SetAutoAssignmentDocument, { enabled: false }, admin.token);
    expect((await entries('settings.auto_assignment')).slice(0, 2).map((entry) => entry.diff)).toEqual([{ enabled: { before: true, after: false } }, { enabled: { before: false, after: true } }]);

    const { createSlaPolicy } = await act(CreateSlaPolicyDocument, { name: 'Audited', priority: 'HIGH', resolutionSeconds: 7200, businessHoursOnly: false }, admin.token);
    expect((await onlyEntry('sla_policy.created', createSlaPolicy.id)).diff).toMatchObject({ name: { after: 'Audited' }, priority: { after: 'HIGH' }, resolutionSeconds: { after: 7200 } });
    await act(UpdateSlaPolicyDocument, { id: createSlaPolicy.id, resolutionSeconds: 3600 }, admin.token);
    expect((await onlyEntry('sla_policy.updated', createSlaPolicy.id)).diff).toEqual({ resolutionSeconds: { before: 7200, after: 3600 } });
    await act(DeleteSlaPolicyDocument, { id: createSlaPolicy.id }, admin.token);
    await onlyEntry('sla_policy.deleted', createSlaPolicy.id);
    // Refused by validation: nothing.
    const before = (await entries('sla_policy.created')).length;
    expect(reasonOf(await gql(t.graphqlUrl, CreateSlaPolicyDocument, { name: ' ', resolutionSeconds: 60, businessHoursOnly: false }, admin.token))).toMatch(/^BAD_USER_INPUT/);
    expect(await entries('sla_policy.created')).toHaveLength(before);
  });

  it('an export is recorded, and the AUDIT export holds the entries of its range as CSV', async () => {
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 3600_000).toISOString();
    const { exportReport } = await act(ExportReportDocument, { kind: 'AUDIT' as const, from, to }, admin.token);
    const [entry] = await entries('export.created');
    expect(entry).toMatchObject({ targetType: 'export', targetId: 'AUDIT', userAgent: AGENT, diff: { kind: { after: 'AUDIT' }, from: { after: from }, to: { after: to } } });
    const response = await fetch(exportReport.url.startsWith('/') ? `${t.url}${exportReport.url}` : exportReport.url);
    expect(response.status).toBe(200);
    const rows = parse(await response.text(), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(['id', 'at', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id', 'ip', 'user_agent', 'diff', 'hash']);
    // The download is recorded too, with the client that used the link.
    expect((await entries('export.downloaded'))[0]).toMatchObject({ actorId: admin.userId, targetId: 'AUDIT', userAgent: 'node', diff: { kind: { after: 'AUDIT' } } });
    const exported = rows.find((row) => row.id === entry!.id);
    expect(exported).toMatchObject({ action: 'export.created', actor_id: admin.userId, user_agent: AGENT, target_id: 'AUDIT' });
    expect(JSON.parse(exported!.diff!)).toEqual(entry!.diff);
    // Only this tenant's entries, in time order.
    const { auditLog } = await ok(t.graphqlUrl, AuditLogDocument, { from, to, first: 1 }, admin.token);
    expect(rows.length).toBeGreaterThanOrEqual(auditLog.totalCount);
    expect(rows.map((row) => row.at)).toEqual([...rows.map((row) => row.at)].sort());
  });
});

describe('audit log: reading it', () => {
  it('pages newest first and filters by action, actor and time', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await act(CreateWebhookDocument, { url: `http://127.0.0.1:9/page-${i}`, events: ['message.created'] }, admin.token)).createWebhook.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const { auditLog } = (await ok(t.graphqlUrl, AuditLogDocument, { action: 'webhook.created', actorId: admin.userId, first: 2, after }, admin.token)) as AuditLogQuery;
      seen.push(...auditLog.edges.map((edge) => edge.node.targetId!));
      expect(auditLog.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!auditLog.pageInfo.hasNextPage) break;
      after = auditLog.pageInfo.endCursor;
    }
    expect(seen.slice(0, 5)).toEqual([...ids].reverse());
    expect(new Set(seen).size).toBe(seen.length);

    const newest = (await entries('webhook.created'))[0]!;
    const at = new Date(newest.at).getTime();
    const window = await ok(t.graphqlUrl, AuditLogDocument, { from: new Date(at).toISOString(), to: new Date(at + 1).toISOString() }, admin.token);
    expect(window.auditLog.edges.map((edge) => edge.node.id)).toContain(newest.id);
    expect(window.auditLog.edges.every((edge) => new Date(edge.node.at).getTime() === at)).toBe(true);
    const later = await ok(t.graphqlUrl, AuditLogDocument, { action: 'webhook.created', from: new Date(at + 1).toISOString() }, admin.token);
    expect(later.auditLog.edges.map((edge) => edge.node.id)).not.toContain(newest.id);

    expect(reasonOf(await gql(t.graphqlUrl, AuditLogDocument, { action: 'webhook.exploded' }, admin.token))).toMatch(/^BAD_USER_INPUT/);
    expect(reasonOf(await gql(t.graphqlUrl, AuditLogDocument, { first: 0 }, admin.token))).toMatch(/^BAD_USER_INPUT/);
    expect(reasonOf(await gql(t.graphqlUrl, AuditLogDocument, { after: 'not-a-cursor' }, admin.token))).toBe('BAD_USER_INPUT INVALID_CURSOR');
    for (const id of ids) await gql(t.graphqlUrl, DeleteWebhookDocument, { id }, admin.token);
  });

  it("is for the tenant's admins only: another tenant's admin sees only their own; staff, customers, guests and anonymous callers are refused", async () => {
    const foreign = await foreignTenantAdmin(t);
    const theirs = await ok(t.graphqlUrl, AuditLogDocument, { first: 200 }, foreign.token);
    // Their own sign-in only.
    expect(theirs.auditLog.edges.map((edge) => [edge.node.action, edge.node.actorId])).toEqual([['auth.login', foreign.userId]]);
    expect((await ok(t.graphqlUrl, AuditLogDocument, { actorId: admin.userId }, foreign.token)).auditLog.totalCount).toBe(0);
    expect((await ok(t.graphqlUrl, VerifyAuditLogDocument, {}, foreign.token)).verifyAuditLog).toEqual({ ok: true, firstBrokenId: null, checked: 1 });

    const staff = await userWithRole(t, admin, UserRole.STAFF);
    const customer = await userWithRole(t, admin, UserRole.USER);
    const guest = await guestSession(t);
    for (const token of [staff.token, customer.token, guest.token, undefined]) {
      for (const result of [await gql(t.graphqlUrl, AuditLogDocument, {}, token), await gql(t.graphqlUrl, VerifyAuditLogDocument, {}, token)]) {
        expect(result.data).toBeNull();
        expect(reasonOf(result)).toMatch(/^(FORBIDDEN|UNAUTHENTICATED) /);
      }
    }
  });
});

describe('audit log: the hash chain', () => {
  const db = () => t.server.orm.em.fork().getConnection();

  /** Changes history the way only someone who can switch the append-only trigger off could. */
  async function tamper(sql: string, params: unknown[]): Promise<void> {
    await t.server.orm.em.fork().transactional(async (tx) => {
      await tx.execute('set local session_replication_role = replica');
      await tx.execute(sql, params);
    });
  }

  it('refuses UPDATE and DELETE', async () => {
    const [row] = await db().execute<{ id: string }[]>('select id::text as id from audit_log order by id limit 1');
    await expect(db().execute(`update audit_log set diff = '{}' where id = ?`, [row!.id])).rejects.toThrow(/append-only/);
    await expect(db().execute('delete from audit_log where id = ?', [row!.id])).rejects.toThrow(/append-only/);
  });

  it('verifies, and names the tampered row, or the row after a removed one', async () => {
    const boss = await foreignTenantAdmin(t);
    const hooks: string[] = [];
    for (let i = 0; i < 4; i++) hooks.push((await ok(t.graphqlUrl, CreateWebhookDocument, { url: `http://127.0.0.1:9/chain-${i}`, events: ['message.created'] }, boss.token)).createWebhook.id);
    const verify = async () => (await ok(t.graphqlUrl, VerifyAuditLogDocument, {}, boss.token)).verifyAuditLog;
    expect(await verify()).toEqual({ ok: true, firstBrokenId: null, checked: 5 });
    const { auditLog } = await ok(t.graphqlUrl, AuditLogDocument, { action: 'webhook.created' }, boss.token);
    const [fourth, third, second] = auditLog.edges.map((edge) => edge.node.id);

    await tamper(`update audit_log set diff = jsonb_set(diff, '{url,after}', '"http://127.0.0.1:9/evil"') where id = ?`, [second]);
    expect(await verify()).toMatchObject({ ok: false, firstBrokenId: second });
    // Put back exactly as it was (jsonb key order aside), the chain holds again.
    await tamper('update audit_log set diff = ?::jsonb where id = ?', [
      JSON.stringify({ url: { after: 'http://127.0.0.1:9/chain-1' }, events: { after: ['message.created'] }, includePrivate: { after: false }, enabled: { after: true } }),
      second,
    ]);
    expect(await verify()).toEqual({ ok: true, firstBrokenId: null, checked: 5 });

    await tamper('delete from audit_log where id = ?', [third]);
    expect(await verify()).toMatchObject({ ok: false, firstBrokenId: fourth });
    // The default tenant's chain is its own and unaffected.
    expect((await ok(t.graphqlUrl, VerifyAuditLogDocument, {}, admin.token)).verifyAuditLog).toMatchObject({ ok: true, firstBrokenId: null });
  });

  it('stays one chain under concurrent acts in one tenant', async () => {
    const boss = await foreignTenantAdmin(t);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => gql(t.graphqlUrl, CreateWebhookDocument, { url: `http://127.0.0.1:9/parallel-${i}`, events: ['message.created'] }, boss.token)),
    );
    expect(results.map(reasonOf)).toEqual(Array(20).fill('OK'));
    expect((await ok(t.graphqlUrl, VerifyAuditLogDocument, {}, boss.token)).verifyAuditLog).toEqual({ ok: true, firstBrokenId: null, checked: 21 });
  });
});
