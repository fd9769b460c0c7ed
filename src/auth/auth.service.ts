import { raw } from '@mikro-orm/core';
import { type AuditActor, appendAudit, auditContextFrom, auditContextOf, audited, REDACTED } from '../audit/audit-log.js';
import type { Db } from '../db/orm.js';
import type { Revocation } from '../events/event-bus.js';
import { ApiKey } from '../model/api-key.entity.js';
import { Participant } from '../model/participant.entity.js';
import { ChatSession } from '../model/session.entity.js';
import { User } from '../model/user.entity.js';
import { UserRole } from '../shared/enums.js';
import { DomainError, forbidden, unauthenticated } from '../shared/errors.js';
import { requireUser } from '../shared/guards.js';
import { MAX_USERNAME_LENGTH } from '../shared/limits.js';
import type { RequestOrigin } from '../shared/request-origin.js';
import type { SecretBox } from '../shared/secret-box.js';
import { TENANT_FILTER } from '../shared/tenant-filter.js';
import { requireText } from '../shared/validate.js';
import type { Viewer } from '../shared/viewer.js';
import { DEFAULT_TENANT_SLUG, findTenantBySlug } from '../tenants/tenant.service.js';
import { hashPassword, verifyPassword } from '../users/password.js';
import { checkPassword, createUser, type NewUser, setPassword, userFields } from '../users/user.service.js';
import { hashApiKey, isApiKey } from './api-key-format.js';
import { type IssuedRefreshToken, RefreshTokenReused, RefreshTokens } from './refresh-tokens.js';
import type { ExportLinkClaims, TokenService } from './tokens.js';
import { checkSecondFactor, type SecondFactor } from './two-factor.service.js';
import type { CachedUser, ViewerCache } from './viewer-cache.js';

export interface LoginResult extends IssuedRefreshToken {
  token: string;
  expiresAt: Date;
  user: User;
}

/** A caller as verified: who they are, and the revocations that end their credentials (what their streams watch). */
export interface Authenticated {
  viewer: Viewer;
  revokedBy: readonly Revocation[];
}

export interface InviteResult {
  user: User;
  inviteToken: string;
  expiresAt: Date;
}

/** Password login and bearer-token resolution. */
export class AuthService {
  constructor(
    /** The request's EntityManager, made on first use (app/context.ts): a remembered viewer needs none. */
    private readonly fork: () => Db,
    private readonly tokens: TokenService,
    private readonly refreshTokenTtlSeconds: number,
    private readonly viewers: ViewerCache,
    private readonly secrets: SecretBox,
    /** Where the request came from, for the audit entries of sign-ins and credential changes. */
    private readonly origin?: RequestOrigin,
  ) {}

  private audit(tenantId: string, actor: AuditActor) {
    return auditContextFrom(tenantId, actor, this.origin);
  }

  private asUser(viewer: Viewer) {
    return auditContextOf({ viewer, origin: this.origin });
  }

  private get em(): Db {
    return this.fork();
  }

  private get refreshTokens(): RefreshTokens {
    return new RefreshTokens(this.em, this.refreshTokenTtlSeconds);
  }

  /**
   * One message for every password failure, so a caller cannot probe which usernames exist. An
   * account with two-factor sign-in also needs its second factor (two-factor.service.ts).
   */
  async login(usernameArg: string, password: string, tenantSlug?: string | null, secondFactor: SecondFactor = {}): Promise<LoginResult> {
    const username = requireText(usernameArg, 'username', MAX_USERNAME_LENGTH).toLowerCase();
    const tenant = await findTenantBySlug(this.em, tenantSlug?.trim() || DEFAULT_TENANT_SLUG);
    const user = tenant ? await this.em.findOne(User, { username }, { filters: { [TENANT_FILTER]: { tenantId: tenant.id } } }) : null;
    const ok = await verifyPassword(typeof password === 'string' ? password : '', user?.passwordHash ?? null);
    try {
      if (!user || !ok || !tenant) throw unauthenticated('INVALID_CREDENTIALS', 'Invalid username or password');
      await checkSecondFactor(this.em, this.secrets, { id: user.id, tenantId: tenant.id, role: user.role }, secondFactor);
    } catch (error) {
      // A refusal is an act of its own (there is no sign-in to join): its entry commits alone.
      if (tenant && error instanceof DomainError && error.reason !== 'TOTP_REQUIRED') {
        const target = user ? { type: 'user', id: user.id } : null;
        const entry = { action: 'auth.login_failed', target, diff: { username: { after: username }, reason: { after: error.reason } } } as const;
        await this.em.transactional((tx) => appendAudit(tx, this.audit(tenant.id, { type: 'ANONYMOUS', id: null }), entry));
      }
      throw error;
    }
    return audited(
      this.em,
      this.audit(tenant.id, { type: 'USER', id: user.id }),
      () => this.issue(user),
      () => ({ action: 'auth.login', target: { type: 'user', id: user.id } }),
    );
  }

