/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type Priority =
  | 'HIGH'
  | 'LOW'
  | 'MEDIUM';

export type SessionStatus =
  | 'ACTIVE'
  | 'CLOSED';

export type UserRole =
  | 'ADMIN'
  | 'BOT'
  | 'STAFF'
  | 'USER';

export type DemoStartWidgetMutationVariables = Exact<{
  widgetKey: string;
  origin?: string | null | undefined;
}>;


export type DemoStartWidgetMutation = { startWidgetSession: { token: string, conversationId: string } };

export type DemoMeQueryVariables = Exact<{ [key: string]: never; }>;


export type DemoMeQuery = { me: { id: string, username: string, displayName: string, role: UserRole } | null };

export type DemoSessionRowFragment = { id: string, uuid: string, subject: string | null, status: SessionStatus, priority: Priority, guestName: string | null, lastMessageAt: string | null, startedAt: string, messageCount: number, customer: { id: string, displayName: string, username: string } | null, agent: { id: string, displayName: string, username: string } | null };

export type DemoSessionsQueryVariables = Exact<{
  status?: SessionStatus | null | undefined;
  limit: number;
}>;


export type DemoSessionsQuery = { sessions: { totalCount: number, items: Array<{ id: string, uuid: string, subject: string | null, status: SessionStatus, priority: Priority, guestName: string | null, lastMessageAt: string | null, startedAt: string, messageCount: number, customer: { id: string, displayName: string, username: string } | null, agent: { id: string, displayName: string, username: string } | null }> } };

export type DemoMarkReadMutationVariables = Exact<{
  sessionId: string | number;
  messageIds: Array<string | number> | string | number;
}>;


export type DemoMarkReadMutation = { markRead: { id: string, participantId: string, lastReadMessageId: string } };

export type DemoTypingMutationVariables = Exact<{
  sessionId: string | number;
  isTyping: boolean;
}>;


export type DemoTypingMutation = { setTyping: { isTyping: boolean } };

export type DemoAssignMutationVariables = Exact<{
  sessionId: string | number;
  agentId: string | number;
}>;


export type DemoAssignMutation = { assignAgent: { id: string, uuid: string, subject: string | null, status: SessionStatus, priority: Priority, guestName: string | null, lastMessageAt: string | null, startedAt: string, messageCount: number, customer: { id: string, displayName: string, username: string } | null, agent: { id: string, displayName: string, username: string } | null } };

export type DemoCloseMutationVariables = Exact<{
  sessionId: string | number;
}>;


export type DemoCloseMutation = { closeSession: { id: string, uuid: string, subject: string | null, status: SessionStatus, priority: Priority, guestName: string | null, lastMessageAt: string | null, startedAt: string, messageCount: number, customer: { id: string, displayName: string, username: string } | null, agent: { id: string, displayName: string, username: string } | null } };

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
export const DemoSessionRowFragmentDoc = new TypedDocumentString(`
    fragment DemoSessionRow on Session {
  id
  uuid
  subject
  status
  priority
  guestName
  lastMessageAt
  startedAt
  messageCount
  customer {
    id
    displayName
    username
  }
  agent {
    id
    displayName
    username
  }
}
    `, {"fragmentName":"DemoSessionRow"}) as unknown as TypedDocumentString<DemoSessionRowFragment, unknown>;
export const DemoStartWidgetDocument = new TypedDocumentString(`
    mutation DemoStartWidget($widgetKey: String!, $origin: String) {
  startWidgetSession(widgetKey: $widgetKey, origin: $origin) {
    token
    conversationId
  }
}
    `) as unknown as TypedDocumentString<DemoStartWidgetMutation, DemoStartWidgetMutationVariables>;
export const DemoMeDocument = new TypedDocumentString(`
    query DemoMe {
  me {
    id
    username
    displayName
    role
  }
}
    `) as unknown as TypedDocumentString<DemoMeQuery, DemoMeQueryVariables>;
export const DemoSessionsDocument = new TypedDocumentString(`
    query DemoSessions($status: SessionStatus, $limit: Int!) {
  sessions(filter: {status: $status, kind: SUPPORT}, limit: $limit, page: 1) {
    totalCount
    items {
      ...DemoSessionRow
    }
  }
}
    fragment DemoSessionRow on Session {
  id
  uuid
  subject
  status
  priority
  guestName
  lastMessageAt
  startedAt
  messageCount
  customer {
    id
    displayName
    username
  }
  agent {
    id
    displayName
    username
  }
}`) as unknown as TypedDocumentString<DemoSessionsQuery, DemoSessionsQueryVariables>;
export const DemoMarkReadDocument = new TypedDocumentString(`
    mutation DemoMarkRead($sessionId: ID!, $messageIds: [ID!]!) {
  markRead(sessionId: $sessionId, messageIds: $messageIds) {
    id
    participantId
    lastReadMessageId
  }
}
    `) as unknown as TypedDocumentString<DemoMarkReadMutation, DemoMarkReadMutationVariables>;
export const DemoTypingDocument = new TypedDocumentString(`
    mutation DemoTyping($sessionId: ID!, $isTyping: Boolean!) {
  setTyping(sessionId: $sessionId, isTyping: $isTyping) {
    isTyping
  }
}
    `) as unknown as TypedDocumentString<DemoTypingMutation, DemoTypingMutationVariables>;
export const DemoAssignDocument = new TypedDocumentString(`
    mutation DemoAssign($sessionId: ID!, $agentId: ID!) {
  assignAgent(sessionId: $sessionId, agentId: $agentId) {
    ...DemoSessionRow
  }
}
    fragment DemoSessionRow on Session {
  id
  uuid
  subject
  status
  priority
  guestName
  lastMessageAt
  startedAt
  messageCount
  customer {
    id
    displayName
    username
  }
  agent {
    id
    displayName
    username
  }
}`) as unknown as TypedDocumentString<DemoAssignMutation, DemoAssignMutationVariables>;
export const DemoCloseDocument = new TypedDocumentString(`
    mutation DemoClose($sessionId: ID!) {
  closeSession(sessionId: $sessionId) {
    ...DemoSessionRow
  }
}
    fragment DemoSessionRow on Session {
  id
  uuid
  subject
  status
  priority
  guestName
  lastMessageAt
  startedAt
  messageCount
  customer {
    id
    displayName
    username
  }
  agent {
    id
    displayName
    username
  }
}`) as unknown as TypedDocumentString<DemoCloseMutation, DemoCloseMutationVariables>;