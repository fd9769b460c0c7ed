/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** ONLINE: takes new sessions (while connected); BUSY and OFFLINE: takes none */
export type Availability =
  | 'BUSY'
  | 'OFFLINE'
  | 'ONLINE';

/** ME: the viewer's sessions; UNASSIGNED: the queue (admins; staff see only their own sessions); ANY: everything the viewer may see. Without a `status` filter, ME and UNASSIGNED leave snoozed sessions out (they have their own tab: `status: SNOOZED`) */
export type InboxAssignee =
  | 'ANY'
  | 'ME'
  | 'UNASSIGNED';

export type InboxFilter = {
  /** One agent's sessions (instead of assignee) */
  agentId?: string | number | null | undefined;
  /** ANY when absent */
  assignee?: InboxAssignee | null | undefined;
  priority?: Priority | null | undefined;
  /** True: sessions with at least one recorded SLA breach (any metric, met late or still overdue: what Session.sla.breaches lists); false: sessions with none */
  slaBreached?: boolean | null | undefined;
  status?: SessionStatus | null | undefined;
  tag?: string | null | undefined;
  /** True: the customer spoke last and no support reply followed (false: the opposite) */
  waitingForReply?: boolean | null | undefined;
};

export type Priority =
  | 'HIGH'
  | 'LOW'
  | 'MEDIUM';

/** ACTIVE: open; SNOOZED: open, set aside until `snoozedUntil` or the customer writes; CLOSED: ended */
export type SessionStatus =
  | 'ACTIVE'
  | 'CLOSED'
  | 'SNOOZED';

/** FIRST_RESPONSE: start to first support reply; NEXT_RESPONSE: a customer wait to the reply ending it; RESOLUTION: start to close, paused while waiting on the customer */
export type SlaMetric =
  | 'FIRST_RESPONSE'
  | 'NEXT_RESPONSE'
  | 'RESOLUTION';

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

export type DemoInboxQueryVariables = Exact<{
  filter?: InboxFilter | null | undefined;
  first: number;
}>;


export type DemoInboxQuery = { inboxConnection: { tabs: { mine: number, unassigned: number, all: number }, edges: Array<{ node: { unreadCount: number, lastActivityAt: string, slaBreached: boolean, lastMessage: { content: string, private: boolean, senderName: string, deletedAt: string | null } | null, session: { id: string, uuid: string, subject: string | null, status: SessionStatus, priority: Priority, guestName: string | null, lastMessageAt: string | null, startedAt: string, messageCount: number, customer: { id: string, displayName: string, username: string } | null, agent: { id: string, displayName: string, username: string } | null } } }> } };

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

export type DemoTransferMutationVariables = Exact<{
  sessionId: string | number;
  agentId: string | number;
}>;


export type DemoTransferMutation = { transferSession: { id: string, uuid: string, subject: string | null, status: SessionStatus, priority: Priority, guestName: string | null, lastMessageAt: string | null, startedAt: string, messageCount: number, customer: { id: string, displayName: string, username: string } | null, agent: { id: string, displayName: string, username: string } | null } };

export type DemoUnassignMutationVariables = Exact<{
  sessionId: string | number;
}>;


export type DemoUnassignMutation = { unassignSession: { id: string, uuid: string, subject: string | null, status: SessionStatus, priority: Priority, guestName: string | null, lastMessageAt: string | null, startedAt: string, messageCount: number, customer: { id: string, displayName: string, username: string } | null, agent: { id: string, displayName: string, username: string } | null } };

export type DemoReopenMutationVariables = Exact<{
  sessionId: string | number;
}>;


export type DemoReopenMutation = { reopenSession: { id: string, uuid: string, subject: string | null, status: SessionStatus, priority: Priority, guestName: string | null, lastMessageAt: string | null, startedAt: string, messageCount: number, customer: { id: string, displayName: string, username: string } | null, agent: { id: string, displayName: string, username: string } | null } };

export type DemoAgentsQueryVariables = Exact<{ [key: string]: never; }>;


export type DemoAgentsQuery = { agents: Array<{ id: string, displayName: string, online: boolean, availability: Availability, activeSessions: number, capacity: number }> };