  /** Revokes every access and refresh token of the signed-in user (all devices); returns true. */
  async logout(viewer: Viewer): Promise<boolean> {
    const { userId } = requireUser(viewer);
    await audited(
      this.em,
      this.asUser(viewer),
      async () => {
        await this.em.nativeUpdate(User, { id: userId }, { tokenVersion: raw('token_version + 1') });
        await this.refreshTokens.revokeAll(userId);
      },
      () => ({ action: 'auth.logout', target: { type: 'user', id: userId } }),
    );
    await this.viewers.revoked({ tenantId: viewer.tenantId, userId });
    return true;
  }

  /**
   * A new access token and refresh token for a refresh token, which is spent (see RefreshTokens).
   * A spent token used again revokes its sign-in: every access token carrying its family is
   * refused from then on, and its streams end, on every node, before this call answers.
   */
  async refresh(refreshToken: string): Promise<LoginResult> {
    const rotated = await this.refreshTokens.rotate(refreshToken);
    if (rotated instanceof RefreshTokenReused) {
      const entry = { action: 'auth.refresh_token_reused', target: { type: 'sign_in', id: rotated.family } } as const;
      await this.em.transactional((tx) => appendAudit(tx, this.audit(rotated.tenantId, { type: 'ANONYMOUS', id: null }), entry));
      await this.viewers.revoked({ tenantId: rotated.tenantId, family: rotated.family });
      throw unauthenticated('REFRESH_TOKEN_REUSED');
    }
    const { user, refreshToken: next, refreshExpiresAt, family } = rotated;
    const token = await this.tokens.issueAccessToken(user.id, user.tenant.id, user.tokenVersion, undefined, family);
    return { token, expiresAt: new Date(Date.now() + this.tokens.accessTokenTtlSeconds * 1000), user, refreshToken: next, refreshExpiresAt, family };
  }

  /**
   * Replaces the signed-in user's password after checking the current one. Every earlier token
   * is revoked; the caller carries on with the token returned.
   */
  async changePassword(viewer: Viewer, currentPassword: string, newPassword: string): Promise<LoginResult> {
    const { userId } = requireUser(viewer);
    const user = await this.em.findOneOrFail(User, { id: userId });
    if (!(await verifyPassword(typeof currentPassword === 'string' ? currentPassword : '', user.passwordHash))) {
      throw unauthenticated('INVALID_CREDENTIALS', 'The current password is not correct');
    }
    const result = await audited(
      this.em,
      this.asUser(viewer),
      async () => {
        await setPassword(this.em, user, newPassword, 'newPassword');
        await this.refreshTokens.revokeAll(user.id);
        return this.issue(user);
      },
      () => ({ action: 'auth.password_changed', target: { type: 'user', id: user.id }, diff: { password: { before: REDACTED, after: REDACTED } } }),
    );
    await this.viewers.revoked({ tenantId: viewer.tenantId, userId: user.id });
    return result;
  }

