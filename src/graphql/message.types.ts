import { GraphQLJSONObject } from 'graphql-scalars';
import { ArgsType, Field, ID, Int, ObjectType } from 'type-graphql';
import type { MessageConnectionResult } from '../messages/message.service.js';
import type { MessageView } from '../sessions/watermarks.js';
import { AttachmentType } from './attachment.types.js';
import { DeliveryStatus, SenderType } from './enums.js';

@ObjectType('Message')
export class MessageType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  uuid!: string;

  @Field(() => ID)
  sessionId!: string;

  @Field(() => SenderType)
  senderType!: SenderType;

  @Field(() => ID, { nullable: true, description: 'Participant id of the sender; null for SYSTEM messages' })
  senderId!: string | null;

  @Field(() => ID, { nullable: true, description: 'User id of the sender; null for guests and SYSTEM' })
  senderUserId!: string | null;

  @Field(() => String)
  senderName!: string;

  @Field(() => String, { nullable: true, description: 'Username of the sender; null for guests and SYSTEM' })
  senderUsername!: string | null;

  @Field(() => String)
  content!: string;

  @Field(() => GraphQLJSONObject)
  metadata!: Record<string, unknown>;

  @Field(() => String, { nullable: true })
  clientMessageId!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  editedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  deletedAt!: Date | null;

  @Field(() => Boolean, { description: 'A private note: only support staff, admins and bots see it' })
  private!: boolean;

  @Field(() => Boolean, { description: 'Sent by the desk itself (an out-of-hours auto-reply; senderType SYSTEM), never by a person' })
  automatic!: boolean;

  @Field(() => Int, {
    description:
      'Starts at 1 and grows with each edit or delete. Of two copies of a message (say a page read now and an event replayed from before an edit), the higher version has the current content. Read state only ever moves forward (SENT < DELIVERED < READ): keep the furthest.',
  })
  version!: number;

  @Field(() => Boolean, { description: "True once the other side's read watermark has passed this message" })
  read!: boolean;

  @Field(() => DeliveryStatus)
  status!: DeliveryStatus;

  @Field(() => [AttachmentType], { description: 'Files sent with the message, in order; empty once it is deleted' })
  attachments!: AttachmentType[];

  static from({ message, read, status }: MessageView): MessageType {
    // The record already holds what readers see; only the sender's role is not a field.
    const { senderRole: _senderRole, attachments, ...fields } = message;
    return Object.assign(new MessageType(), { ...fields, read, status, attachments: (attachments ?? []).map((attachment) => AttachmentType.from(attachment)) });
  }
}

@ObjectType('MessageEdge')
export class MessageEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => MessageType)
  node!: MessageType;
}

@ObjectType('PageInfo')
export class PageInfoType {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => Boolean)
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType('MessageConnection')
export class MessageConnectionType {
  @Field(() => [MessageEdgeType])
  edges!: MessageEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  @Field(() => Int)
  totalCount!: number;

  /** Read only when a client selects lastEventId (PositionResolver). */
  position!: () => Promise<string>;

  static from(result: MessageConnectionResult): MessageConnectionType {
    return { ...result, edges: result.edges.map((edge) => ({ cursor: edge.cursor, node: MessageType.from(edge.node) })) };
  }
}

/** Relay paging arguments, shared by every message connection. */
@ArgsType()
export class ConnectionArgsType {
  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;

  @Field(() => Int, { nullable: true })
  last?: number | null;

  @Field(() => String, { nullable: true })
  before?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true, description: 'False leaves private notes out even for staff (the REST dialects, whose shapes cannot mark them)' })
  includeNotes?: boolean | null;
}

@ObjectType('MessagePage')
export class MessagePageType {
  @Field(() => [MessageType])
  items!: MessageType[];

  @Field(() => Int)
  totalCount!: number;

  @Field(() => Boolean)
  hasMore!: boolean;

  /** Read only when a client selects lastEventId (PositionResolver). */
  position!: () => Promise<string>;
}

@ObjectType('SendMessagePayload')
export class SendMessagePayload {
  @Field(() => MessageType)
  message!: MessageType;

  @Field(() => Boolean, { description: 'False when clientMessageId matched an earlier message, returned unchanged' })
  created!: boolean;
}

@ObjectType('ReadState')
export class ReadStateType {
  @Field(() => ID, { description: 'The participant whose watermark this is: one ReadState per participant, so caches can key it (ReadEvent.participantId names the same one)' })
  id!: string;

  @Field(() => ID)
  participantId!: string;

  @Field(() => ID)
  sessionId!: string;

  @Field(() => ID, { description: "The caller's read watermark after the call" })
  lastReadMessageId!: string;
}
