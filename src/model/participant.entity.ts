import { BigIntType, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Filter, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { deskDate } from '../shared/desk-clock.js';
import { ParticipantRole } from '../shared/enums.js';
import { MAX_DISPLAY_NAME_LENGTH } from '../shared/limits.js';
import { tenantFilter } from '../shared/tenant-filter.js';
import { ChatSession } from './session.entity.js';
import { Tenant } from './tenant.entity.js';
import { User } from './user.entity.js';

/** Someone taking part in a session: a user, or a guest without an account. Holds the watermarks. */
@Entity({ tableName: 'participants' })
@Filter(tenantFilter)
@Unique({ properties: ['session', 'user'] })
@Index({ properties: ['user'] })
export class Participant {
  @PrimaryKey({ type: new BigIntType('string') })
  id!: string;

  @ManyToOne({ entity: () => Tenant, deleteRule: 'cascade' })
  tenant!: Rel<Tenant>;

  @ManyToOne({ entity: () => ChatSession, deleteRule: 'cascade' })
  session!: Rel<ChatSession>;

  /** Null for a guest. */
  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'cascade' })
  user: Rel<User> | null = null;

  @Enum({ items: () => ParticipantRole, nativeEnumName: 'participant_role' })
  role!: ParticipantRole;

  /** Display name of a guest participant (users show their own display name). */
  @Property({ type: 'string', length: MAX_DISPLAY_NAME_LENGTH, nullable: true })
  guestName: string | null = null;

  /** Highest message id this participant has read; only ever moves forward. */
  @Property({ type: new BigIntType('string'), default: '0' })
  lastReadMessageId: string & Opt = '0';

  @Property({ type: new BigIntType('string'), default: '0' })
  lastDeliveredMessageId: string & Opt = '0';

  @Property({ type: 'datetime' })
  joinedAt: Date & Opt = deskDate();

  /** Set when a room member is removed: the row keeps their messages' authorship but grants nothing. */
  @Property({ type: 'datetime', nullable: true })
  leftAt: Date | null = null;
}
