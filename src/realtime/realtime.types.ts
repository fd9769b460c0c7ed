import { createUnionType, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import type { PublishedEvent, TypingSignal } from '../events/event-bus.js';
import { DeliveryStatus, Priority, SessionStatus } from '../graphql/enums.js';
import { MessageType } from '../messages/message.types.js';
import type { SenderType } from '../shared/enums.js';

/** One enum for every event of the union, so clients can select `type` on all of them together. */
export enum SessionEventType {
  MESSAGE_CREATED = 'MESSAGE_CREATED',
  MESSAGE_UPDATED = 'MESSAGE_UPDATED',
  MESSAGE_DELETED = 'MESSAGE_DELETED',
  SESSION_CREATED = 'SESSION_CREATED',
  SESSION_UPDATED = 'SESSION_UPDATED',
  READ_UPDATED = 'READ_UPDATED',
  DELIVERY_UPDATED = 'DELIVERY_UPDATED',
  TYPING = 'TYPING',
}

registerEnumType(SessionEventType, {
  name: 'SessionEventType',
  description: 'The outbox type (message.created → MESSAGE_CREATED, ...); TYPING is never stored',
});

/** `message.created` → MESSAGE_CREATED */
const typeOf = (event: PublishedEvent): SessionEventType => event.type.replace('.', '_').toUpperCase() as SessionEventType;

/** Message DTO as published (messages/message.dto.ts). */
interface MessageDto {
  id: string;
  uuid: string;
  sessionId: string;
  senderType: SenderType;
  senderId: string | null;
  senderUserId: string | null;
  senderName: string;
  content: string;
  metadata: Record<string, unknown>;
  clientMessageId: string | null;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
}

/** Session DTO as published (sessions/session.dto.ts). */
interface SessionDto {
  id: string;
  status: SessionStatus;
  priority: Priority;
  subject: string | null;
  tags: string[];
  customerId: string | null;
  agentId: string | null;
  startedAt: string;
  endedAt: string | null;
}

const date = (value: string | null): Date | null => (value === null ? null : new Date(value));

@ObjectType('MessageEvent', { description: 'A message was created, edited or deleted' })
export class MessageEventType {
  @Field(() => ID, { description: 'Outbox event id: pass the last one seen as `since` to resume' })
  id!: string;

  @Field(() => ID)
  sessionId!: string;

  @Field(() => SessionEventType)
  type!: SessionEventType;

  @Field(() => MessageType, { description: 'As of the event; read/status are SENT-time values (ReadEvent carries later changes)' })
  message!: MessageType;

  @Field(() => Date)
  createdAt!: Date;

  static from(event: PublishedEvent): MessageEventType {
    return Object.assign(new MessageEventType(), {
      id: event.id,
      sessionId: event.sessionId,
      type: typeOf(event),
      message: messageFromDto(event.payload.message as MessageDto),
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
    read: false,
    status: DeliveryStatus.SENT,
  });
}

@ObjectType('TypingEvent', { description: 'Ephemeral: never stored, so it has no id and is not replayed' })
export class TypingEventType {
  @Field(() => SessionEventType)
  type!: SessionEventType;

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
      type: SessionEventType.TYPING,
      sessionId: signal.sessionId,
      userId: signal.userId,
      name: signal.name,
      isTyping: signal.isTyping,
      timestamp: new Date(signal.timestamp),
    });
  }
}

@ObjectType('SessionUpdateEvent', { description: 'A session was created or changed (status, assignment, priority, tags)' })
export class SessionUpdateEventType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  sessionId!: string;

  @Field(() => SessionEventType)
  type!: SessionEventType;

  @Field(() => [String], { description: 'Which fields changed: status, agent, priority, tags, ...' })
  changes!: string[];

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

  @Field(() => Date)
  createdAt!: Date;

  static from(event: PublishedEvent): SessionUpdateEventType {
    const session = event.payload.session as SessionDto;
    return Object.assign(new SessionUpdateEventType(), {
      id: event.id,
      sessionId: event.sessionId,
      type: typeOf(event),
      changes: (event.payload.changes as string[] | undefined) ?? [],
      status: session.status,
      priority: session.priority,
      subject: session.subject,
      tags: session.tags,
      agentId: session.agentId,
      customerId: session.customerId,
      startedAt: new Date(session.startedAt),
      endedAt: date(session.endedAt),
      createdAt: new Date(event.createdAt),
    });
  }
}

@ObjectType('ReadEvent', { description: "A participant's read or delivered watermark moved forward (DELIVERED/READ message status)" })
export class ReadEventType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  sessionId!: string;

  @Field(() => SessionEventType, { description: 'READ_UPDATED (markRead) or DELIVERY_UPDATED (a subscription pushed it or a fetch returned it)' })
  type!: SessionEventType;

  @Field(() => ID)
  participantId!: string;

  @Field(() => ID, { description: 'User id of the reader; `guest:<participantId>` for a guest' })
  userId!: string;

  @Field(() => ID, { description: 'The new watermark: messages up to this id are read (READ_UPDATED) or delivered (DELIVERY_UPDATED)' })
  messageId!: string;

  @Field(() => Date)
  createdAt!: Date;

  static from(event: PublishedEvent): ReadEventType {
    const read = event.type === 'read.updated';
    return Object.assign(new ReadEventType(), {
      id: event.id,
      sessionId: event.sessionId,
      type: typeOf(event),
      participantId: event.payload.participantId as string,
      userId: (event.payload.userId as string | null) ?? `guest:${event.payload.participantId as string}`,
      messageId: (read ? event.payload.lastReadMessageId : event.payload.lastDeliveredMessageId) as string,
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
  if (event.type.startsWith('message.')) return MessageEventType.from(event);
  if (event.type.startsWith('session.')) return SessionUpdateEventType.from(event);
  return ReadEventType.from(event);
}
