import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSub } from '@graphql-yoga/subscription';
import { Redis } from 'ioredis';
import { setMaxListeners } from 'node:events';
import type { Db } from '../db/orm.js';
import type { ChatSession } from '../sessions/session.entity.js';
import { SessionEvent, type SessionEventType } from './session-event.entity.js';

/** What travels over pub/sub: plain JSON, so it survives Redis serialisation unchanged. */
export interface PublishedEvent {
  /** The outbox row id (SessionEvent.id): clients resume with `since` = the last id they saw. */
  id: string;
  tenantId: string;
  sessionId: string;
  type: SessionEventType;
  payload: Record<string, unknown>;
  createdAt: string;
}

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

/** One message on a topic: a persisted session event or a typing signal. */
export type BusMessage = { kind: 'event'; event: PublishedEvent } | { kind: 'typing'; typing: TypingSignal };

/**
 * Topics are per session (every event of one session) and per tenant (the inbox: session
 * lifecycle events only), so a node only receives what its subscribers asked for; no `filter`.
 */
export const sessionTopic = (tenantId: string, sessionId: string): string => `session:${tenantId}:${sessionId}`;
export const inboxTopic = (tenantId: string): string => `inbox:${tenantId}`;

/** The event types an inbox (staff/admin) stream carries: sessions appearing, changing, closing. */
const INBOX_TYPES: ReadonlySet<SessionEventType> = new Set(['session.created', 'session.updated']);

/** Receives events after their transaction committed; never inside one. */
export interface EventBus {
  publish(events: readonly PublishedEvent[]): void;
  publishTyping(signal: TypingSignal): void;
  /**
   * Listens on a topic. Resolves once the subscription is live on every node (with Redis: once
   * SUBSCRIBE is acknowledged), so anything committed afterwards is guaranteed to arrive; gap-free
   * resume depends on this. Returns the function that stops listening.
   */
  subscribe(topic: string, listener: (message: BusMessage) => void): Promise<() => void>;
  /** Closes the Redis connections (when any). */
  close(): Promise<void>;
}

export interface EventBusOptions {
  /** `REDIS_URL`; null keeps pub/sub in this process. */
  redisUrl: string | null;
  /** `REDIS_PREFIX`: namespace of every channel. */
  prefix: string;
  /** Counts published messages by type (optional; see observability/metrics.ts). */
  onPublish?: (type: string) => void;
  /** A PUBLISH to Redis failed (subscribers elsewhere catch up by resuming from the outbox). */
  onPublishError?: (error: unknown) => void;
}

type Topics = Record<string, [BusMessage]>;

/**
 * `@graphql-yoga/subscription` pub/sub: an in-process EventTarget by default, a Redis event
 * target over ioredis when REDIS_URL is set so every node sees every event.
 */
export class PubSubEventBus implements EventBus {
  private readonly pubSub: PubSub<Topics>;
  private readonly redis: { publisher: Redis; subscriber: Redis } | null;
  private closed = false;

  constructor(private readonly options: EventBusOptions) {
    if (options.redisUrl === null) {
      this.redis = null;
      // One listener per subscription on a popular session is normal, not a leak.
      const eventTarget = new EventTarget();
      setMaxListeners(0, eventTarget);
      this.pubSub = createPubSub<Topics>({ eventTarget });
      return;
    }
    // Two connections: a Redis connection in subscriber mode cannot publish.
    const connect = () => new Redis(options.redisUrl!, { lazyConnect: false, maxRetriesPerRequest: 3 });
    this.redis = { publisher: connect(), subscriber: connect() };
    const { publisher } = this.redis;
    // The event target ignores PUBLISH's promise; a failure (Redis down) must be reported, not
    // crash the process as an unhandled rejection. The change itself is committed and replayable.
    const publishClient = Object.create(publisher) as Redis;
    publishClient.publish = ((channel: string, message: string) =>
      publisher.publish(channel, message).catch((error: unknown) => {
        options.onPublishError?.(error);
        return 0;
      })) as Redis['publish'];
    this.pubSub = createPubSub<Topics>({
      eventTarget: createRedisEventTarget({ publishClient, subscribeClient: this.redis.subscriber }),
    });
  }

  publish(events: readonly PublishedEvent[]): void {
    if (this.closed) return;
    for (const event of events) {
      const message: BusMessage = { kind: 'event', event };
      this.pubSub.publish(this.channel(sessionTopic(event.tenantId, event.sessionId)), message);
      if (INBOX_TYPES.has(event.type)) this.pubSub.publish(this.channel(inboxTopic(event.tenantId)), message);
      this.options.onPublish?.(event.type);
    }
  }

  publishTyping(typing: TypingSignal): void {
    if (this.closed) return;
    this.pubSub.publish(this.channel(sessionTopic(typing.tenantId, typing.sessionId)), { kind: 'typing', typing });
    this.options.onPublish?.('typing');
  }

  async subscribe(topic: string, listener: (message: BusMessage) => void): Promise<() => void> {
    const channel = this.channel(topic);
    const repeater = this.pubSub.subscribe(channel);
    // The repeater attaches its listener on the first next(); start pumping right away.
    const pump = (async () => {
      for await (const message of repeater) if (message) listener(message);
    })();
    if (this.redis) {
      // The event target issued SUBSCRIBE without waiting; Redis answers commands on one
      // connection in order, so once our own (idempotent) SUBSCRIBE is acknowledged, so is that one.
      await this.redis.subscriber.subscribe(channel);
    }
    return () => {
      void repeater.return(undefined);
      void pump;
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (!this.redis) return;
    await Promise.allSettled([this.redis.publisher.quit(), this.redis.subscriber.quit()]);
  }

  private channel(topic: string): string {
    return `${this.options.prefix}${topic}`;
  }
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