  /**
   * Admins add a user without choosing their password: the account has none until the user
   * accepts the returned one-time invitation (hand it over out of band, e.g. in a link).
   */
  async invite(viewer: Viewer, input: Omit<NewUser, 'password'>): Promise<InviteResult> {
    const admin = requireUser(viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const user = await audited(
      this.em,
      this.asUser(viewer),
      () => createUser(this.em, admin.tenantId, { ...input, password: null }),
      (user) => ({ action: 'user.invited', target: { type: 'user', id: user.id }, diff: userFields(user) }),
    );
    const inviteToken = await this.tokens.issueInviteToken(user.id, admin.tenantId, user.tokenVersion);
    return { user, inviteToken, expiresAt: new Date(Date.now() + this.tokens.inviteTtlSeconds * 1000) };
  }

  /**
   * Sets the invited user's first password and signs them in. One use only: the update applies
   * only while the account has no password and the token version the invitation names, and it
   * raises that version, so a second use (or a concurrent one) finds nothing to update.
   */
  async acceptInvite(inviteToken: string, password: string): Promise<LoginResult> {
    const claims = await this.tokens.verifyInvite(typeof inviteToken === 'string' ? inviteToken : '');
    const passwordHash = await hashPassword(checkPassword(password));
    const scoped = { filters: { [TENANT_FILTER]: { tenantId: claims.tid } } };
    const result = await audited(
      this.em,
      this.audit(claims.tid, { type: 'USER', id: claims.sub }),
      async () => {
        const updated = await this.em.nativeUpdate(User, { id: claims.sub, passwordHash: null, tokenVersion: claims.ver }, { passwordHash, tokenVersion: claims.ver + 1 }, scoped);
        if (updated !== 1) throw unauthenticated('INVITE_USED', 'The invitation has already been used or withdrawn');
        const user = await this.em.findOneOrFail(User, { id: claims.sub }, { ...scoped, refresh: true });
        return this.issue(user);
      },
      () => ({ action: 'auth.invite_accepted', target: { type: 'user', id: claims.sub } }),
    );
    await this.viewers.revoked({ tenantId: claims.tid, userId: claims.sub });
    return result;
  }

  /** An access token and the refresh token of a new sign-in (a new family). */
  private async issue(user: User): Promise<LoginResult> {
    const refresh = await this.refreshTokens.issue(user);
    const token = await this.tokens.issueAccessToken(user.id, user.tenant.id, user.tokenVersion, undefined, refresh.family);
    return { token, expiresAt: new Date(Date.now() + this.tokens.accessTokenTtlSeconds * 1000), user, ...refresh };
  }

  /**
   * Turns an Authorization header into a viewer. No header: anonymous in the default tenant.
   * A token that fails verification, names a user or guest that no longer exists, or belongs to a
   * revoked sign-in, is refused.
   * `fresh`: read the row even if this node remembers it (a new long-lived connection is checked
   * against the database, so while the database is away it is refused as retryable).
   */
  async authenticate(authorization: string | undefined, defaultTenantId: string, { fresh = false }: { fresh?: boolean } = {}): Promise<Authenticated> {
    if (authorization === undefined || authorization.trim() === '') return { viewer: { kind: 'anonymous', tenantId: defaultTenantId }, revokedBy: [] };
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw unauthenticated('INVALID_AUTHORIZATION', 'Authorization must be "Bearer <token>"');
    if (isApiKey(match[1]!)) return this.apiKeyViewer(match[1]!);
    const claims = await this.tokens.verify(match[1]!);
    const scoped = { filters: { [TENANT_FILTER]: { tenantId: claims.tid } } };
    if (claims.typ === 'guest') {
      const guest = await this.em.findOne(Participant, { id: claims.sub, session: claims.sid }, { ...scoped, fields: ['id'], disableIdentityMap: true });
      if (!guest) throw await this.guestTokenFailure(claims.sid, claims.tid);
      return { viewer: { kind: 'guest', tenantId: claims.tid, participantId: claims.sub, sessionId: claims.sid }, revokedBy: [] };
    }
    const user = (fresh ? null : this.viewers.user(claims.tid, claims.sub)) ?? (await this.readUser(claims.tid, claims.sub));
    // A version above the cached one is a token issued since (on another node): read the row again.
    const current = user !== null && user.tokenVersion < claims.ver ? await this.readUser(claims.tid, claims.sub) : user;
    if (!current) throw unauthenticated('INVALID_TOKEN', 'The token is not valid');
    if (current.tokenVersion !== claims.ver) throw unauthenticated('TOKEN_REVOKED', 'The token has been revoked');
    const revokedBy: Revocation[] = [{ tenantId: claims.tid, userId: claims.sub }];
    if (claims.fam !== undefined) {
      if (await this.familyRevoked(claims.tid, claims.fam, fresh)) throw unauthenticated('TOKEN_REVOKED', 'The token has been revoked');
      revokedBy.push({ tenantId: claims.tid, family: claims.fam });
    }
    const viewer: Viewer = { kind: 'user', tenantId: claims.tid, userId: claims.sub, role: current.role, username: current.username, displayName: current.displayName };
    return { viewer, revokedBy };
  }

  /**
   * The admin an export link names (tokens.verifyExport checked its signature and expiry), read
   * from the database now: a user since deleted, or signed out everywhere (their token version
   * moved), no longer opens the link. The role is the current one; the export checks it.
   */
  async authenticateExportLink(claims: ExportLinkClaims): Promise<Authenticated> {
    const user = await this.readUser(claims.tid, claims.sub);
    if (!user) throw forbidden('INVALID_EXPORT_LINK', 'The export link is not valid');
    if (user.tokenVersion !== claims.ver) throw forbidden('INVALID_EXPORT_LINK', 'The export link was revoked');
    const viewer: Viewer = { kind: 'user', tenantId: claims.tid, userId: claims.sub, role: user.role, username: user.username, displayName: user.displayName };
    return { viewer, revokedBy: [{ tenantId: claims.tid, userId: claims.sub }] };
  }

  /** Whether the token's sign-in was revoked (its refresh token reused), remembered like the users row. */
  private async familyRevoked(tenantId: string, family: string, fresh: boolean): Promise<boolean> {
    const known = fresh ? null : this.viewers.familyRevoked(tenantId, family);
    if (known !== null) return known;
    const since = this.viewers.generation();
    const revoked = await this.refreshTokens.familyRevoked(tenantId, family);
    this.viewers.rememberFamily(tenantId, family, revoked, since);
    return revoked;
  }

  /**
   * The revocation check's row, remembered for a few seconds (auth/viewer-cache.ts): a plain read
   * of the columns it needs, no entity hydrated (bench/NOTES.md). Raw SQL leaves the tenant filter
   * behind, so the tenant is stated.
   */
  private async readUser(tenantId: string, userId: string): Promise<CachedUser | null> {
    const since = this.viewers.generation();
    const [row] = await this.em
      .getConnection()
      .execute<{ role: UserRole; username: string; display_name: string; token_version: number }[]>('select role, username, display_name, token_version from users where tenant_id = ? and id = ?', [
        tenantId,
        userId,
      ]);
    if (!row) return null;
    const user: CachedUser = { tokenVersion: Number(row.token_version), role: row.role, username: row.username, displayName: row.display_name };
    this.viewers.rememberUser(tenantId, userId, user, since);
    return user;
  }

  /**
   * An API key acts as its user, checked on every request (so a revocation takes effect at once):
   * unknown keys are INVALID_TOKEN, revoked ones API_KEY_REVOKED.
   */
  private async apiKeyViewer(key: string): Promise<Authenticated> {
    const apiKey = await this.em.findOne(ApiKey, { keyHash: hashApiKey(key) }, { filters: false });
    if (!apiKey) throw unauthenticated('INVALID_TOKEN', 'The token is not valid');
    if (apiKey.revokedAt) throw unauthenticated('API_KEY_REVOKED');
    const tenantId = apiKey.tenant.id;
    const user = await this.em.findOne(User, { id: apiKey.user.id }, { filters: { [TENANT_FILTER]: { tenantId } } });
    if (!user) throw unauthenticated('INVALID_TOKEN', 'The token is not valid');
    return {
      viewer: { kind: 'user', tenantId, userId: user.id, role: user.role, username: user.username, displayName: user.displayName },
      revokedBy: [{ tenantId, apiKeyId: apiKey.id }],
    };
  }

  /**
   * Why a signed guest token no longer opens its session, for dialects that report it (seed 002):
   * the conversation is gone, or it is not in the token's tenant. Only reached with a token we
   * signed, so it tells the holder nothing about other tenants' data.
   */
  private async guestTokenFailure(sessionId: string, tenantId: string) {
    const session = await this.em.findOne(ChatSession, { id: sessionId }, { filters: false, fields: ['id', 'tenant'] });
    if (!session) return unauthenticated('CONVERSATION_NOT_FOUND', 'The conversation of this token no longer exists');
    if (session.tenant.id !== tenantId) return unauthenticated('TENANT_MISMATCH', "The conversation is not in the token's tenant");
    return unauthenticated('INVALID_TOKEN', 'The token is not valid');
  }
}
