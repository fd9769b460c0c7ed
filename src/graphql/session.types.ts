import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { ChatSession } from '../model/session.entity.js';
import { mayReadGuestContact } from '../shared/personal-data.js';
import type { Viewer } from '../shared/viewer.js';
import { Priority, SessionKind, SessionStatus } from './enums.js';
import { MessageType } from './message.types.js';
import { UserType } from './user.types.js';

@ObjectType('Session')
export class SessionType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Public UUID of the session (the widget dialect uses it)' })
  uuid!: string;

  @Field(() => SessionKind)
  kind!: SessionKind;

  @Field(() => SessionStatus)
  status!: SessionStatus;

  @Field(() => Priority)
  priority!: Priority;

  @Field(() => String, { nullable: true })
  subject!: string | null;

  @Field(() => [String])
  tags!: string[];

  @Field(() => String, { nullable: true, description: "The guest client's own session id, for guest sessions" })
  sessionKey!: string | null;

  @Field(() => UserType, { nullable: true, description: 'The customer with an account; null for guest sessions' })
  customer!: UserType | null;

  @Field(() => String, { nullable: true })
  guestName!: string | null;

  @Field(() => String, { nullable: true, description: 'Visible to staff, admins and the guest' })
  guestEmail!: string | null;

  @Field(() => String, { nullable: true, description: 'Visible to staff, admins and the guest' })
  guestPhone!: string | null;

  @Field(() => UserType, { nullable: true })
  agent!: UserType | null;

  @Field(() => Date)
  startedAt!: Date;

  @Field(() => Date, { nullable: true })
  endedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the customer started waiting for a reply, if they are' })
  waitingSince!: Date | null;

  @Field(() => Date, { nullable: true })
  firstResponseAt!: Date | null;

  @Field(() => Date, { nullable: true })
  lastMessageAt!: Date | null;

  @Field(() => Int)
  messageCount!: number;

  @Field(() => Date, { nullable: true, description: 'While SNOOZED: when the session wakes by itself (it also wakes when the customer writes)' })
  snoozedUntil!: Date | null;

  /** Not in the schema: whether the session waits in the assignment queue (null: it does not, so `queuePosition` needs no query). */
  queuedAt?: Date | null;

  /** `hideContact`: leave out email and phone even where the viewer could see them (see GuestSessionResult.revealContact). */
  static from(session: ChatSession, viewer: Viewer, { hideContact = false }: { hideContact?: boolean } = {}): SessionType {
    const contactVisible = !hideContact && mayReadGuestContact(viewer);
    return Object.assign(new SessionType(), {
      id: session.id,
      uuid: session.uuid,
      kind: session.kind,
      status: session.status,
      priority: session.priority,
      subject: session.subject,
      tags: session.tags,
      sessionKey: session.sessionKey,
      customer: session.customer ? UserType.from(session.customer, viewer) : null,
      guestName: session.guestName,
      guestEmail: contactVisible ? session.guestEmail : null,
      guestPhone: contactVisible ? session.guestPhone : null,
      agent: session.agent ? UserType.from(session.agent, viewer) : null,
      startedAt: session.startedAt,
      endedAt: session.endedAt,
      waitingSince: session.waitingSince,
      firstResponseAt: session.firstResponseAt,
      lastMessageAt: session.lastMessageAt,
      messageCount: session.messageCount,
      snoozedUntil: session.snoozedUntil,
      queuedAt: session.queuedAt,
    });
  }
}

@ObjectType('SessionPage')
export class SessionPageType {
  @Field(() => [SessionType])
  items!: SessionType[];

  @Field(() => Int)
  totalCount!: number;

  @Field(() => Int)
  page!: number;

  @Field(() => Int)
  totalPages!: number;
}

@InputType('SessionFilter')
export class SessionFilterInput {
  @Field(() => SessionKind, { nullable: true, description: 'SUPPORT sessions or ROOMs; both when absent' })
  kind?: SessionKind | null;

  @Field(() => SessionStatus, { nullable: true })
  status?: SessionStatus | null;

  @Field(() => Boolean, { nullable: true, description: 'True: open sessions (ACTIVE or SNOOZED); false: CLOSED ones' })
  open?: boolean | null;

  @Field(() => Priority, { nullable: true })
  priority?: Priority | null;

  @Field(() => String, { nullable: true })
  tag?: string | null;

  @Field(() => ID, { nullable: true })
  agentId?: string | null;
}

@ObjectType('GuestSessionPayload')
export class GuestSessionPayload {
  @Field(() => SessionType)
  session!: SessionType;

  @Field(() => Boolean, { description: 'False when the sessionKey was already in use and the existing session is returned' })
  created!: boolean;

  @Field(() => String, { description: 'Bearer token scoped to this one session' })
  token!: string;

  @Field(() => [MessageType], { description: 'The latest messages, oldest first (empty for a new session)' })
  messages!: MessageType[];
}
