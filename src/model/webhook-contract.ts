/**
 * What a webhook receiver gets: the typed outbox events (event-contract.ts) plus the tenant-level
 * events webhooks add, one discriminated union on `type`. The body is built from a delivery's copy
 * of its event by `webhookBody` and nowhere else.
 */
import { type EventBody, type EventPayloads, SESSION_EVENT_TYPES, type SessionEventType } from './event-contract.js';
import { eventBodyOf } from './event-validation.js';
import { withoutNotes } from './event-visibility.js';

/** Events about the webhooks themselves; they belong to a tenant, not to a session. */
export interface TenantEventPayloads {
  /** An endpoint failed for WEBHOOK_DISABLE_AFTER_SECONDS and was disabled; sent to the tenant's other endpoints. */
  'webhook.disabled': { webhookId: string; url: string; failingSince: string; reason: 'FAILING' };
}

export type TenantEventType = keyof TenantEventPayloads;
export type WebhookEventType = SessionEventType | TenantEventType;

export const WEBHOOK_EVENT_TYPES = [...SESSION_EVENT_TYPES, 'webhook.disabled'] as const satisfies readonly WebhookEventType[];

export const isWebhookEventType = (value: unknown): value is WebhookEventType => typeof value === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);

/** A session event as delivered: its outbox id and place in the session. */
type SessionEventBody = {
  [K in SessionEventType]: { type: K; timestamp: string; tenantId: string; sessionId: string; eventId: string; seq: string; data: EventPayloads[K] };
}[SessionEventType];

type TenantEventBody = {
  [K in TenantEventType]: { type: K; timestamp: string; tenantId: string; sessionId: null; eventId: null; seq: null; data: TenantEventPayloads[K] };
}[TenantEventType];

/** The JSON body of every webhook request (Standard Webhooks' `type`, `timestamp`, `data`, plus where it happened). */
export type WebhookBody = SessionEventBody | TenantEventBody;

/** The stored copy of an event a delivery carries (a webhook_deliveries row). */
export interface StoredWebhookEvent {
  type: WebhookEventType;
  tenantId: string;
  sessionId: string | null;
  eventId: string | null;
  seq: string | null;
  payload: Record<string, unknown>;
  eventCreatedAt: Date;
}

/**
 * The body of a delivery, or null when its endpoint does not take it. Its copy was written from a
 * contract-typed event (the outbox, or `webhook.disabled`) and is checked back into that type here.
 * An endpoint without `includePrivate` gets session events as a viewer who does not see private
 * notes sees them (event-visibility.ts): no notes, and no SLA alerts.
 */
export function webhookBody(event: StoredWebhookEvent, includePrivate: boolean): WebhookBody | null {
  const common = { timestamp: event.eventCreatedAt.toISOString(), tenantId: event.tenantId };
  if (event.type === 'webhook.disabled') {
    const data = disabledPayloadOf(event.payload);
    if (data === null) throw new Error('a webhook.disabled delivery does not match the webhook contract');
    return { ...common, type: event.type, sessionId: null, eventId: null, seq: null, data };
  }
  const stored = eventBodyOf(event.type, event.payload);
  if (stored === null) throw new Error(`the delivery of event ${event.eventId ?? '?'} (${event.type}) does not match the event contract`);
  const seen = includePrivate ? stored : withoutNotes(stored);
  if (seen === null) return null;
  return { ...common, sessionId: event.sessionId ?? '', eventId: event.eventId ?? '', seq: event.seq ?? '', ...asData(seen) };
}

type SessionEventData = { [K in SessionEventType]: { type: K; data: EventPayloads[K] } }[SessionEventType];

/** An event body with its payload under `data`, as Standard Webhooks name it (one case per shape keeps type and data paired). */
function asData(body: EventBody): SessionEventData {
  switch (body.type) {
    case 'session.created':
      return { type: body.type, data: body.payload };
    case 'session.updated':
      return { type: body.type, data: body.payload };
    case 'message.created':
    case 'message.updated':
    case 'message.deleted':
      return { type: body.type, data: body.payload };
    case 'read.updated':
      return { type: body.type, data: body.payload };
    case 'delivery.updated':
      return { type: body.type, data: body.payload };
    case 'sla.warning':
    case 'sla.breached':
      return { type: body.type, data: body.payload };
  }
}

function disabledPayloadOf(payload: Record<string, unknown>): TenantEventPayloads['webhook.disabled'] | null {
  const { webhookId, url, failingSince, reason } = payload;
  if (typeof webhookId !== 'string' || typeof url !== 'string' || typeof failingSince !== 'string' || reason !== 'FAILING') return null;
  return { webhookId, url, failingSince, reason };
}
