import { type AuditAction, appendAudit, auditContextOf, changes, settingsChange } from '../audit/audit-log.js';
import type { Db } from '../db/orm.js';
import type { Scope } from '../db/scope.js';
import { openStoredSecret, totpSecretPlace } from '../db/stored-secrets.js';
import { User } from '../model/user.entity.js';
import { UserRole } from '../shared/enums.js';
import { badInput, conflict, DomainError, forbidden, notFound, unauthenticated, unavailable } from '../shared/errors.js';
import { requireUser } from '../shared/guards.js';
import { type SecretBox, SecretUnreadable } from '../shared/secret-box.js';
import { isId } from '../shared/validate.js';
import { DEFAULT_TENANT_SLUG, findTenantBySlug } from '../tenants/tenant.service.js';
import { verifyPassword } from '../users/password.js';
import { newRecoveryCodes, newTotpSecret, otpauthUrl, recoveryCodeHash, totpStep } from './totp.js';
import type { ViewerCache } from './viewer-cache.js';

/** Failed second factors an account may make in one window before every attempt is refused until it ends. */
export const MAX_SECOND_FACTOR_FAILURES = 5;
export const SECOND_FACTOR_WINDOW_SECONDS = 15 * 60;

/** What a caller offers as their second factor. */
export interface SecondFactor {
  totp?: string | null;
  recoveryCode?: string | null;
}

export interface TotpEnrollment {
  secret: string;
  otpauthUrl: string;
}

export interface TwoFactorStatus {
  enabled: boolean;
  /** Whether the tenant requires a second factor of the user's role (`requireTwoFactor`). */
  required: boolean;
  /** Recovery codes not used yet (0 when two-factor sign-in is off). */
  recoveryCodesLeft: number;
}

interface TwoFactorRow {
  secret: string | null;
  pending_secret: string | null;
}

const rowOf = async (db: Db, userId: string): Promise<TwoFactorRow | null> =>
  (await db.execute<TwoFactorRow[]>('select secret, pending_secret from user_two_factor where user_id = ?', [userId]))[0] ?? null;

/** A user as the two-factor rules need them. */
export interface AccountRef {
  id: string;
  tenantId: string;
  role: UserRole;
}

/** The roles `requireTwoFactor` asks a second factor of (people only: bots sign in with API keys). */
export const TWO_FACTOR_ROLES = [UserRole.ADMIN, UserRole.STAFF, UserRole.USER] as const;

/** Whether the tenant requires two-factor sign-in of `role`. */
export async function requiredOfRole(db: Db, tenantId: string, role: UserRole): Promise<boolean> {
  const [row] = await db.execute<{ required: boolean }[]>('select ? = any(two_factor_roles) as required from tenants where id = ?', [role, tenantId]);
  return row?.required === true;
}

/** A stored TOTP secret (sealed: db/stored-secrets.ts) in the clear; a secret this node cannot open is refused clearly, never taken as wrong codes. */
function totpSecret(secrets: SecretBox, stored: string, userId: string): string {
  try {
    return openStoredSecret(secrets, stored, totpSecretPlace(userId));
  } catch (error) {
    if (error instanceof SecretUnreadable) throw unavailable('SECRET_UNREADABLE');
    throw error;
  }
}

/**
 * The second factor at sign-in (auth.service.ts `login`), for a user whose password was right.
 * A user without two-factor sign-in passes, unless their tenant requires it of their role
 * (TWO_FACTOR_SETUP_REQUIRED: they enrol first, with their password, see
 * `TwoFactorService.enroll`). Otherwise one of a TOTP code or a
 * recovery code must be offered (TOTP_REQUIRED when neither), and it must be good once: a code's
 * time step must be later than the last one accepted, and a recovery code is spent by its use,
 * each by one conditional update, so two nodes given the same code accept it once. Failures are
 * counted per account (MAX_SECOND_FACTOR_FAILURES per SECOND_FACTOR_WINDOW_SECONDS, then refused
 * even with a good code until the window ends): guessing 6 digits needs a million tries.
 */
export async function checkSecondFactor(db: Db, secrets: SecretBox, user: AccountRef, offered: SecondFactor, now = Date.now()): Promise<void> {
  const userId = user.id;
  const row = await rowOf(db, userId);
  if (!row?.secret) {
    if (await requiredOfRole(db, user.tenantId, user.role)) throw unauthenticated('TWO_FACTOR_SETUP_REQUIRED');
    return;
  }
  const totp = offered.totp?.trim() || null;
  const recoveryCode = offered.recoveryCode?.trim() || null;
  if (totp === null && recoveryCode === null) throw unauthenticated('TOTP_REQUIRED');
  await refuseWhileLocked(db, userId, now);
  const secret = row.secret;
  if (await spendSecondFactor(db, userId, () => totpSecret(secrets, secret, userId), { totp, recoveryCode }, now)) {
    await db.execute('update user_two_factor set failed_attempts = 0, failures_since = null where user_id = ? and failed_attempts > 0', [userId]);
    return;
  }
  await recordFailure(db, userId, now);
  throw unauthenticated(totp !== null ? 'INVALID_TOTP' : 'INVALID_RECOVERY_CODE');
}