export type DemoCloseMutationVariables = Exact<{
  sessionId: string | number;
}>;


export type DemoCloseMutation = { closeSession: { id: string, uuid: string, subject: string | null, status: SessionStatus, priority: Priority, guestName: string | null, lastMessageAt: string | null, startedAt: string, messageCount: number, customer: { id: string, displayName: string, username: string } | null, agent: { id: string, displayName: string, username: string } | null } };

export type DemoSetAvailabilityMutationVariables = Exact<{
  availability: Availability;
}>;


export type DemoSetAvailabilityMutation = { setAvailability: { id: string, availability: Availability, online: boolean } };

export type DemoSessionStatusQueryVariables = Exact<{
  id: string | number;
}>;


export type DemoSessionStatusQuery = { session: { status: SessionStatus } };

export type DemoSessionSlaQueryVariables = Exact<{
  id: string | number;
}>;


export type DemoSessionSlaQuery = { session: { id: string, sla: { firstResponseDueAt: string | null, nextResponseDueAt: string | null, resolutionDueAt: string | null, policy: { id: string, name: string }, breaches: Array<{ metric: SlaMetric, at: string }> } | null } };

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
export const DemoInboxDocument = new TypedDocumentString(`
    query DemoInbox($filter: InboxFilter, $first: Int!) {
  inboxConnection(filter: $filter, first: $first) {
    tabs {
      mine
      unassigned
      all
    }
    edges {
      node {
        unreadCount
        lastActivityAt
        slaBreached
        lastMessage {
          content
          private
          senderName
          deletedAt
        }
        session {
          ...DemoSessionRow
        }
      }
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
}`) as unknown as TypedDocumentString<DemoInboxQuery, DemoInboxQueryVariables>;
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
export const DemoTransferDocument = new TypedDocumentString(`
    mutation DemoTransfer($sessionId: ID!, $agentId: ID!) {
  transferSession(sessionId: $sessionId, agentId: $agentId) {
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
}`) as unknown as TypedDocumentString<DemoTransferMutation, DemoTransferMutationVariables>;
export const DemoUnassignDocument = new TypedDocumentString(`
    mutation DemoUnassign($sessionId: ID!) {
  unassignSession(sessionId: $sessionId) {
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
}`) as unknown as TypedDocumentString<DemoUnassignMutation, DemoUnassignMutationVariables>;
export const DemoReopenDocument = new TypedDocumentString(`
    mutation DemoReopen($sessionId: ID!) {
  reopenSession(sessionId: $sessionId) {
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
}`) as unknown as TypedDocumentString<DemoReopenMutation, DemoReopenMutationVariables>;
export const DemoAgentsDocument = new TypedDocumentString(`
    query DemoAgents {
  agents {
    id
    displayName
    online
    availability
    activeSessions
    capacity
  }
}
    `) as unknown as TypedDocumentString<DemoAgentsQuery, DemoAgentsQueryVariables>;
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
export const DemoSetAvailabilityDocument = new TypedDocumentString(`
    mutation DemoSetAvailability($availability: Availability!) {
  setAvailability(availability: $availability) {
    id
    availability
    online
  }
}
    `) as unknown as TypedDocumentString<DemoSetAvailabilityMutation, DemoSetAvailabilityMutationVariables>;
export const DemoSessionStatusDocument = new TypedDocumentString(`
    query DemoSessionStatus($id: ID!) {
  session(id: $id) {
    status
  }
}
    `) as unknown as TypedDocumentString<DemoSessionStatusQuery, DemoSessionStatusQueryVariables>;
export const DemoSessionSlaDocument = new TypedDocumentString(`
    query DemoSessionSla($id: ID!) {
  session(id: $id) {
    id
    sla {
      policy {
        id
        name
      }
      firstResponseDueAt
      nextResponseDueAt
      resolutionDueAt
      breaches {
        metric
        at
      }
    }
  }
}
    `) as unknown as TypedDocumentString<DemoSessionSlaQuery, DemoSessionSlaQueryVariables>;