import { BigIntType, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Filter, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { deskDate } from '../shared/desk-clock.js';
import { MAX_RATING_COMMENT_LENGTH } from '../shared/limits.js';
import { tenantFilter } from '../shared/tenant-filter.js';
import { Participant } from './participant.entity.js';
import { ChatSession } from './session.entity.js';
import { Tenant } from './tenant.entity.js';
import { User } from './user.entity.js';

/**
 * A customer's satisfaction rating (CSAT) of a closed support session: one per session, enforced
 * by the unique index on `session` (concurrent second ratings lose there, not in a read-then-write).
 */
@Entity({ tableName: 'session_ratings' })
@Filter(tenantFilter)
@Unique({ properties: ['session'] })
@Index({ properties: ['tenant', 'agent'] })
export class SessionRating {
  @PrimaryKey({ type: new BigIntType('string') })
  id!: string;

  @ManyToOne({ entity: () => Tenant, deleteRule: 'cascade' })
  tenant!: Rel<Tenant>;

  @ManyToOne({ entity: () => ChatSession, deleteRule: 'cascade' })
  session!: Rel<ChatSession>;

  /** Who rated: the session's customer participant (a user's or the guest's). */
  @ManyToOne({ entity: () => Participant, deleteRule: 'cascade' })
  participant!: Rel<Participant>;

  /** The agent the session was assigned to when it was rated (stats attribute by the session's agent). */
  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  agent: Rel<User> | null = null;

  /** 1 to 5. */
  @Property({ type: 'smallint' })
  score!: number;

  @Property({ type: 'string', length: MAX_RATING_COMMENT_LENGTH, nullable: true })
  comment: string | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = deskDate();
}