async function refuseWhileLocked(db: Db, userId: string, now: number): Promise<void> {
  const [state] = await db.execute<{ failed_attempts: number; failures_since: Date | string | null }[]>('select failed_attempts, failures_since from user_two_factor where user_id = ?', [userId]);
  if (!state?.failures_since || state.failed_attempts < MAX_SECOND_FACTOR_FAILURES) return;
  const endsAt = new Date(state.failures_since).getTime() + SECOND_FACTOR_WINDOW_SECONDS * 1000;
  if (endsAt > now) throw new DomainError('TOO_MANY_SECOND_FACTOR_ATTEMPTS', `Too many wrong codes for this account; try again after ${new Date(endsAt).toISOString()}`);
}

/** One failure, in a window that starts at the first failure after the last window ended. */
async function recordFailure(db: Db, userId: string, now: number): Promise<void> {
  await db.execute(
    `update user_two_factor set
       failed_attempts = case when failures_since is null or failures_since <= ?::timestamptz then 1 else failed_attempts + 1 end,
       failures_since = case when failures_since is null or failures_since <= ?::timestamptz then ?::timestamptz else failures_since end
     where user_id = ?`,
    [...Array(2).fill(new Date(now - SECOND_FACTOR_WINDOW_SECONDS * 1000).toISOString()), new Date(now).toISOString(), userId],
  );
}

/** Accepts the offered code once: true when it was good and is now spent. The TOTP secret is opened only for a TOTP code (recovery codes are hashes). */
async function spendSecondFactor(db: Db, userId: string, secret: () => string, offered: { totp: string | null; recoveryCode: string | null }, now: number): Promise<boolean> {
  if (offered.totp !== null) {
    const step = totpStep(secret(), offered.totp, now);
    if (step === null) return false;
    const taken = await db.execute<{ user_id: string }[]>(
      'update user_two_factor set last_step = ? where user_id = ? and secret is not null and (last_step is null or last_step < ?) returning user_id::text as user_id',
      [step, userId, step],
    );
    return taken.length > 0;
  }
  const spent = await db.execute<{ id: string }[]>('update recovery_codes set used_at = ? where user_id = ? and code_hash = ? and used_at is null returning id::text as id', [
    new Date(now),
    userId,
    recoveryCodeHash(offered.recoveryCode ?? ''),
  ]);
  return spent.length > 0;
}

/**
 * Two-factor sign-in (docs/security.md, "Two-factor sign-in"): enrol a TOTP app, confirm it with
 * a code (which turns it on and hands out recovery codes, once), turn it off or renew the recovery
 * codes. Each change asks for the account's password as well, so a stolen access token or an API
 * key alone cannot change how the account signs in. Enrolment and confirmation also work without
 * a token, with the username and password: a user whose role now requires a second factor gets
 * no token until they have one. Admins reset a user who lost their device, and choose the roles
 * that must sign in with a second factor.
 */
export class TwoFactorService {
  constructor(
    private readonly scope: Scope,
    private readonly viewers: ViewerCache,
    private readonly secrets: SecretBox,
    private readonly now: () => number = Date.now,
  ) {}

  /** The signed-in person (bots sign in with API keys and have no password). */
  private person() {
    return requireUser(this.scope.viewer, [...TWO_FACTOR_ROLES]);
  }

  /**
   * The account a change is for, proven by its password: the signed-in person, or (without a
   * token) the one `credentials` name, refused like a failed sign-in when they do not match.
   */
  private async account(password: string, credentials?: Credentials): Promise<User> {
    const viewer = this.scope.viewer;
    const given = typeof password === 'string' ? password : '';
    if (viewer.kind === 'anonymous' && credentials?.username) {
      const tenant = await findTenantBySlug(this.scope.em, credentials.tenant?.trim() || DEFAULT_TENANT_SLUG);
      const username = credentials.username.trim().toLowerCase();
      const user = tenant ? await this.scope.em.findOne(User, { username, tenant: tenant.id }, { filters: false }) : null;
      const ok = await verifyPassword(given, user?.passwordHash ?? null);
      if (!user || !ok || !(TWO_FACTOR_ROLES as readonly UserRole[]).includes(user.role)) throw unauthenticated('INVALID_CREDENTIALS', 'Invalid username or password');
      return user;
    }
    const { userId } = this.person();
    const user = await this.scope.em.findOneOrFail(User, { id: userId });
    if (!(await verifyPassword(given, user.passwordHash))) throw forbidden('PASSWORD_MISMATCH', 'The password is not right');
    return user;
  }

