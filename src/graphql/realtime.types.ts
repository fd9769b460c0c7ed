import { createUnionType, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import {
  isLifecycleEvent,
  isMessageEvent,
  isSlaEvent,
  type MessageDto,
  type MessageEvent,
  type PublishedEvent,
  type SessionChange,
  type SessionDto,
  type SessionEventType,
  type SessionLifecycleEvent,
  type TypingSignal,
  type WakeCause,
  type WatermarkEvent,
  watermarkOf,
} from '../model/event-contract.js';
import type { InboxExtras } from '../realtime/session-stream.js';
import { sessionDto } from '../sessions/session.dto.js';
import type { Viewer } from '../shared/viewer.js';
import { DeliveryStatus, Priority, SessionAction, SessionStatus } from './enums.js';
import { InboxRowType, InboxTabsType } from './inbox.types.js';
import { MessageType } from './message.types.js';
import { SlaAlertType } from './sla.types.js';

/** One enum for every event of the union, so clients can select `type` on all of them together. */
export enum GraphQLEventType {
  MESSAGE_CREATED = 'MESSAGE_CREATED',
  MESSAGE_UPDATED = 'MESSAGE_UPDATED',
  MESSAGE_DELETED = 'MESSAGE_DELETED',
  SESSION_CREATED = 'SESSION_CREATED',
  SESSION_UPDATED = 'SESSION_UPDATED',
  READ_UPDATED = 'READ_UPDATED',
  DELIVERY_UPDATED = 'DELIVERY_UPDATED',
  SLA_WARNING = 'SLA_WARNING',
  SLA_BREACHED = 'SLA_BREACHED',
  TYPING = 'TYPING',
}

registerEnumType(GraphQLEventType, {
  name: 'SessionEventType',
  description: 'The outbox type (message.created → MESSAGE_CREATED, ...); TYPING is never stored',
});

/** The contract's event types (model/event-contract.ts) as the GraphQL enum names them. */
const GRAPHQL_TYPE: Record<SessionEventType, GraphQLEventType> = {
  'message.created': GraphQLEventType.MESSAGE_CREATED,
  'message.updated': GraphQLEventType.MESSAGE_UPDATED,
  'message.deleted': GraphQLEventType.MESSAGE_DELETED,
  'session.created': GraphQLEventType.SESSION_CREATED,
  'session.updated': GraphQLEventType.SESSION_UPDATED,
  'read.updated': GraphQLEventType.READ_UPDATED,
  'delivery.updated': GraphQLEventType.DELIVERY_UPDATED,
  'sla.warning': GraphQLEventType.SLA_WARNING,
  'sla.breached': GraphQLEventType.SLA_BREACHED,
};

/** What a `session.updated` can change (the contract's SessionChange), as clients switch on it. */
export enum GraphQLSessionChange {
  STATUS = 'STATUS',
  AGENT = 'AGENT',
  MEMBERS = 'MEMBERS',
  RATING = 'RATING',
  PRIORITY = 'PRIORITY',
  TAGS = 'TAGS',
  SUBJECT = 'SUBJECT',
  SLA = 'SLA',
  SNOOZED_UNTIL = 'SNOOZED_UNTIL',
}

registerEnumType(GraphQLSessionChange, {
  name: 'SessionChange',
  description:
    'STATUS: open/closed; AGENT: assigned, transferred or unassigned; MEMBERS: a room member added or removed; RATING: a CSAT rating of the closed session (on Session.rating); PRIORITY, TAGS, SUBJECT: updateSession changed them; SNOOZED_UNTIL: snoozed, snoozed again to another time, or woke (with STATUS when it went SNOOZED or ACTIVE); SLA: an SLA clock reached its warning or due time (SLA_WARNING, SLA_BREACHED: see `sla`)',
});

/** What woke a snoozed session (the contract's WakeCause). */
export enum WakeCauseEnum {
  TIMER = 'TIMER',
  CUSTOMER = 'CUSTOMER',
  STAFF = 'STAFF',
}

registerEnumType(WakeCauseEnum, { name: 'WakeCause', description: 'TIMER: its snoozedUntil came; CUSTOMER: the customer wrote; STAFF: unsnoozeSession' });

const GRAPHQL_WAKE: Record<WakeCause, WakeCauseEnum> = { TIMER: WakeCauseEnum.TIMER, CUSTOMER: WakeCauseEnum.CUSTOMER, STAFF: WakeCauseEnum.STAFF };

/** Every change of the contract has its GraphQL name (a new one fails to compile until it is added). */
const GRAPHQL_CHANGE: Record<SessionChange, GraphQLSessionChange> = {
  status: GraphQLSessionChange.STATUS,
  agent: GraphQLSessionChange.AGENT,
  members: GraphQLSessionChange.MEMBERS,
  rating: GraphQLSessionChange.RATING,
  priority: GraphQLSessionChange.PRIORITY,
  tags: GraphQLSessionChange.TAGS,
  subject: GraphQLSessionChange.SUBJECT,
  snoozedUntil: GraphQLSessionChange.SNOOZED_UNTIL,
};

const date = (value: string | null): Date | null => (value === null ? null : new Date(value));

@ObjectType('MessageEvent', { description: 'A message was created, edited or deleted' })
export class MessageEventType {
  @Field(() => ID, { description: 'Outbox event id: pass the last one seen as `since` to resume' })
  id!: string;

  @Field(() => ID)
  sessionId!: string;

  @Field(() => GraphQLEventType)
  type!: GraphQLEventType;

  @Field(() => MessageType, { description: 'As of the event; read/status are SENT-time values (ReadEvent carries later changes)' })
  message!: MessageType;

  @Field(() => Date)
  createdAt!: Date;

  static from(event: MessageEvent): MessageEventType {
    return Object.assign(new MessageEventType(), {
      id: event.id,
      sessionId: event.sessionId,
      type: GRAPHQL_TYPE[event.type],
      message: messageFromDto(event.payload.message),
      createdAt: new Date(event.createdAt),
    });
  }
}

export function messageFromDto(dto: MessageDto): MessageType {
  return Object.assign(new MessageType(), {
    ...dto,
    createdAt: new Date(dto.createdAt),
    editedAt: date(dto.editedAt),
    deletedAt: date(dto.deletedAt),
    version: dto.version ?? 1,
    private: dto.private ?? false,
    automatic: dto.automatic ?? false,
    read: false,
    status: DeliveryStatus.SENT,
  });
}

@ObjectType('TypingEvent', { description: 'Ephemeral: never stored, so it has no id and is not replayed' })
export class TypingEventType {
  @Field(() => GraphQLEventType)
  type!: GraphQLEventType;

  @Field(() => ID)
  sessionId!: string;

  @Field(() => ID, { description: 'User id of the typist; `guest:<participantId>` for a guest' })
  userId!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Boolean, { description: 'False when the typist stopped or sent no refresh for 6 seconds' })
  isTyping!: boolean;

  @Field(() => Date)
  timestamp!: Date;

  static from(signal: TypingSignal): TypingEventType {
    return Object.assign(new TypingEventType(), {
      type: GraphQLEventType.TYPING,
      sessionId: signal.sessionId,
      userId: signal.userId,
      name: signal.name,
      isTyping: signal.isTyping,
      timestamp: new Date(signal.timestamp),
    });
  }
}

