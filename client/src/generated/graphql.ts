/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** Derived from the other side's delivered and read watermarks */
export type DeliveryStatus =
  | 'DELIVERED'
  | 'READ'
  | 'SENT';

export type Priority =
  | 'HIGH'
  | 'LOW'
  | 'MEDIUM';

/** Who wrote a message: the customer side, support staff, a bot, or the system */
export type SenderType =
  | 'ASSISTANT'
  | 'SUPPORT'
  | 'SYSTEM'
  | 'USER';

/** STATUS: open/closed; AGENT: assigned, transferred or unassigned; MEMBERS: a room member added or removed; RATING: a CSAT rating of the closed session (on Session.rating); PRIORITY, TAGS, SUBJECT: updateSession changed them; SNOOZED_UNTIL: snoozed, snoozed again to another time, or woke (with STATUS when it went SNOOZED or ACTIVE); SLA: an SLA clock reached its warning or due time (SLA_WARNING, SLA_BREACHED: see `sla`) */
export type SessionChange =
  | 'AGENT'
  | 'MEMBERS'
  | 'PRIORITY'
  | 'RATING'
  | 'SLA'
  | 'SNOOZED_UNTIL'
  | 'STATUS'
  | 'SUBJECT'
  | 'TAGS';

/** The outbox type (message.created → MESSAGE_CREATED, ...); TYPING is never stored */
export type SessionEventType =
  | 'DELIVERY_UPDATED'
  | 'MESSAGE_CREATED'
  | 'MESSAGE_DELETED'
  | 'MESSAGE_UPDATED'
  | 'READ_UPDATED'
  | 'SESSION_CREATED'
  | 'SESSION_UPDATED'
  | 'SLA_BREACHED'
  | 'SLA_WARNING'
  | 'TYPING';

/** ACTIVE: open; SNOOZED: open, set aside until `snoozedUntil` or the customer writes; CLOSED: ended */
export type SessionStatus =
  | 'ACTIVE'
  | 'CLOSED'
  | 'SNOOZED';

export type SdkAttachmentFragment = { id: string, url: string, type: string, name: string, size: number };

export type SdkMessageFragment = { id: string, uuid: string, sessionId: string, clientMessageId: string | null, content: string, metadata: Record<string, unknown>, createdAt: string, editedAt: string | null, deletedAt: string | null, senderId: string | null, senderName: string, senderType: SenderType, senderUserId: string | null, senderUsername: string | null, read: boolean, status: DeliveryStatus, version: number, private: boolean, attachments: Array<{ id: string, url: string, type: string, name: string, size: number }> };

export type SdkSessionUpdateFragment = { id: string, sessionId: string, type: SessionEventType, changed: Array<SessionChange>, status: SessionStatus, priority: Priority, subject: string | null, tags: Array<string>, agentId: string | null, customerId: string | null, startedAt: string, endedAt: string | null, createdAt: string };

export type SdkLoginMutationVariables = Exact<{
  username: string;
  password: string;
  tenant?: string | null | undefined;
  totp?: string | null | undefined;
}>;


export type SdkLoginMutation = { login: { token: string, expiresAt: string, refreshToken: string, refreshExpiresAt: string } };

export type SdkRefreshMutationVariables = Exact<{
  refreshToken: string;
}>;


export type SdkRefreshMutation = { refreshToken: { token: string, expiresAt: string, refreshToken: string, refreshExpiresAt: string } };

export type SdkCreateSessionMutationVariables = Exact<{
  subject?: string | null | undefined;
  priority?: Priority | null | undefined;
  tags?: Array<string> | string | null | undefined;
}>;


export type SdkCreateSessionMutation = { createSession: { id: string, uuid: string, subject: string | null, status: SessionStatus, lastEventId: string } };

export type SdkHistoryQueryVariables = Exact<{
  sessionId: string | number;
  last: number;
}>;


export type SdkHistoryQuery = { messages: { lastEventId: string, pageInfo: { hasPreviousPage: boolean, startCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, uuid: string, sessionId: string, clientMessageId: string | null, content: string, metadata: Record<string, unknown>, createdAt: string, editedAt: string | null, deletedAt: string | null, senderId: string | null, senderName: string, senderType: SenderType, senderUserId: string | null, senderUsername: string | null, read: boolean, status: DeliveryStatus, version: number, private: boolean, attachments: Array<{ id: string, url: string, type: string, name: string, size: number }> } }> } };

export type SdkSendMutationVariables = Exact<{
  sessionId: string | number;
  content: string;
  clientMessageId?: string | null | undefined;
  metadata?: Record<string, unknown> | null | undefined;
  attachments?: Array<Blob> | Blob | null | undefined;
}>;


