import type { Db } from '../db/orm.js';
import type { ChatSession } from '../sessions/session.entity.js';
import { SessionEvent, type SessionEventType } from './session-event.entity.js';

/** What travels over pub/sub: plain JSON, so it survives Redis serialisation unchanged. */
export interface PublishedEvent {
  id: string;
  tenantId: string;
  sessionId: string;
  type: SessionEventType;
  payload: Record<string, unknown>;
  createdAt: string;
}

/** Receives events after their transaction committed; never inside one. */
export interface EventBus {
  publish(events: readonly PublishedEvent[]): void;
}

/**
 * Stages an outbox row in the caller's unit of work; it is written by the same flush,
 * and so committed or rolled back together with the change it describes.
 */
export function recordEvent(em: Db, session: ChatSession, type: SessionEventType, payload: Record<string, unknown>): SessionEvent {
  return em.create(SessionEvent, { tenant: session.tenant, session, type, payload });
}

export function toPublished(event: SessionEvent): PublishedEvent {
  return {
    id: event.id,
    tenantId: String(event.tenant.id),
    sessionId: String(event.session.id),
    type: event.type,
    payload: event.payload,
    createdAt: event.createdAt.toISOString(),
  };
}

/** Until real-time delivery subscribes, events are still written to the outbox; this keeps them in-process. */
export class LocalEventBus implements EventBus {
  private readonly listeners = new Set<(event: PublishedEvent) => void>();

  publish(events: readonly PublishedEvent[]): void {
    for (const event of events) for (const listener of this.listeners) listener(event);
  }

  subscribe(listener: (event: PublishedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
