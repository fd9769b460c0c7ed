import { randomBytes, randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { Db } from '../db/orm.js';
import { RefreshToken } from '../model/refresh-token.entity.js';
import { User } from '../model/user.entity.js';
import { unauthenticated } from '../shared/errors.js';
import { hashApiKey } from './api-key-format.js';

/** `prr_` and 43 base64url characters (32 random bytes): told apart from JWTs and API keys at a glance. */
const PREFIX = 'prr_';

/** Refresh tokens are looked up across tenants: the token names its tenant, not the request. */
const ANY_TENANT = { filters: false } as const;

export interface IssuedRefreshToken {
  refreshToken: string;
  refreshExpiresAt: Date;
  /** The sign-in the token belongs to (its access tokens carry it as `fam`). */
  family: string;
}

/** A spent token was presented again: its sign-in is revoked (committed), and the caller must tell the nodes. */
export class RefreshTokenReused {
  constructor(
    readonly tenantId: string,
    readonly family: string,
  ) {}
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
    return { refreshToken, refreshExpiresAt, family };
  }

  /**
   * Spends `token` and issues the next token of its family, in one transaction that holds the
   * spent row locked: a concurrent use of the same token waits, then finds it spent and revokes
   * the family, the token just issued included. A reuse is answered with `RefreshTokenReused`
   * (after the family's revocation committed), any other refusal with UNAUTHENTICATED.
   */
  async rotate(token: string): Promise<({ user: User } & IssuedRefreshToken) | RefreshTokenReused> {
    if (typeof token !== 'string' || !token.startsWith(PREFIX)) throw unauthenticated('INVALID_REFRESH_TOKEN');
    const outcome = await this.em.transactional(async (tx) => {
      const row = await tx.findOne(RefreshToken, { tokenHash: hashApiKey(token) }, { ...ANY_TENANT, lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!row) return { refused: 'INVALID_REFRESH_TOKEN' } as const;
      if (row.revokedAt) return { refused: 'REFRESH_TOKEN_REVOKED' } as const;
      if (row.usedAt) {
        // Committed before the refusal is thrown: whoever else holds this family loses it too.
        await tx.nativeUpdate(RefreshToken, { family: row.family, revokedAt: null }, { revokedAt: new Date() }, ANY_TENANT);
        return new RefreshTokenReused(String(row.tenant.id), row.family);
      }
      if (row.expiresAt.getTime() <= Date.now()) return { refused: 'REFRESH_TOKEN_EXPIRED' } as const;
      const user = await tx.findOneOrFail(User, { id: row.user.id }, ANY_TENANT);
      if (user.tokenVersion !== row.tokenVersion) return { refused: 'REFRESH_TOKEN_REVOKED' } as const;
      row.usedAt = new Date();
      return { user, ...(await new RefreshTokens(tx, this.ttlSeconds).issue(user, row.family)) };
    });
    if (outcome instanceof RefreshTokenReused) return outcome;
    if ('refused' in outcome) throw unauthenticated(outcome.refused);
    return outcome;
  }

  /** Whether the sign-in was revoked (reused, logout, password change): its access tokens are refused. */
  async familyRevoked(tenantId: string, family: string): Promise<boolean> {
    const rows = await this.em
      .getConnection()
      .execute<{ revoked: boolean }[]>('select exists(select 1 from refresh_tokens where tenant_id = ? and family = ? and revoked_at is not null) as revoked', [tenantId, family]);
    return rows[0]?.revoked === true;
  }

  /** Every refresh token of the user stops working (logout, password change). */
  async revokeAll(userId: string): Promise<void> {
    await this.em.nativeUpdate(RefreshToken, { user: userId, revokedAt: null }, { revokedAt: new Date() }, ANY_TENANT);
  }
}
