import { randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../db/orm.js';
import { RefreshToken } from '../model/refresh-token.entity.js';
import type { User } from '../model/user.entity.js';
import { unauthenticated } from '../shared/errors.js';
import { hashApiKey } from './api-key-format.js';

/** `prr_` and 43 base64url characters (32 random bytes): told apart from JWTs and API keys at a glance. */
const PREFIX = 'prr_';

/** Refresh tokens are looked up across tenants: the token names its tenant, not the request. */
const ANY_TENANT = { filters: false } as const;

export interface IssuedRefreshToken {
  refreshToken: string;
  refreshExpiresAt: Date;
}

/**
 * Rotating refresh tokens (OAuth 2.0 Security BCP §4.14): each use returns a new token of the
 * same family and spends the old one, so a stolen token is useful once at most; presenting a
 * spent token again means two parties hold the family, and the whole family is revoked. Logout
 * and password changes raise the user's token version, which ends every refresh token issued
 * before (and revokes them outright).
 */
export class RefreshTokens {
  constructor(
    private readonly em: Db,
    private readonly ttlSeconds: number,
  ) {}

  async issue(user: User, family: string = randomUUID()): Promise<IssuedRefreshToken> {
    const refreshToken = `${PREFIX}${randomBytes(32).toString('base64url')}`;
    const refreshExpiresAt = new Date(Date.now() + this.ttlSeconds * 1000);
    this.em.create(RefreshToken, { tenant: user.tenant, user, family, tokenHash: hashApiKey(refreshToken), tokenVersion: user.tokenVersion, expiresAt: refreshExpiresAt });
    await this.em.flush();
    return { refreshToken, refreshExpiresAt };
  }

  /** Spends `token`: the user it was issued to and its family, for the next token. */
  async spend(token: string): Promise<{ user: User; family: string }> {
    if (typeof token !== 'string' || !token.startsWith(PREFIX)) throw unauthenticated('INVALID_REFRESH_TOKEN');
    const row = await this.em.findOne(RefreshToken, { tokenHash: hashApiKey(token) }, { ...ANY_TENANT, populate: ['user'] });
    if (!row) throw unauthenticated('INVALID_REFRESH_TOKEN');
    if (row.revokedAt) throw unauthenticated('REFRESH_TOKEN_REVOKED');
    if (row.usedAt) return this.reused(row.family);
    if (row.expiresAt.getTime() <= Date.now()) throw unauthenticated('REFRESH_TOKEN_EXPIRED');
    if (row.user.tokenVersion !== row.tokenVersion) throw unauthenticated('REFRESH_TOKEN_REVOKED');
    // Spent at most once: of two concurrent uses, the second finds it spent and revokes the family.
    const spent = await this.em.nativeUpdate(RefreshToken, { id: row.id, usedAt: null, revokedAt: null }, { usedAt: new Date() }, ANY_TENANT);
    if (spent !== 1) return this.reused(row.family);
    return { user: row.user, family: row.family };
  }

  /** Every refresh token of the user stops working (logout, password change). */
  async revokeAll(userId: string): Promise<void> {
    await this.em.nativeUpdate(RefreshToken, { user: userId, revokedAt: null }, { revokedAt: new Date() }, ANY_TENANT);
  }

  private async reused(family: string): Promise<never> {
    await this.em.nativeUpdate(RefreshToken, { family, revokedAt: null }, { revokedAt: new Date() }, ANY_TENANT);
    throw unauthenticated('REFRESH_TOKEN_REUSED');
  }
}
