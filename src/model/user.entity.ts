import { BigIntType, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Filter, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Availability, UserRole } from '../shared/enums.js';
import { MAX_DISPLAY_NAME_LENGTH, MAX_EMAIL_LENGTH, MAX_USERNAME_LENGTH } from '../shared/limits.js';
import { tenantFilter } from '../shared/tenant-filter.js';
import { Tenant } from './tenant.entity.js';

@Entity({ tableName: 'users' })
@Filter(tenantFilter)
@Unique({ properties: ['tenant', 'username'] })
export class User {
  @PrimaryKey({ type: new BigIntType('string') })
  id!: string;

  @ManyToOne({ entity: () => Tenant, deleteRule: 'cascade' })
  tenant!: Rel<Tenant>;

  @Enum({ items: () => UserRole, nativeEnumName: 'user_role' })
  role!: UserRole;

  @Property({ type: 'string', length: MAX_USERNAME_LENGTH })
  username!: string;

  @Property({ type: 'string', length: MAX_DISPLAY_NAME_LENGTH })
  displayName!: string;

  @Property({ type: 'string', length: MAX_EMAIL_LENGTH, nullable: true })
  email: string | null = null;

  /** scrypt hash; null for accounts that cannot log in with a password (bots use issued tokens). */
  @Property({ type: 'string', length: 255, nullable: true, hidden: true })
  passwordHash: string | null = null;

  /** Access tokens name the version they were issued under; raising it revokes every earlier token. */
  @Property({ type: 'integer', default: 0 })
  tokenVersion: number & Opt = 0;

  /** Whether an agent takes new sessions (auto-assignment also needs them connected: assignment/presence.ts). */
  @Enum({ items: () => Availability, nativeEnumName: 'agent_availability' })
  availability: Availability & Opt = Availability.OFFLINE;

  /** Most active support sessions auto-assignment gives this agent; null: AGENT_DEFAULT_CAPACITY. */
  @Property({ type: 'integer', nullable: true })
  capacity: number | null = null;

  /** When auto-assignment last gave this agent a session: the least recent wins a tie. */
  @Property({ type: 'datetime', nullable: true })
  lastAssignedAt: Date | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();
}
