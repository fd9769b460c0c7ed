import { BigIntType, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Filter, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { MAX_API_KEY_NAME_LENGTH } from '../shared/limits.js';
import { tenantFilter } from '../shared/tenant-filter.js';
import { Tenant } from './tenant.entity.js';
import { User } from './user.entity.js';

/**
 * A long-lived bearer credential an admin issued for a user (usually a BOT): it acts as that
 * user, with that user's role. Only a SHA-256 of the key is stored; the key is shown once.
 */
@Entity({ tableName: 'api_keys' })
@Filter(tenantFilter)
export class ApiKey {
  @PrimaryKey({ type: new BigIntType('string') })
  id!: string;

  @ManyToOne({ entity: () => Tenant, deleteRule: 'cascade', index: false })
  tenant!: Rel<Tenant>;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade', index: false })
  user!: Rel<User>;

  @Property({ type: 'string', length: MAX_API_KEY_NAME_LENGTH })
  name!: string;

  /** The key's first characters, so an admin can tell keys apart without the key. */
  @Property({ type: 'string', length: 16 })
  prefix!: string;

  @Property({ type: 'string', length: 64, hidden: true })
  keyHash!: string;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;
}
