import { BigIntType, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Filter, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { Weekday } from '../shared/enums.js';
import { tenantFilter } from '../shared/tenant-filter.js';
import { Tenant } from './tenant.entity.js';

/** One weekly opening as stored: a weekday and wall-clock times (hours/schedule.ts has the rules). */
export interface StoredOpening {
  day: Weekday;
  opens: string;
  closes: string;
}

/**
 * A tenant's business hours: a weekly schedule in one IANA time zone, with holidays. A tenant
 * without a row is open around the clock. Written only through BusinessHoursService, which
 * validates it (hours/schedule.ts); see Migration20261208100000_business_hours.
 */
@Entity({ tableName: 'business_hours' })
@Filter(tenantFilter)
@Unique({ properties: ['tenant'] })
export class BusinessHours {
  @PrimaryKey({ type: new BigIntType('string') })
  id!: string;

  @ManyToOne({ entity: () => Tenant, deleteRule: 'cascade', index: false })
  tenant!: Rel<Tenant>;

  @Property({ type: 'string', length: 64 })
  timeZone!: string;

  @Property({ type: 'json' })
  openings!: StoredOpening[];

  /** Local dates `YYYY-MM-DD`, ascending. */
  @Property({ type: 'json' })
  holidays!: string[];

  @Property({ type: 'datetime' })
  updatedAt: Date & Opt = new Date();
}
