import { BigIntType, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Filter, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { deskDate } from '../shared/desk-clock.js';
import { tenantFilter } from '../shared/tenant-filter.js';
import type { SessionEventType } from './event-contract.js';
import { ChatSession } from './session.entity.js';
import { Tenant } from './tenant.entity.js';

/** Outbox and replay log: written in the same transaction as the change it describes. */
@Entity({ tableName: 'session_events' })
@Filter(tenantFilter)
@Index({ properties: ['session', 'id'] })
@Index({ properties: ['createdAt'] })
export class SessionEvent {
  @PrimaryKey({ type: new BigIntType('string') })
  id!: string;

  @ManyToOne({ entity: () => Tenant, deleteRule: 'cascade' })
  tenant!: Rel<Tenant>;

  @ManyToOne({ entity: () => ChatSession, deleteRule: 'cascade', index: false })
  session!: Rel<ChatSession>;

  /**
   * The event's place in its session: 1, 2, 3, … with no gap, in commit order. Numbered by the
   * database as the row is inserted (a trigger, under the session's row lock), never by us.
   */
  @Property({ type: new BigIntType('string'), nullable: true, returning: true })
  seq!: string & Opt;

  /** The place of a lifecycle event (`session.*`) in its tenant's inbox, numbered the same way; null otherwise. */
  @Property({ type: new BigIntType('string'), nullable: true, returning: true })
  inboxSeq?: string | null;

  @Property({ type: 'string', length: 32 })
  type!: SessionEventType;

  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = deskDate();
}
