import { BigIntType, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Filter, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { tenantFilter } from '../shared/tenant-filter.js';
import { Tenant } from './tenant.entity.js';
import { User } from './user.entity.js';

/**
 * One refresh token of a sign-in. Each use is answered with a new token of the same `family`
 * and marks this one used; presenting a used token again means it was copied, and revokes the
 * whole family. Only a SHA-256 of the token is stored.
 */
@Entity({ tableName: 'refresh_tokens' })
@Filter(tenantFilter)
export class RefreshToken {
  @PrimaryKey({ type: new BigIntType('string') })
  id!: string;

  @ManyToOne({ entity: () => Tenant, deleteRule: 'cascade', index: false })
  tenant!: Rel<Tenant>;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade', index: false })
  user!: Rel<User>;

  /** The sign-in this token descends from: login, invitation acceptance or password change. */
  @Property({ type: 'uuid' })
  family!: string;

  @Property({ type: 'string', length: 64, hidden: true })
  tokenHash!: string;

  /** The user's token version when issued: logout and password changes raise it, which ends the token. */
  @Property()
  tokenVersion!: number;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  usedAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;
}