@ObjectType('SessionUpdateEvent', { description: 'A session was created or changed (status, agent, room members, rating); in the inbox with `activity`, also a message or read change in it' })
export class SessionUpdateEventType {
  @Field(() => ID, { description: 'Outbox event id: pass the last one seen as `since` to resume' })
  id!: string;

  @Field(() => ID)
  sessionId!: string;

  @Field(() => GraphQLEventType)
  type!: GraphQLEventType;

  @Field(() => [GraphQLSessionChange], { description: 'What a SESSION_UPDATED changed; empty for SESSION_CREATED and for inbox activity (MESSAGE_*, READ_UPDATED: `type` says what happened)' })
  changed!: GraphQLSessionChange[];

  @Field(() => [String], {
    deprecationReason: 'Use `changed` (an enum). Lowercase names of the same changes: status, agent, members, rating; inbox activity items: lastMessage and unreadCount',
  })
  changes!: string[];

  @Field(() => SessionAction, { nullable: true, description: 'The workflow step, when it was one (assign, transfer, unassign, close, reopen, snooze, wake)' })
  action!: SessionAction | null;

  @Field(() => ID, { nullable: true, description: 'With `action`: the agent before the step (agentId is the one after it)' })
  previousAgentId!: string | null;

  @Field(() => ID, { nullable: true, description: 'With `action`: the user who took the step (null: the system)' })
  actorId!: string | null;

  @Field(() => SessionStatus)
  status!: SessionStatus;

  @Field(() => Priority)
  priority!: Priority;

  @Field(() => String, { nullable: true })
  subject!: string | null;

  @Field(() => [String])
  tags!: string[];

  @Field(() => ID, { nullable: true })
  agentId!: string | null;

  @Field(() => ID, { nullable: true })
  customerId!: string | null;

  @Field(() => Date)
  startedAt!: Date;