  async status(): Promise<TwoFactorStatus> {
    const { userId, tenantId, role } = this.person();
    const required = await requiredOfRole(this.scope.em, tenantId, role);
    const row = await rowOf(this.scope.em, userId);
    if (!row?.secret) return { enabled: false, recoveryCodesLeft: 0, required };
    const [left] = await this.scope.em.execute<{ n: number }[]>('select count(*)::int as n from recovery_codes where user_id = ? and used_at is null', [userId]);
    return { enabled: true, recoveryCodesLeft: left?.n ?? 0, required };
  }

  /** A new secret, pending until `confirm`; enrolling again replaces a pending one. */
  async enroll(password: string, credentials?: Credentials): Promise<TotpEnrollment> {
    const user = await this.account(password, credentials);
    const row = await rowOf(this.scope.em, user.id);
    if (row?.secret) throw conflict('TWO_FACTOR_ENABLED');
    const secret = newTotpSecret();
    await this.scope.em.execute(
      `insert into user_two_factor (user_id, tenant_id, pending_secret) values (?, ?, ?)
       on conflict (user_id) do update set pending_secret = excluded.pending_secret`,
      [user.id, user.tenant.id, this.secrets.seal(secret, totpSecretPlace(user.id))],
    );
    return { secret, otpauthUrl: otpauthUrl(secret, user.username, 'Parley') };
  }

  /**
   * Turns two-factor sign-in on with a code from the enrolled app; returns the recovery codes,
   * shown this once. Signed in, the code is enough; without a token, the password and username too.
   */
  async confirm(code: string, credentials?: Credentials & { password: string }): Promise<string[]> {
    const userId = this.scope.viewer.kind === 'anonymous' && credentials ? (await this.account(credentials.password, credentials)).id : this.person().userId;
    const row = await rowOf(this.scope.em, userId);
    if (row?.secret) throw conflict('TWO_FACTOR_ENABLED');
    if (!row?.pending_secret) throw conflict('TOTP_NOT_ENROLLED');
    await refuseWhileLocked(this.scope.em, userId, this.now());
    const step = totpStep(totpSecret(this.secrets, row.pending_secret, userId), code, this.now());
    if (step === null) {
      await recordFailure(this.scope.em, userId, this.now());
      throw unauthenticated('INVALID_TOTP');
    }
    return this.scope.em.transactional(async (tx) => {
      const turnedOn = await tx.execute<{ user_id: string }[]>(
        `update user_two_factor set secret = pending_secret, pending_secret = null, enabled_at = ?, last_step = ?, failed_attempts = 0, failures_since = null
          where user_id = ? and pending_secret = ? and secret is null returning user_id::text as user_id`,
        [new Date(this.now()), step, userId, row.pending_secret],
      );
      if (turnedOn.length === 0) throw conflict('TOTP_NOT_ENROLLED', 'The enrolment changed meanwhile; enrol again');
      await this.audit(tx, 'two_factor.enabled', userId);
      return replaceRecoveryCodes(tx, userId);
    });
  }

  /** Turns two-factor sign-in off: the password and a good second factor; refused while the tenant requires it of the user's role. */
  async disable(password: string, offered: SecondFactor): Promise<boolean> {
    const user = await this.account(password);
    const row = await rowOf(this.scope.em, user.id);
    if (!row?.secret) return false;
    if (await requiredOfRole(this.scope.em, user.tenant.id, user.role)) throw conflict('TWO_FACTOR_REQUIRED');
    await checkSecondFactor(this.scope.em, this.secrets, accountRef(user), offered, this.now());
    await this.scope.em.transactional(async (tx) => {
      await removeTwoFactor(tx, user.id);
      await this.audit(tx, 'two_factor.disabled', user.id);
    });
    return true;
  }

  /** New recovery codes (the old ones stop working): the password and a good TOTP code. */
  async regenerateRecoveryCodes(password: string, totp: string): Promise<string[]> {
    const user = await this.account(password);
    const row = await rowOf(this.scope.em, user.id);
    if (!row?.secret) throw conflict('TOTP_NOT_ENROLLED', 'Two-factor sign-in is off');
    await checkSecondFactor(this.scope.em, this.secrets, accountRef(user), { totp }, this.now());
    return this.scope.em.transactional(async (tx) => {
      await this.audit(tx, 'two_factor.recovery_codes_regenerated', user.id);
      return replaceRecoveryCodes(tx, user.id);
    });
  }