export type SdkSendMutation = { sendMessage: { created: boolean, message: { id: string, uuid: string, sessionId: string, clientMessageId: string | null, content: string, metadata: Record<string, unknown>, createdAt: string, editedAt: string | null, deletedAt: string | null, senderId: string | null, senderName: string, senderType: SenderType, senderUserId: string | null, senderUsername: string | null, read: boolean, status: DeliveryStatus, version: number, private: boolean, attachments: Array<{ id: string, url: string, type: string, name: string, size: number }> } } };

export type SdkSessionEventsSubscriptionVariables = Exact<{
  sessionId: string | number;
  since?: string | number | null | undefined;
}>;


export type SdkSessionEventsSubscription = { sessionEvents:
    | { __typename: 'MessageEvent', id: string, sessionId: string, type: SessionEventType, createdAt: string, message: { id: string, uuid: string, sessionId: string, clientMessageId: string | null, content: string, metadata: Record<string, unknown>, createdAt: string, editedAt: string | null, deletedAt: string | null, senderId: string | null, senderName: string, senderType: SenderType, senderUserId: string | null, senderUsername: string | null, read: boolean, status: DeliveryStatus, version: number, private: boolean, attachments: Array<{ id: string, url: string, type: string, name: string, size: number }> } }
    | { __typename: 'ReadEvent', id: string, sessionId: string, type: SessionEventType, participantId: string, userId: string, messageId: string, createdAt: string }
    | { __typename: 'SessionUpdateEvent', id: string, sessionId: string, type: SessionEventType, changed: Array<SessionChange>, status: SessionStatus, priority: Priority, subject: string | null, tags: Array<string>, agentId: string | null, customerId: string | null, startedAt: string, endedAt: string | null, createdAt: string }
    | { __typename: 'TypingEvent', type: SessionEventType, sessionId: string, userId: string, name: string, isTyping: boolean, timestamp: string }
   };

export type SdkInboxSubscriptionVariables = Exact<{
  since?: string | number | null | undefined;
  activity?: boolean | null | undefined;
}>;


