/**
 * The event contract: every event type a session's outbox records, with its payload, declared
 * once. Producers (the services, through `appendEvent`) can only write these shapes; consumers
 * (GraphQL event types, legacy frames, chat API shapes, streams) narrow on `type` instead of
 * casting. Payloads are plain JSON: they are stored in jsonb and travel over Redis unchanged;
 * where they come back untyped (a stored row, a Redis message, a delivery's copy),
 * event-validation.ts checks them back into these types.
 */
import type { Priority, SenderType, SessionAction, SessionKind, SessionStatus } from '../shared/enums.js';

/** An attachment as GraphQL returns it and message payloads carry it. */
export interface AttachmentDto {
  id: string;
  url: string;
  type: string;
  name: string;
  size: number;
  metadata: { width: number | null; height: number | null; duration: number | null };
}

/** A message as it travels in event payloads (messages/message.dto.ts builds it). */
export interface MessageDto {
  id: string;
  uuid: string;
  sessionId: string;
  senderType: SenderType;
  /** The sender's participant id (null for system messages). */
  senderId: string | null;
  senderUserId: string | null;
  senderName: string;
  senderUsername: string | null;
  /** '' once deleted: a deleted message keeps its place, never its text. */
  content: string;
  metadata: Record<string, unknown>;
  clientMessageId: string | null;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
  /** The message's version (see ChatMessage.version); absent in events recorded before versions existed, which are version 1. */
  version?: number;
  /** A private note (staff, admins and bots only); absent in events recorded before notes existed. */
  private?: boolean;
  /** Sent by the desk itself (an auto-reply); absent in events recorded before automatic messages existed. */
  automatic?: boolean;
  /** Present when the attachments were loaded; [] once deleted. */
  attachments?: AttachmentDto[];
}

/** A session as it travels in event payloads (sessions/session.dto.ts builds it; no PII beyond the guest's display name). */
export interface SessionDto {
  id: string;
  uuid: string;
  kind: SessionKind;
  status: SessionStatus;
  priority: Priority;
  subject: string | null;
  tags: string[];
  customerId: string | null;
  agentId: string | null;
  guestName: string | null;
  startedAt: string;
  endedAt: string | null;
  /** While SNOOZED: when it wakes by itself; absent in events recorded before snooze existed. */
  snoozedUntil?: string | null;
}

/** A session's CSAT rating as `session.updated` (changes: ['rating']) carries it (stats/rating.service.ts builds it). */
export interface RatingDto {
  id: string;
  sessionId: string;
  score: number;
  comment: string | null;
  /** The agent the session was assigned to when it was rated. */
  agentId: string | null;
  createdAt: string;
}

/** What an SLA clock measures (sla/sla-clock.ts). */
export const SLA_METRICS = ['FIRST_RESPONSE', 'NEXT_RESPONSE', 'RESOLUTION'] as const;
export type SlaMetric = (typeof SLA_METRICS)[number];

/**
 * An SLA clock reached 80% of its target (`sla.warning`) or the target itself (`sla.breached`).
 * Staff-only: viewers who do not see private notes never see these (event-visibility.ts).
 */
export interface SlaAlertPayload {
  /** The session as it was when the alert was recorded. */
  session: SessionDto;
  metric: SlaMetric;
  /** The clock's due time (the breach's instant; for a warning, the breach still to come). */
  dueAt: string;
  /** The instant the threshold was reached (the due time for a breach, 80% of the way for a warning). */
  at: string;
  policyId: string;
  /** The clock's cycle: '0' for first response and resolution, the wait's start for next response. */
  cycle: string;
}

/** What ends a snooze (session_snoozes.woken_by). */
export const WAKE_CAUSES = ['TIMER', 'CUSTOMER', 'STAFF'] as const;
export type WakeCause = (typeof WAKE_CAUSES)[number];

/** What a `session.updated` can change. */
export const SESSION_CHANGES = ['status', 'agent', 'members', 'rating', 'priority', 'tags', 'subject', 'snoozedUntil'] as const;
export type SessionChange = (typeof SESSION_CHANGES)[number];

/** A participant's watermark moved forward (markRead, or a delivery). */
interface WatermarkPayload {
  participantId: string;
  /** The participant's user id; null for a guest. */
  userId: string | null;
  /**
   * Present only when the watermark is on a private note: where it stands for viewers who do not
   * see notes (the last message at or below it they can see), or null when, for them, it did not
   * move (it passed notes only). See model/event-visibility.ts.
   */
  visibleMessageId?: string | null;
}

