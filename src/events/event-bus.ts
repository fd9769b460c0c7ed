import { Redis } from 'ioredis';
import type { Db } from '../db/orm.js';
import { type EventBody, isLifecycleEvent, isMessageEvent, type PublishedEvent, type TypingSignal } from '../model/event-contract.js';
import { eventBodyOf, publishedEventOf, typingSignalOf } from '../model/event-validation.js';
import type { SessionEvent } from '../model/session-event.entity.js';
import { deskDate } from '../shared/desk-clock.js';

export type { PublishedEvent, TypingSignal } from '../model/event-contract.js';

/**
 * One message on a topic: a persisted session event, a typing signal, or `resync`: pub/sub was
 * interrupted and is back, so anything published meanwhile may be missing (read the outbox).
 */
export type BusMessage = { kind: 'event'; event: PublishedEvent } | { kind: 'typing'; typing: TypingSignal } | { kind: 'stats' } | { kind: 'revoked'; revocation: Revocation } | { kind: 'resync' };

/**
 * What a revocation ends: every token of a user (logout, password change), one sign-in (a
 * refresh-token family whose spent token was used again), or one API key. Committed to the
 * database before it is published.
 */
export type Revocation = { tenantId: string } & ({ userId: string } | { family: string } | { apiKeyId: string });

/**
 * Topics are per session (every event of one session) and per tenant (the inbox: session
 * lifecycle events, plus message and read activity for live inbox counters), so a node only receives what its subscribers asked for.
 */
export const sessionTopic = (tenantId: string, sessionId: string): string => `session:${tenantId}:${sessionId}`;
export const inboxTopic = (tenantId: string): string => `inbox:${tenantId}`;
/** A tenant's stats changed (a message, a session created, closed, assigned or rated): a bare signal, no payload. */
export const statsTopic = (tenantId: string): string => `stats:${tenantId}`;
/** Credentials were revoked (a `Revocation`): every node forgets what it cached of them and ends their streams (auth/viewer-cache.ts). */
export const REVOCATIONS_TOPIC = 'revocations';

/** Whether an event changes the numbers `stats` reports: anything but private notes, edits, deletes and watermarks. */
const changesStats = (event: PublishedEvent): boolean => isLifecycleEvent(event) || (event.type === 'message.created' && event.payload.message.private !== true);

/** `local`: no Redis (single process); `up` / `down`: the Redis connections. */
export type BusStatus = 'local' | 'up' | 'down';

/**
 * Receives events after their transaction committed; never inside one. An accelerator, not the
 * source of truth: a message it loses is still in the outbox, and streams read it from there
 * (gaps in `seq`, `resync`, periodic head checks).
 */
export interface EventBus {
  publish(events: readonly PublishedEvent[]): void;
  publishTyping(signal: TypingSignal): void;
  /**
   * Tells every node (this one included) that credentials were revoked; call after the commit.
   * Resolves once the notice is on its way to every node: delivered in this process, or PUBLISH
   * acknowledged by Redis (so any message published after it reaches every node after it).
   * Never rejects: a failed PUBLISH is reported, and other nodes fall back on their checks.
   */
  publishRevocation(revocation: Revocation): Promise<void>;
  /**
   * Listens on a topic; resolves once the subscription is live (with Redis: SUBSCRIBE
   * acknowledged) or, while Redis is down, at once: the listener then gets `resync` when pub/sub
   * is back. Returns the function that stops listening.
   */
  subscribe(topic: string, listener: (message: BusMessage) => void): Promise<() => void>;
  status(): BusStatus;
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
  /** A PUBLISH to Redis failed (subscribers catch up from the outbox). */
  onPublishError?: (error: unknown) => void;
  /** The subscriber connection was lost (`down`) or is back and resubscribed (`up`). */
  onStatusChange?: (status: 'up' | 'down') => void;
}

type Listener = (message: BusMessage) => void;

/** How long a subscribe waits for Redis to acknowledge before relying on `resync` instead. */
const SUBSCRIBE_ACK_TIMEOUT_MS = 2_000;

/** Listeners per channel, delivered to synchronously (they only queue). */
class Listeners {
  private readonly byChannel = new Map<string, Set<Listener>>();

  add(channel: string, listener: Listener): boolean {
    const existing = this.byChannel.get(channel);
    const set = existing ?? new Set<Listener>();
    if (!existing) this.byChannel.set(channel, set);
    set.add(listener);
    return existing === undefined;
  }

  /** Returns true when the channel has no listener left. */
  remove(channel: string, listener: Listener): boolean {
    const set = this.byChannel.get(channel);
    if (!set) return false;
    set.delete(listener);
    if (set.size > 0) return false;
    this.byChannel.delete(channel);
    return true;
  }

  deliver(channel: string, message: BusMessage): void {
    const set = this.byChannel.get(channel);
    if (set) for (const listener of set) Listeners.call(listener, message);
  }

