import { randomUUID } from 'node:crypto';
import { BigIntType, Collection, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Filter, Index, ManyToOne, OneToMany, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { deskDate } from '../shared/desk-clock.js';
import { SenderType } from '../shared/enums.js';
import { MAX_CLIENT_MESSAGE_ID_LENGTH } from '../shared/limits.js';
import { tenantFilter } from '../shared/tenant-filter.js';
import { Attachment } from './attachment.entity.js';
import { Participant } from './participant.entity.js';
import { ChatSession } from './session.entity.js';
import { Tenant } from './tenant.entity.js';

/** Ids come from one sequence, so `id > n` is a correct "since" query across the whole table. */
@Entity({ tableName: 'chat_messages' })
@Filter(tenantFilter)
@Index({ properties: ['session', 'id'] })
// Offset pages order by (created_at, id) as seed 002 requires.
@Index({ properties: ['session', 'createdAt', 'id'] })
// Report exports read a tenant's messages of a time range (exports/reports.ts).
@Index({ properties: ['tenant', 'createdAt', 'id'] })
@Unique({ properties: ['sender', 'clientMessageId'] })
export class ChatMessage {
  @PrimaryKey({ type: new BigIntType('string') })
  id!: string;

  @Property({ type: 'uuid', unique: true })
  uuid: string & Opt = randomUUID();

  @ManyToOne({ entity: () => Tenant, deleteRule: 'cascade' })
  tenant!: Rel<Tenant>;

  @ManyToOne({ entity: () => ChatSession, deleteRule: 'cascade', index: false })
  session!: Rel<ChatSession>;

  /** Null for SYSTEM messages. */
  @ManyToOne({ entity: () => Participant, nullable: true, deleteRule: 'set null', index: false })
  sender: Rel<Participant> | null = null;

  @Enum({ items: () => SenderType, nativeEnumName: 'sender_type' })
  senderType!: SenderType;

  @Property({ type: 'text' })
  content!: string;

  @Property({ type: 'json' })
  metadata: Record<string, unknown> & Opt = {};

  @Property({ type: 'string', length: MAX_CLIENT_MESSAGE_ID_LENGTH, nullable: true })
  clientMessageId: string | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = deskDate();

  @Property({ type: 'datetime', nullable: true })
  editedAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  deletedAt: Date | null = null;

  /** A private note: only support staff, admins and bots see it (sessions/message-visibility.ts). */
  @Property({ fieldName: 'private', default: false })
  isPrivate: boolean & Opt = false;

  /** Sent by the desk itself (an out-of-hours auto-reply, sender type SYSTEM, no sender), never by a person. */
  @Property({ default: false })
  automatic: boolean & Opt = false;

  /** 1 when sent, one more with each edit or delete: of two copies of a message, the higher version is current. */
  @Property({ default: 1 })
  version: number & Opt = 1;

  /** On the support reply that ended a customer's wait: how long the wait was. */
  @Property({ type: 'integer', nullable: true })
  responseMs: number | null = null;

  /** Loaded on demand (MessageService populates it for every page it returns). */
  @OneToMany({ entity: () => Attachment, mappedBy: 'message', orderBy: { position: 'asc' } })
  attachments = new Collection<Attachment>(this);
}