  /** An admin turns a user's two-factor sign-in off (a lost phone and lost codes); true when it was on. */
  async reset(userIdArg: string): Promise<boolean> {
    const admin = requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const user = isId(userIdArg) ? await this.scope.em.findOne(User, { id: userIdArg, tenant: admin.tenantId }) : null;
    if (!user) throw notFound('USER_NOT_FOUND');
    const row = await rowOf(this.scope.em, user.id);
    if (!row) return false;
    await this.scope.em.transactional(async (tx) => {
      await removeTwoFactor(tx, user.id);
      if (row.secret) await this.audit(tx, 'two_factor.reset', user.id);
    });
    return row.secret != null;
  }

  /** The change's audit entry, in its transaction; the user changed is the target (secrets never enter it). */
  private audit(tx: Db, action: AuditAction, userId: string) {
    return appendAudit(tx, auditContextOf(this.scope), { action, target: { type: 'user', id: userId } });
  }

  /** The roles the tenant requires a second factor of (admins). */
  async requiredRoles(): Promise<UserRole[]> {
    const admin = requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const [row] = await this.scope.em.execute<{ roles: UserRole[] }[]>('select two_factor_roles as roles from tenants where id = ?', [admin.tenantId]);
    return rolesInOrder(row?.roles ?? []);
  }

  /**
   * Sets the roles that must sign in with a second factor (admins). Users of a role newly required
   * who have none lose their sign-ins at once (tokens and refresh tokens revoked, open streams
   * ended on every node): they sign in again after enrolling. API keys keep working (they are no
   * sign-in).
   */
  async require(rolesArg: readonly UserRole[]): Promise<UserRole[]> {
    const admin = requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const unknown = rolesArg.filter((role) => !(TWO_FACTOR_ROLES as readonly UserRole[]).includes(role));
    if (unknown.length > 0) throw badInput('roles', `only people sign in with a second factor: ${TWO_FACTOR_ROLES.join(', ')} (not ${unknown.join(', ')})`);
    const roles = rolesInOrder([...new Set(rolesArg)]);
    const signedOut = await this.scope.em.transactional(async (tx) => {
      const [before] = await tx.execute<{ roles: UserRole[] }[]>('select two_factor_roles as roles from tenants where id = ? for update', [admin.tenantId]);
      await tx.execute('update tenants set two_factor_roles = ?::text[] where id = ?', [`{${roles.join(',')}}`, admin.tenantId]);
      const act = settingsChange('settings.two_factor_required', changes({ roles: rolesInOrder(before?.roles ?? []) }, { roles }));
      if (act) await appendAudit(tx, auditContextOf(this.scope), act);
      const added = roles.filter((role) => !(before?.roles ?? []).includes(role));
      if (added.length === 0) return [];
      const users = await tx.execute<{ id: string }[]>(
        `update users u set token_version = token_version + 1
          where u.tenant_id = ? and u.role::text in (?) and not exists (select 1 from user_two_factor f where f.user_id = u.id and f.secret is not null)
          returning u.id::text as id`,
        [admin.tenantId, added],
      );
      if (users.length > 0) await tx.execute('update refresh_tokens set revoked_at = now() where user_id in (?) and revoked_at is null', [users.map((user) => user.id)]);
      return users.map((user) => user.id);
    });
    for (const userId of signedOut) await this.viewers.revoked({ tenantId: admin.tenantId, userId });
    return roles;
  }
}

interface Credentials {
  username?: string | null;
  tenant?: string | null;
}

const accountRef = (user: User): AccountRef => ({ id: user.id, tenantId: user.tenant.id, role: user.role });
const rolesInOrder = (roles: readonly UserRole[]) => TWO_FACTOR_ROLES.filter((role) => roles.includes(role));

async function replaceRecoveryCodes(tx: Db, userId: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  await tx.execute('delete from recovery_codes where user_id = ?', [userId]);
  for (const code of codes) await tx.execute('insert into recovery_codes (user_id, code_hash) values (?, ?)', [userId, recoveryCodeHash(code)]);
  return codes;
}

async function removeTwoFactor(db: Db, userId: string): Promise<void> {
  await db.transactional(async (tx) => {
    await tx.execute('delete from recovery_codes where user_id = ?', [userId]);
    await tx.execute('delete from user_two_factor where user_id = ?', [userId]);
  });
}