  @Field(() => Date, { nullable: true })
  endedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'While SNOOZED: when the session wakes by itself' })
  snoozedUntil!: Date | null;

  @Field(() => WakeCauseEnum, { nullable: true, description: 'With action WOKE: what woke the session' })
  wokenBy!: WakeCauseEnum | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => SlaAlertType, { nullable: true, description: 'SLA_WARNING and SLA_BREACHED (staff, admins and bots only): the clock and its due time' })
  sla: SlaAlertType | null = null;

  @Field(() => InboxRowType, {
    nullable: true,
    description: "Inbox subscription only: the session's row for the subscriber as of delivery (unread count, last message, last activity); null when the session left the subscriber's inbox",
  })
  inboxRow: InboxRowType | null = null;

  @Field(() => InboxTabsType, { nullable: true, description: 'Inbox subscription only: the tab counts as of delivery' })
  inboxTabs: InboxTabsType | null = null;

  /**
   * An inbox item: a lifecycle event with the subscriber's row and tabs, or (with `activity`) a
   * message or read change, described by the session as it now is. Either way `id` is the event's
   * own outbox id, what `since` resumes from.
   */
  static forInbox(event: PublishedEvent, inbox: InboxExtras, viewer: Viewer): SessionUpdateEventType {
    const extras = { inboxRow: inbox.row ? InboxRowType.from(inbox.row, viewer) : null, inboxTabs: inbox.tabs ? InboxTabsType.from(inbox.tabs) : null };
    if (isLifecycleEvent(event)) return Object.assign(SessionUpdateEventType.from(event), extras);
    return Object.assign(new SessionUpdateEventType(), {
      id: event.id,
      sessionId: event.sessionId,
      type: GRAPHQL_TYPE[event.type],
      changed: [],
      changes: isMessageEvent(event) ? ['lastMessage', 'unreadCount'] : ['unreadCount'],
      action: null,
      previousAgentId: null,
      actorId: null,
      wokenBy: null,
      ...sessionFields(sessionDto(inbox.row!.session)),
      createdAt: new Date(event.createdAt),
      ...extras,
    });
  }

  static from(event: SessionLifecycleEvent): SessionUpdateEventType {
    const { session } = event.payload;
    const sla = isSlaEvent(event) ? event.payload : null;
    return Object.assign(new SessionUpdateEventType(), {
      id: event.id,
      sessionId: event.sessionId,
      type: GRAPHQL_TYPE[event.type],
      changed: event.type === 'session.updated' ? event.payload.changes.map((change) => GRAPHQL_CHANGE[change]) : sla ? [GraphQLSessionChange.SLA] : [],
      changes: event.type === 'session.updated' ? event.payload.changes : sla ? ['sla'] : [],
      sla: sla && Object.assign(new SlaAlertType(), { metric: sla.metric, at: new Date(sla.at), dueAt: new Date(sla.dueAt), policyId: sla.policyId }),
      action: (event.type === 'session.updated' ? event.payload.action : null) ?? null,
      previousAgentId: (event.type === 'session.updated' ? event.payload.previousAgentId : null) ?? null,
      actorId: (event.type === 'session.updated' ? event.payload.actorId : null) ?? null,
      wokenBy: event.type === 'session.updated' && event.payload.wokenBy !== undefined ? GRAPHQL_WAKE[event.payload.wokenBy] : null,
      ...sessionFields(session),
      createdAt: new Date(event.createdAt),
    });
  }
}

/** The session's own fields of a SessionUpdateEvent, from the session as events carry it. */
function sessionFields(session: SessionDto) {
  return {
    status: session.status,
    priority: session.priority,
    subject: session.subject,
    tags: session.tags,
    agentId: session.agentId,
    customerId: session.customerId,
    startedAt: new Date(session.startedAt),
    endedAt: date(session.endedAt),
    snoozedUntil: date(session.snoozedUntil ?? null),
  };
}

@ObjectType('ReadEvent', { description: "A participant's read or delivered watermark moved forward (DELIVERED/READ message status)" })
export class ReadEventType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  sessionId!: string;

  @Field(() => GraphQLEventType, { description: 'READ_UPDATED (markRead) or DELIVERY_UPDATED (a subscription pushed it or a fetch returned it)' })
  type!: GraphQLEventType;

  @Field(() => ID)
  participantId!: string;

  @Field(() => ID, { description: 'User id of the reader; `guest:<participantId>` for a guest' })
  userId!: string;

  @Field(() => ID, { description: 'The new watermark: messages up to this id are read (READ_UPDATED) or delivered (DELIVERY_UPDATED)' })
  messageId!: string;

  @Field(() => Date)
  createdAt!: Date;

  static from(event: WatermarkEvent): ReadEventType {
    return Object.assign(new ReadEventType(), {
      id: event.id,
      sessionId: event.sessionId,
      type: GRAPHQL_TYPE[event.type],
      participantId: event.payload.participantId,
      userId: event.payload.userId ?? `guest:${event.payload.participantId}`,
      messageId: watermarkOf(event),
      createdAt: new Date(event.createdAt),
    });
  }
}

export const SessionEventUnion = createUnionType({
  name: 'SessionEvent',
  description: 'Everything that happens in one session, in server order',
  types: () => [MessageEventType, TypingEventType, SessionUpdateEventType, ReadEventType] as const,
});

export type SessionEventValue = MessageEventType | TypingEventType | SessionUpdateEventType | ReadEventType;

/** The GraphQL value of a persisted event or typing signal. */
export function toSessionEventValue(item: { kind: 'event'; event: PublishedEvent } | { kind: 'typing'; typing: TypingSignal }): SessionEventValue {
  if (item.kind === 'typing') return TypingEventType.from(item.typing);
  const { event } = item;
  if (isMessageEvent(event)) return MessageEventType.from(event);
  if (isLifecycleEvent(event)) return SessionUpdateEventType.from(event);
  return ReadEventType.from(event);
}