export interface EventPayloads {
  'session.created': { session: SessionDto; memberIds?: string[] };
  'session.updated': {
    session: SessionDto;
    changes: SessionChange[];
    change?: 'member.added' | 'member.removed';
    userId?: string;
    /** The workflow step (assign, transfer, unassign, close, reopen, snooze, wake); absent for membership changes and older events. */
    action?: SessionAction;
    /** With `action`: the agent before the step (null: none). The new one is `session.agentId`. */
    previousAgentId?: string | null;
    /** With `action`: who took the step (null: the system, e.g. auto-assignment). */
    actorId?: string | null;
    /** With action WOKE: what woke the session (its time came, the customer wrote, or staff woke it). */
    wokenBy?: WakeCause;
    /** With the `rating` change: the CSAT rating just given. */
    rating?: RatingDto;
  };
  'message.created': { message: MessageDto };
  'message.updated': { message: MessageDto };
  'message.deleted': { message: MessageDto };
  'read.updated': WatermarkPayload & { lastReadMessageId: string };
  'delivery.updated': WatermarkPayload & { lastDeliveredMessageId: string };
  'sla.warning': SlaAlertPayload;
  'sla.breached': SlaAlertPayload;
}

export type SessionEventType = keyof EventPayloads;

export const SESSION_EVENT_TYPES = [
  'session.created',
  'session.updated',
  'message.created',
  'message.updated',
  'message.deleted',
  'read.updated',
  'delivery.updated',
  'sla.warning',
  'sla.breached',
] as const satisfies readonly SessionEventType[];

/** Fails to compile when a type is added to EventPayloads and not to SESSION_EVENT_TYPES. */
export const EVERY_EVENT_TYPE_LISTED: [Exclude<SessionEventType, (typeof SESSION_EVENT_TYPES)[number]>] extends [never] ? true : never = true;

/** One event type with its payload: a discriminated union on `type`. */
export type EventBody = { [K in SessionEventType]: { type: K; payload: EventPayloads[K] } }[SessionEventType];

/** A committed event as streams, pub/sub and webhooks see it. */
export type PublishedEvent = EventBody & {
  /** The outbox row id (SessionEvent.id): clients resume with `since` = the last id they saw. */
  id: string;
  /** Place in the session's sequence (1, 2, 3, … without gaps, in commit order): streams order and detect gaps by it. */
  seq: string;
  /** Place in the tenant's inbox sequence for lifecycle events (`session.*`); null for the others. */
  inboxSeq: string | null;
  tenantId: string;
  sessionId: string;
  createdAt: string;
};

export type MessageEvent = Extract<PublishedEvent, { type: 'message.created' | 'message.updated' | 'message.deleted' }>;
export type SessionLifecycleEvent = Extract<PublishedEvent, { type: 'session.created' | 'session.updated' | SlaEventType }>;
export type SlaEventType = 'sla.warning' | 'sla.breached';
export type SlaEvent = Extract<PublishedEvent, { type: SlaEventType }>;
export type WatermarkEvent = Extract<PublishedEvent, { type: 'read.updated' | 'delivery.updated' }>;

export const isMessageEvent = (event: PublishedEvent): event is MessageEvent => event.type.startsWith('message.');
/** The event types an inbox (staff/admin) stream carries: sessions appearing, changing, closing, and their SLA alerts (numbered in the inbox sequence too). */
export const isLifecycleEvent = (event: PublishedEvent): event is SessionLifecycleEvent => event.type.startsWith('session.') || isSlaEvent(event);
export const isSlaEvent = (event: { type: string }): event is SlaEvent => event.type === 'sla.warning' || event.type === 'sla.breached';
export const isWatermarkEvent = (event: PublishedEvent): event is WatermarkEvent => event.type === 'read.updated' || event.type === 'delivery.updated';

/** The watermark a read/delivery event moved to. */
export const watermarkOf = (event: WatermarkEvent): string => (event.type === 'read.updated' ? event.payload.lastReadMessageId : event.payload.lastDeliveredMessageId);

/** Ephemeral "is typing" state: published, never stored, so it has no outbox id. */
export interface TypingSignal {
  tenantId: string;
  sessionId: string;
  /** Who is typing: `user:<id>` or `guest:<participantId>`; one typist's signals replace each other. */
  typistKey: string;
  /** The typist's user id (seed 001 `userId`); `guest:<participantId>` for a guest. */
  userId: string;
  name: string;
  isTyping: boolean;
  timestamp: string;
}