export type SdkInboxSubscription = { inbox: { id: string, sessionId: string, type: SessionEventType, changed: Array<SessionChange>, status: SessionStatus, priority: Priority, subject: string | null, tags: Array<string>, agentId: string | null, customerId: string | null, startedAt: string, endedAt: string | null, createdAt: string, inboxRow: { unreadCount: number, lastActivityAt: string, lastMessage: { id: string, uuid: string, sessionId: string, clientMessageId: string | null, content: string, metadata: Record<string, unknown>, createdAt: string, editedAt: string | null, deletedAt: string | null, senderId: string | null, senderName: string, senderType: SenderType, senderUserId: string | null, senderUsername: string | null, read: boolean, status: DeliveryStatus, version: number, private: boolean, attachments: Array<{ id: string, url: string, type: string, name: string, size: number }> } | null } | null, inboxTabs: { mine: number, unassigned: number, all: number } | null } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const SdkAttachmentFragmentDoc = new TypedDocumentString(`
    fragment SdkAttachment on Attachment {
  id
  url
  type
  name
  size
}
    `, {"fragmentName":"SdkAttachment"}) as unknown as TypedDocumentString<SdkAttachmentFragment, unknown>;
export const SdkMessageFragmentDoc = new TypedDocumentString(`
    fragment SdkMessage on Message {
  id
  uuid
  sessionId
  clientMessageId
  content
  metadata
  createdAt
  editedAt
  deletedAt
  senderId
  senderName
  senderType
  senderUserId
  senderUsername
  read
  status
  version
  private
  attachments {
    ...SdkAttachment
  }
}
    fragment SdkAttachment on Attachment {
  id
  url
  type
  name
  size
}`, {"fragmentName":"SdkMessage"}) as unknown as TypedDocumentString<SdkMessageFragment, unknown>;
export const SdkSessionUpdateFragmentDoc = new TypedDocumentString(`
    fragment SdkSessionUpdate on SessionUpdateEvent {
  id
  sessionId
  type
  changed
  status
  priority
  subject
  tags
  agentId
  customerId
  startedAt
  endedAt
  createdAt
}
    `, {"fragmentName":"SdkSessionUpdate"}) as unknown as TypedDocumentString<SdkSessionUpdateFragment, unknown>;
export const SdkLoginDocument = new TypedDocumentString(`
    mutation SdkLogin($username: String!, $password: String!, $tenant: String, $totp: String) {
  login(username: $username, password: $password, tenant: $tenant, totp: $totp) {
    token
    expiresAt
    refreshToken
    refreshExpiresAt
  }
}
    `) as unknown as TypedDocumentString<SdkLoginMutation, SdkLoginMutationVariables>;
export const SdkRefreshDocument = new TypedDocumentString(`
    mutation SdkRefresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) {
    token
    expiresAt
    refreshToken
    refreshExpiresAt
  }
}
    `) as unknown as TypedDocumentString<SdkRefreshMutation, SdkRefreshMutationVariables>;
export const SdkCreateSessionDocument = new TypedDocumentString(`
    mutation SdkCreateSession($subject: String, $priority: Priority, $tags: [String!]) {
  createSession(subject: $subject, priority: $priority, tags: $tags) {
    id
    uuid
    subject
    status
    lastEventId
  }
}
    `) as unknown as TypedDocumentString<SdkCreateSessionMutation, SdkCreateSessionMutationVariables>;
export const SdkHistoryDocument = new TypedDocumentString(`
    query SdkHistory($sessionId: ID!, $last: Int!) {
  messages(sessionId: $sessionId, last: $last) {
    lastEventId
    pageInfo {
      hasPreviousPage
      startCursor
    }
    edges {
      cursor
      node {
        ...SdkMessage
      }
    }
  }
}
    fragment SdkAttachment on Attachment {
  id
  url
  type
  name
  size
}
fragment SdkMessage on Message {
  id
  uuid
  sessionId
  clientMessageId
  content
  metadata
  createdAt
  editedAt
  deletedAt
  senderId
  senderName
  senderType
  senderUserId
  senderUsername
  read
  status
  version
  private
  attachments {
    ...SdkAttachment
  }
}`) as unknown as TypedDocumentString<SdkHistoryQuery, SdkHistoryQueryVariables>;
export const SdkSendDocument = new TypedDocumentString(`
    mutation SdkSend($sessionId: ID!, $content: String!, $clientMessageId: String, $metadata: JSONObject, $attachments: [Upload!]) {
  sendMessage(
    sessionId: $sessionId
    content: $content
    clientMessageId: $clientMessageId
    metadata: $metadata
    attachments: $attachments
  ) {
    created
    message {
      ...SdkMessage
    }
  }
}
    fragment SdkAttachment on Attachment {
  id
  url
  type
  name
  size
}
fragment SdkMessage on Message {
  id
  uuid
  sessionId
  clientMessageId
  content
  metadata
  createdAt
  editedAt
  deletedAt
  senderId
  senderName
  senderType
  senderUserId
  senderUsername
  read
  status
  version
  private
  attachments {
    ...SdkAttachment
  }
}`) as unknown as TypedDocumentString<SdkSendMutation, SdkSendMutationVariables>;
export const SdkSessionEventsDocument = new TypedDocumentString(`
    subscription SdkSessionEvents($sessionId: ID!, $since: ID) {
  sessionEvents(sessionId: $sessionId, since: $since) {
    __typename
    ... on MessageEvent {
      id
      sessionId
      type
      createdAt
      message {
        ...SdkMessage
      }
    }
    ... on ReadEvent {
      id
      sessionId
      type
      participantId
      userId
      messageId
      createdAt
    }
    ... on SessionUpdateEvent {
      ...SdkSessionUpdate
    }
    ... on TypingEvent {
      type
      sessionId
      userId
      name
      isTyping
      timestamp
    }
  }
}
    fragment SdkAttachment on Attachment {
  id
  url
  type
  name
  size
}
fragment SdkMessage on Message {
  id
  uuid
  sessionId
  clientMessageId
  content
  metadata
  createdAt
  editedAt
  deletedAt
  senderId
  senderName
  senderType
  senderUserId
  senderUsername
  read
  status
  version
  private
  attachments {
    ...SdkAttachment
  }
}
fragment SdkSessionUpdate on SessionUpdateEvent {
  id
  sessionId
  type
  changed
  status
  priority
  subject
  tags
  agentId
  customerId
  startedAt
  endedAt
  createdAt
}`) as unknown as TypedDocumentString<SdkSessionEventsSubscription, SdkSessionEventsSubscriptionVariables>;
export const SdkInboxDocument = new TypedDocumentString(`
    subscription SdkInbox($since: ID, $activity: Boolean) {
  inbox(since: $since, activity: $activity) {
    ...SdkSessionUpdate
    inboxRow {
      unreadCount
      lastActivityAt
      lastMessage {
        ...SdkMessage
      }
    }
    inboxTabs {
      mine
      unassigned
      all
    }
  }
}
    fragment SdkAttachment on Attachment {
  id
  url
  type
  name
  size
}
fragment SdkMessage on Message {
  id
  uuid
  sessionId
  clientMessageId
  content
  metadata
  createdAt
  editedAt
  deletedAt
  senderId
  senderName
  senderType
  senderUserId
  senderUsername
  read
  status
  version
  private
  attachments {
    ...SdkAttachment
  }
}
fragment SdkSessionUpdate on SessionUpdateEvent {
  id
  sessionId
  type
  changed
  status
  priority
  subject
  tags
  agentId
  customerId
  startedAt
  endedAt
  createdAt
}`) as unknown as TypedDocumentString<SdkInboxSubscription, SdkInboxSubscriptionVariables>;