/**
 * The contract's event bodies checked at the edges where they arrive untyped: an outbox row read
 * back from the database, a message off Redis, a webhook delivery's stored copy. What passes is
 * an `EventBody` by proof, not by cast; what does not is refused (a corrupt row, a message from a
 * node running another version), never handed on half-typed.
 */
import {
  type EventBody,
  type MessageDto,
  type PublishedEvent,
  SESSION_CHANGES,
  SESSION_EVENT_TYPES,
  type SessionChange,
  type SessionDto,
  type SessionEventType,
  SLA_METRICS,
  type SlaMetric,
  type TypingSignal,
  WAKE_CAUSES,
  type WakeCause,
} from './event-contract.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isStringOrNull = (value: unknown): value is string | null => value === null || typeof value === 'string';
const isOptional = <T>(value: unknown, check: (value: unknown) => value is T): boolean => value === undefined || check(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

export const isSessionEventType = (value: unknown): value is SessionEventType => isString(value) && (SESSION_EVENT_TYPES as readonly string[]).includes(value);

function isMessageDto(value: unknown): value is MessageDto {
  return (
    isObject(value) &&
    isString(value.id) &&
    isString(value.uuid) &&
    isString(value.sessionId) &&
    isString(value.senderType) &&
    isStringOrNull(value.senderId) &&
    isString(value.senderName) &&
    isString(value.content) &&
    isObject(value.metadata) &&
    isString(value.createdAt) &&
    isStringOrNull(value.editedAt) &&
    isStringOrNull(value.deletedAt) &&
    isOptional(value.private, (flag): flag is boolean => typeof flag === 'boolean') &&
    isOptional(value.automatic, (flag): flag is boolean => typeof flag === 'boolean') &&
    isOptional(value.attachments, Array.isArray)
  );
}

function isSessionDto(value: unknown): value is SessionDto {
  return (
    isObject(value) &&
    isString(value.id) &&
    isString(value.uuid) &&
    isString(value.kind) &&
    isString(value.status) &&
    isString(value.priority) &&
    isStringArray(value.tags) &&
    isStringOrNull(value.customerId) &&
    isStringOrNull(value.agentId) &&
    isString(value.startedAt) &&
    isOptional(value.snoozedUntil, isStringOrNull)
  );
}

const isWatermark = (payload: Json, mark: 'lastReadMessageId' | 'lastDeliveredMessageId'): boolean =>
  isString(payload.participantId) && isStringOrNull(payload.userId) && isString(payload[mark]) && isOptional(payload.visibleMessageId, isStringOrNull);

/** `type` and `payload` as the contract's event body, or null when they are not one. */
export function eventBodyOf(type: unknown, payload: unknown): EventBody | null {
  if (!isObject(payload)) return null;
  switch (type) {
    case 'session.created':
      return isSessionDto(payload.session) && isOptional(payload.memberIds, isStringArray) ? { type, payload: { ...payload, session: payload.session } } : null;
    case 'session.updated':
      return isSessionDto(payload.session) &&
        isStringArray(payload.changes) &&
        isOptional(payload.change, isString) &&
        isOptional(payload.userId, isString) &&
        isOptional(payload.action, isString) &&
        isOptional(payload.previousAgentId, isStringOrNull) &&
        isOptional(payload.actorId, isStringOrNull) &&
        isOptional(payload.wokenBy, isWakeCause) &&
        isOptional(payload.rating, isObject)
        ? { type, payload: { ...payload, session: payload.session, changes: payload.changes.filter(isSessionChange) } }
        : null;
    case 'message.created':
    case 'message.updated':
    case 'message.deleted':
      return isMessageDto(payload.message) ? { type, payload: { message: payload.message } } : null;
    case 'read.updated':
      return isWatermark(payload, 'lastReadMessageId') ? { type, payload: watermark(payload, { lastReadMessageId: String(payload.lastReadMessageId) }) } : null;
    case 'delivery.updated':
      return isWatermark(payload, 'lastDeliveredMessageId') ? { type, payload: watermark(payload, { lastDeliveredMessageId: String(payload.lastDeliveredMessageId) }) } : null;
    case 'sla.warning':
    case 'sla.breached':
      return isSessionDto(payload.session) && isSlaMetric(payload.metric) && isString(payload.dueAt) && isString(payload.at) && isString(payload.policyId) && isString(payload.cycle)
        ? { type, payload: { session: payload.session, metric: payload.metric, dueAt: payload.dueAt, at: payload.at, policyId: payload.policyId, cycle: payload.cycle } }
        : null;
    default:
      return null;
  }
}

const isSlaMetric = (value: unknown): value is SlaMetric => isString(value) && (SLA_METRICS as readonly string[]).includes(value);

const isWakeCause = (value: unknown): value is WakeCause => isString(value) && (WAKE_CAUSES as readonly string[]).includes(value);

const isSessionChange = (value: string): value is SessionChange => (SESSION_CHANGES as readonly string[]).includes(value);

function watermark<M extends object>(payload: Json, mark: M): M & { participantId: string; userId: string | null; visibleMessageId?: string | null } {
  const base = { participantId: String(payload.participantId), userId: isString(payload.userId) ? payload.userId : null, ...mark };
  return payload.visibleMessageId === undefined ? base : { ...base, visibleMessageId: isString(payload.visibleMessageId) ? payload.visibleMessageId : null };
}

/** A published event (off Redis, or any untyped source), or null when it is not one. */
export function publishedEventOf(value: unknown): PublishedEvent | null {
  if (!isObject(value)) return null;
  const { id, seq, inboxSeq, tenantId, sessionId, createdAt } = value;
  if (!isString(id) || !isString(seq) || !isStringOrNull(inboxSeq) || !isString(tenantId) || !isString(sessionId) || !isString(createdAt)) return null;
  const body = eventBodyOf(value.type, value.payload);
  return body === null ? null : { ...body, id, seq, inboxSeq, tenantId, sessionId, createdAt };
}

/** A typing signal off Redis, or null when it is not one. */
export function typingSignalOf(value: unknown): TypingSignal | null {
  if (!isObject(value)) return null;
  const { tenantId, sessionId, typistKey, userId, name, isTyping, timestamp } = value;
  if (!isString(tenantId) || !isString(sessionId) || !isString(typistKey) || !isString(userId) || !isString(name) || typeof isTyping !== 'boolean' || !isString(timestamp)) return null;
  return { tenantId, sessionId, typistKey, userId, name, isTyping, timestamp };
}