  /** A listener's failure stays its own: it must never fail the publisher (a committed mutation) or the others. */
  private static call(listener: Listener, message: BusMessage): void {
    try {
      listener(message);
    } catch {
      // Listeners only queue; a throw here is a bug in one stream, not in the event.
    }
  }

  channels(): string[] {
    return [...this.byChannel.keys()];
  }

  broadcast(message: BusMessage): void {
    for (const set of this.byChannel.values()) for (const listener of set) Listeners.call(listener, message);
  }
}

/**
 * Pub/sub in this process by default; with REDIS_URL every node publishes to and listens on
 * Redis channels. Our own small hub rather than a generic event target: it must never leave a
 * Redis promise unhandled, must not queue commands while Redis is away (the outbox has the
 * events), and must tell listeners when they may have missed something (`resync`).
 */
export class PubSubEventBus implements EventBus {
  private readonly listeners = new Listeners();
  /** The pending or settled SUBSCRIBE of each channel, so every listener waits for the same acknowledgement. */
  private readonly acks = new Map<string, Promise<void>>();
  private readonly redis: { publisher: Redis; subscriber: Redis } | null;
  private subscriberUp = false;
  private closed = false;

  constructor(private readonly options: EventBusOptions) {
    if (options.redisUrl === null) {
      this.redis = null;
      return;
    }
    // Two connections: a Redis connection in subscriber mode cannot publish. Neither queues
    // commands while disconnected: a PUBLISH fails at once (the event is in the outbox), and
    // channels are subscribed again, all together, when the connection is back.
    const connect = () =>
      new Redis(options.redisUrl!, {
        lazyConnect: false,
        enableOfflineQueue: false,
        autoResubscribe: false,
        maxRetriesPerRequest: 1,
        retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
      });
    this.redis = { publisher: connect(), subscriber: connect() };
    const { publisher, subscriber } = this.redis;
    // Errors also arrive as 'close'/'ready' transitions; without a listener ioredis would log them.
    publisher.on('error', () => undefined);
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, raw: string) => this.receive(channel, raw));
    subscriber.on('close', () => {
      if (!this.subscriberUp) return;
      this.subscriberUp = false;
      if (!this.closed) options.onStatusChange?.('down');
    });
    // resubscribe() handles its own failures (the next 'ready' tries again); this catch is for bugs.
    subscriber.on('ready', () => {
      this.resubscribe().catch((error: unknown) => options.onPublishError?.(error));
    });
  }

  status(): BusStatus {
    if (!this.redis) return 'local';
    return this.subscriberUp && this.redis.publisher.status === 'ready' ? 'up' : 'down';
  }

  /** Resolves when both Redis connections are ready (or at once without Redis); false after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.status() === 'down') {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return true;
  }

  publish(events: readonly PublishedEvent[]): void {
    if (this.closed) return;
    for (const event of events) {
      const message: BusMessage = { kind: 'event', event };
      this.send(sessionTopic(event.tenantId, event.sessionId), message);
      // The inbox carries lifecycle events in its own order, and message and read activity for live counters (openInboxStream).
      if (isLifecycleEvent(event) || isMessageEvent(event) || event.type === 'read.updated') this.send(inboxTopic(event.tenantId), message);
      if (changesStats(event)) this.send(statsTopic(event.tenantId), { kind: 'stats' });
      this.options.onPublish?.(event.type);
    }
  }

  publishTyping(typing: TypingSignal): void {
    if (this.closed) return;
    this.send(sessionTopic(typing.tenantId, typing.sessionId), { kind: 'typing', typing });
    this.options.onPublish?.('typing');
  }

  async publishRevocation(revocation: Revocation): Promise<void> {
    if (this.closed) return;
    const channel = this.channel(REVOCATIONS_TOPIC);
    const message: BusMessage = { kind: 'revoked', revocation };
    if (!this.redis) {
      this.listeners.deliver(channel, message);
      return;
    }
    try {
      await this.redis.publisher.publish(channel, JSON.stringify(message));
    } catch (error) {
      this.options.onPublishError?.(error);
    }
  }

  async subscribe(topic: string, listener: Listener): Promise<() => void> {
    const channel = this.channel(topic);
    const first = this.listeners.add(channel, listener);
    const stop = () => {
      if (!this.listeners.remove(channel, listener)) return;
      this.acks.delete(channel);
      if (this.redis?.subscriber.status === 'ready') this.redis.subscriber.unsubscribe(channel).catch(() => undefined);
    };
    if (this.redis && this.subscriberUp) {
      // Redis answers one connection's commands in order: once the channel's SUBSCRIBE is
      // acknowledged, it is live. Not acknowledged in time: the connection is going down, and
      // `resubscribe` plus `resync` follow when it is back (as they do for a subscribe while down).
      let ack = this.acks.get(channel);
      if (first || !ack) {
        ack = this.redis.subscriber.subscribe(channel).then(
          () => undefined,
          () => undefined,
        );
        this.acks.set(channel, ack);
      }
      await Promise.race([ack, new Promise((resolve) => setTimeout(resolve, SUBSCRIBE_ACK_TIMEOUT_MS).unref())]);
    }
    return stop;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (!this.redis) return;
    await Promise.allSettled([this.redis.publisher.quit(), this.redis.subscriber.quit()]);
  }

  private send(topic: string, message: BusMessage): void {
    const channel = this.channel(topic);
    if (!this.redis) {
      this.listeners.deliver(channel, message);
      return;
    }
    this.redis.publisher.publish(channel, JSON.stringify(message)).catch((error: unknown) => this.options.onPublishError?.(error));
  }

  private channel(topic: string): string {
    return `${this.options.prefix}${topic}`;
  }

  private receive(channel: string, raw: string): void {
    // `resync` is this node's own word for a reconnect: it never comes off the wire.
    const message = busMessageOf(raw);
    if (message && message.kind !== 'resync') this.listeners.deliver(channel, message);
  }

  /** (Re)connected: subscribe every channel listened to, then tell every listener to catch up. */
  private async resubscribe(): Promise<void> {
    const subscriber = this.redis!.subscriber;
    // Channels first listened to while this runs are subscribed too, before the bus counts as up.
    const done = new Set<string>();
    for (;;) {
      const pending = this.listeners.channels().filter((channel) => !done.has(channel));
      if (pending.length === 0) break;
      try {
        await subscriber.subscribe(...pending);
      } catch {
        return; // lost again before it was done; the next 'ready' tries again
      }
      for (const channel of pending) done.add(channel);
    }
    const wasDown = !this.subscriberUp;
    this.subscriberUp = true;
    if (this.closed) return;
    if (wasDown) this.options.onStatusChange?.('up');
    this.listeners.broadcast({ kind: 'resync' });
  }
}

