import { BigIntType, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Filter, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { tenantFilter } from '../shared/tenant-filter.js';
import { Tenant } from './tenant.entity.js';
import { User } from './user.entity.js';

/**
 * A reply agents insert by short code ("/refund"). Unique per tenant on `shortCode` (stored with
 * the "C" collation, so the unique index also serves prefix search and code order); `content` is
 * full-text indexed (`search_vector`, generated, GIN) — see Migration20261130011000_canned_responses.
 */
@Entity({ tableName: 'canned_responses' })
@Filter(tenantFilter)
@Unique({ properties: ['tenant', 'shortCode'] })
export class CannedResponse {
  @PrimaryKey({ type: new BigIntType('string') })
  id!: string;

  @ManyToOne({ entity: () => Tenant, deleteRule: 'cascade', index: false })
  tenant!: Rel<Tenant>;

  @Property({ type: 'string', length: 32 })
  shortCode!: string;

  @Property({ type: 'text' })
  content!: string;

  /** The admin who created it; null once that account is gone. */
  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null', index: false })
  createdBy: Rel<User> | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date & Opt = new Date();
}
