import { randomUUID } from 'node:crypto';
import { BigIntType, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Filter, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { deskDate } from '../shared/desk-clock.js';
import { Priority, SessionKind, SessionStatus } from '../shared/enums.js';
import { MAX_DISPLAY_NAME_LENGTH, MAX_EMAIL_LENGTH, MAX_PHONE_LENGTH, MAX_SESSION_KEY_LENGTH, MAX_SUBJECT_LENGTH } from '../shared/limits.js';
import { tenantFilter } from '../shared/tenant-filter.js';
import { Tenant } from './tenant.entity.js';
import { TextArrayType } from './text-array.type.js';
import { User } from './user.entity.js';

/** The seeds' "session", "conversation" and "room" are this one entity. */
@Entity({ tableName: 'chat_sessions' })
@Filter(tenantFilter)
@Index({ properties: ['tenant', 'status'] })
@Index({ properties: ['tenant', 'agent'] })
@Index({ properties: ['tenant', 'customer'] })
@Index({ properties: ['tenant', 'startedAt'] })
@Unique({ properties: ['tenant', 'sessionKey'] })
export class ChatSession {
  @PrimaryKey({ type: new BigIntType('string') })
  id!: string;

  @Property({ type: 'uuid', unique: true })
  uuid: string & Opt = randomUUID();

  @ManyToOne({ entity: () => Tenant, deleteRule: 'cascade' })
  tenant!: Rel<Tenant>;

  /** A guest client's own session id (seed 003); unique per tenant. */
  @Property({ type: 'string', length: MAX_SESSION_KEY_LENGTH, nullable: true })
  sessionKey: string | null = null;

  @Enum({ items: () => SessionKind, nativeEnumName: 'session_kind' })
  kind: SessionKind & Opt = SessionKind.SUPPORT;

  @Enum({ items: () => SessionStatus, nativeEnumName: 'session_status' })
  status: SessionStatus & Opt = SessionStatus.ACTIVE;

  @Enum({ items: () => Priority, nativeEnumName: 'session_priority' })
  priority: Priority & Opt = Priority.MEDIUM;

  @Property({ type: 'string', length: MAX_SUBJECT_LENGTH, nullable: true })
  subject: string | null = null;

  @Property({ type: TextArrayType })
  tags: string[] & Opt = [];

  /** The customer with an account; null for guests (their identity is on the customer participant). */
  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  customer: Rel<User> | null = null;

  /** Guest identity (seed 003); contact details are PII and never logged. */
  @Property({ type: 'string', length: MAX_DISPLAY_NAME_LENGTH, nullable: true })
  guestName: string | null = null;

  @Property({ type: 'string', length: MAX_EMAIL_LENGTH, nullable: true })
  guestEmail: string | null = null;

  @Property({ type: 'string', length: MAX_PHONE_LENGTH, nullable: true })
  guestPhone: string | null = null;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  agent: Rel<User> | null = null;

  @Property({ type: 'datetime' })
  startedAt: Date & Opt = deskDate();

  @Property({ type: 'datetime', nullable: true })
  endedAt: Date | null = null;

  /** Set by the customer message that starts a wait; cleared by the support reply that ends it. */
  @Property({ type: 'datetime', nullable: true })
  waitingSince: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  firstResponseAt: Date | null = null;

  /** The wait the first support reply ended (that reply's `responseMs`): the session's first-response time, for stats. */
  @Property({ type: 'integer', nullable: true })
  firstResponseMs: number | null = null;

  @Property({ type: 'datetime', nullable: true })
  lastMessageAt: Date | null = null;

  /** Counters maintained on write so stats and totalCount never scan messages. */
  @Property({ type: 'integer' })
  messageCount: number & Opt = 0;

  @Property({ type: 'integer' })
  responseCount: number & Opt = 0;

  @Property({ type: 'bigint', columnType: 'bigint' })
  responseMsTotal: number & Opt = 0;

  @Property({ type: 'datetime' })
  updatedAt: Date & Opt = deskDate();

  /**
   * The `seq` of the session's last committed event (its stream head). Written only by the
   * database, as events are inserted (Migration20261129200000_event_sequences); read, never set.
   */
  @Property({ type: new BigIntType('string'), default: 0 })
  lastEventSeq: string & Opt = '0';

  /** The newest message's id (0: none yet), set by each send in the transaction that records its event. */
  @Property({ type: new BigIntType('string'), default: 0 })
  lastMessageId: string & Opt = '0';

  /** While the session waits in its tenant's auto-assignment queue: since when (the queue's order). */
  @Property({ type: 'datetime', nullable: true })
  queuedAt: Date | null = null;

  /** While SNOOZED: when the session wakes by itself (its durable timer); null otherwise. Past snoozes are in `session_snoozes`. */
  @Property({ type: 'datetime', nullable: true })
  snoozedUntil: Date | null = null;

  /** Private notes, counted apart: `messageCount` (what customers see, and stats) never includes them. */
  @Property({ default: 0 })
  noteCount: number & Opt = 0;
}