/** Where an event happened: its tenant and session. */
export interface EventPlace {
  tenantId: string;
  sessionId: string;
}

/** Where a session's events happen. */
export const placeOf = (session: { id: string; tenant: { id: string } }): EventPlace => ({ tenantId: String(session.tenant.id), sessionId: String(session.id) });

/**
 * The one way an event enters the outbox, from ORM and plain-SQL paths alike: written in the
 * caller's transaction (so committed or rolled back with the change it describes) after the unit
 * of work is flushed (the rows it describes exist first). The database numbers it (`seq`,
 * `inboxSeq`, `id`, and the transaction id reactions read by) as it is inserted. Publish what it
 * returns after the commit.
 */
export async function appendEvent(tx: Db, place: EventPlace, body: EventBody): Promise<PublishedEvent> {
  await tx.flush();
  const createdAt = deskDate();
  const [row] = await tx.execute<{ id: string; seq: string; inbox_seq: string | null }[]>(
    `insert into session_events (tenant_id, session_id, type, payload, created_at) values (?, ?, ?, ?::jsonb, ?::timestamptz)
     returning id::text as id, seq::text as seq, inbox_seq::text as inbox_seq`,
    [place.tenantId, place.sessionId, body.type, JSON.stringify(body.payload), createdAt.toISOString()],
  );
  if (!row) throw new Error('the outbox insert returned no row');
  return { ...body, id: row.id, seq: row.seq, inboxSeq: row.inbox_seq, tenantId: place.tenantId, sessionId: place.sessionId, createdAt: createdAt.toISOString() };
}

/** A stored outbox row as the contract's event (checked, not cast: a row that is not one is a corrupt outbox). */
export function toPublished(event: SessionEvent): PublishedEvent {
  const body = eventBodyOf(event.type, event.payload);
  if (body === null) throw new Error(`outbox event ${event.id} (${event.type}) does not match the event contract`);
  return {
    ...body,
    id: event.id,
    seq: event.seq,
    inboxSeq: event.inboxSeq ?? null,
    tenantId: String(event.tenant.id),
    sessionId: String(event.session.id),
    createdAt: event.createdAt.toISOString(),
  };
}

/** A bus message off Redis, checked: anything else (another version's, a stranger's) is dropped. */
export function busMessageOf(raw: string): BusMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const message: { kind?: unknown; event?: unknown; typing?: unknown; revocation?: unknown } = value;
  switch (message.kind) {
    case 'event': {
      const event = publishedEventOf(message.event);
      return event && { kind: 'event', event };
    }
    case 'typing': {
      const typing = typingSignalOf(message.typing);
      return typing && { kind: 'typing', typing };
    }
    case 'stats':
      return { kind: 'stats' };
    case 'revoked': {
      const revocation = revocationOf(message.revocation);
      return revocation && { kind: 'revoked', revocation };
    }
    default:
      return null;
  }
}

function revocationOf(value: unknown): Revocation | null {
  if (typeof value !== 'object' || value === null) return null;
  const { tenantId, userId, family, apiKeyId }: { tenantId?: unknown; userId?: unknown; family?: unknown; apiKeyId?: unknown } = value;
  if (typeof tenantId !== 'string') return null;
  if (typeof userId === 'string') return { tenantId, userId };
  if (typeof family === 'string') return { tenantId, family };
  if (typeof apiKeyId === 'string') return { tenantId, apiKeyId };
  return null;
}
