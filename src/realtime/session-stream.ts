import { inboxTopic, sessionTopic, type BusMessage, type EventBus, type PublishedEvent, type TypingSignal } from '../events/event-bus.js';
import type { ChatSession } from '../sessions/session.entity.js';
import { DomainError, forbidden } from '../shared/errors.js';
import { Mailbox } from './mailbox.js';
import { REPLAY_BATCH, type RealtimeService } from './realtime.service.js';

/** A typing state with no refresh for this long ends on its own (subscribers receive isTyping: false). */
export const TYPING_TTL_MS = 6_000;
/** Access (and the token behind it) is re-checked this often, so a subscriber who lost it stops within 5 s. */
export const ACCESS_RECHECK_MS = 4_000;

/**
 * Periodic access checks (one per stream every ACCESS_RECHECK_MS) run at most this many at a
 * time per process. With thousands of idle subscriptions they would otherwise take every
 * database connection and starve requests; capped, they queue and stretch out instead.
 */
export const MAX_CONCURRENT_RECHECKS = 4;

class Semaphore {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.running += 1;
    try {
      return await task();
    } finally {
      this.running -= 1;
      this.queue.shift()?.();
    }
  }
}

/** Process-wide: a process is one node, and the cap protects its one connection pool. */
const periodicRechecks = new Semaphore(MAX_CONCURRENT_RECHECKS);

/** An async iterator whose `return()` ends it promptly (graphql-ws calls it on `complete` and on close). */
export interface Stream<T> extends AsyncIterableIterator<T> {
  return(value?: unknown): Promise<IteratorResult<T>>;
  throw(error?: unknown): Promise<IteratorResult<T>>;
}

/** What a stream yields: a persisted event (with its outbox id) or a typing signal. */
export type StreamItem = BusMessage;

/** The per-caller services a stream needs, on a fresh EntityManager fork each time it asks. */
export interface CallerServices {
  realtime: RealtimeService;
  messages: { markDelivered(sessionId: string, messageId: string): Promise<void> };
}

export interface StreamSource {
  bus: EventBus;
  /** Re-verifies the caller's credentials and returns services on a new fork (one per use, never kept). */
  fresh(): Promise<CallerServices>;
  /** Unexpected failures of background work (delivery receipts). */
  onError?(error: unknown): void;
}

/**
 * An async generator suspended in an `await` only sees `return()` once it next yields; an idle
 * stream would never end. Closing the live part first wakes it, so `return()` completes at once.
 */
function closable<T>(generator: AsyncGenerator<T>, close: () => void): Stream<T> {
  const wrapper: Stream<T> = {
    next: () => generator.next(),
    return: (value) => {
      close();
      return generator.return(value);
    },
    throw: (error) => {
      close();
      return generator.throw(error);
    },
    [Symbol.asyncIterator]: () => wrapper,
  };
  return wrapper;
}

/** Runs a stream body: access errors become FORBIDDEN, and however it ends, the live part closes. */
function guarded(live: LiveStream, body: AsyncGenerator<StreamItem>): Stream<StreamItem> {
  async function* run(): AsyncGenerator<StreamItem> {
    try {
      yield* body;
    } catch (error) {
      throw asForbidden(error);
    } finally {
      live.close();
    }
  }
  return closable(run(), () => live.close());
}

/** Access errors end a stream as FORBIDDEN whatever their cause (reassigned, removed, token expired). */
function asForbidden(error: unknown): unknown {
  if (error instanceof DomainError && (error.code === 'FORBIDDEN' || error.code === 'NOT_FOUND' || error.code === 'UNAUTHENTICATED')) {
    return error.code === 'FORBIDDEN' ? error : forbidden(error.reason, 'Access to this stream was lost');
  }
  return error;
}

/** A participant's own delivered watermark, tracked from the events it sees, so receipts cost a write only when they move it. */
class DeliveryReceipts {
  private inFlight: Promise<void> | null = null;
  private pending: string | null = null;

  constructor(
    private readonly source: StreamSource,
    private readonly sessionId: string,
    private watermark: bigint,
  ) {}

  /** Another connection of the same participant moved it (seen as a delivery/read event). */
  observe(event: PublishedEvent, participantId: string): void {
    if (event.payload.participantId !== participantId) return;
    const value = event.payload.lastDeliveredMessageId ?? event.payload.lastReadMessageId;
    if (typeof value === 'string' && BigInt(value) > this.watermark) this.watermark = BigInt(value);
  }

  delivered(messageId: string): void {
    if (BigInt(messageId) <= this.watermark) return;
    this.watermark = BigInt(messageId);
    this.pending = messageId;
    this.inFlight ??= this.flush();
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending !== null) {
        const messageId = this.pending;
        this.pending = null;
        const { messages } = await this.source.fresh();
        await messages.markDelivered(this.sessionId, messageId);
      }
    } catch (error) {
      // Lost access or a closing database: the receipt is simply not recorded.
      if (!(error instanceof DomainError)) this.source.onError?.(error);
    } finally {
      this.inFlight = null;
    }
  }
}

/**
 * The live part of every subscription, independent of the transport (graphql-ws and the legacy
 * WebSocket both use it). Holds no EntityManager: every database touch asks `source.fresh()`.
 */
class LiveStream {
  readonly box = new Mailbox<StreamItem>();
  private readonly typingTimers = new Map<string, NodeJS.Timeout>();
  private recheckTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly source: StreamSource) {}

  async listen(topic: string, check: () => Promise<void>): Promise<void> {
    this.unsubscribe = await this.source.bus.subscribe(topic, (message) => this.receive(message));
    // Skip a tick while the previous check still queues, so slow checks never pile up.
    let pending = false;
    this.recheckTimer = setInterval(() => {
      if (pending) return;
      pending = true;
      void periodicRechecks.run(() => this.recheck(check)).finally(() => (pending = false));
    }, ACCESS_RECHECK_MS);
    this.recheckTimer.unref();
  }

  async recheck(check: () => Promise<void>): Promise<boolean> {
    try {
      await check();
      return true;
    } catch (error) {
      this.box.fail(asForbidden(error));
      return false;
    }
  }

  close(): void {
    if (this.recheckTimer) clearInterval(this.recheckTimer);
    for (const timer of this.typingTimers.values()) clearTimeout(timer);
    this.typingTimers.clear();
    this.unsubscribe?.();
    this.box.end();
  }

  /** Typing expires here, on every subscriber's own node: no shared timer, so it works across nodes. */
  private receive(message: BusMessage): void {
    if (message.kind === 'typing') {
      const { typistKey } = message.typing;
      const timer = this.typingTimers.get(typistKey);
      if (timer) clearTimeout(timer);
      this.typingTimers.delete(typistKey);
      if (message.typing.isTyping) {
        const expiry = setTimeout(() => {
          this.typingTimers.delete(typistKey);
          const expired: TypingSignal = { ...message.typing, isTyping: false, timestamp: new Date().toISOString() };
          this.box.push({ kind: 'typing', typing: expired });
        }, TYPING_TTL_MS);
        expiry.unref();
        this.typingTimers.set(typistKey, expiry);
      }
    }
    this.box.push(message);
  }
}

export interface SessionStreamOptions {
  sessionId: string;
  /** The last event id the client saw; events after it are replayed before live ones. */
  since?: string | null;
}

/**
 * Opens a session's event stream with gap-free resume. The access check and `since` validation
 * happen before this resolves (so a refusal is an error, never an empty stream); then:
 * 1. subscribe live first and buffer, 2. replay persisted events with id > since from the outbox,
 * 3. drain the buffer dropping ids already replayed (or at/below since), 4. continue live.
 * Session updates re-check access before delivery; a timer re-checks it (and the token) too.
 */
export async function openSessionStream(source: StreamSource, options: SessionStreamOptions): Promise<Stream<StreamItem>> {
  const first = await source.fresh();
  const viewer = first.realtime.viewer;
  const session: ChatSession = await first.realtime.authorizeSession(options.sessionId);
  const since = options.since != null ? await first.realtime.checkResumable(options.since) : null;
  const participant = await first.realtime.participantWatermark(session);
  const live = new LiveStream(source);
  const check = async () => {
    const { realtime } = await source.fresh();
    await realtime.authorizeSession(session.id);
  };
  await live.listen(sessionTopic(viewer.tenantId, session.id), check);
  const receipts = participant ? new DeliveryReceipts(source, session.id, BigInt(participant.lastDeliveredMessageId)) : null;

  const deliverable = (item: StreamItem) => {
    if (item.kind !== 'event' || !receipts || !participant) return;
    const { event } = item;
    receipts.observe(event, participant.id);
    const message = event.payload.message as { id?: string; senderId?: string | null } | undefined;
    if (event.type === 'message.created' && message?.id && message.senderId !== participant.id) receipts.delivered(message.id);
  };

  /**
   * A fork per batch, and the access check again (a long replay can outlive access). Outside the
   * generator on purpose: a suspended generator's frame would keep the fork alive.
   */
  const replayBatch = async (after: string) => {
    const { realtime } = await source.fresh();
    return realtime.replay(await realtime.authorizeSession(session.id), after);
  };

  async function* run(): AsyncGenerator<StreamItem> {
    let replayed: Set<string> | null = null;
    if (since !== null) {
      replayed = new Set();
      let after = since;
      for (;;) {
        const batch = await replayBatch(after);
        for (const event of batch) {
          replayed.add(event.id);
          const item: StreamItem = { kind: 'event', event };
          deliverable(item);
          yield item;
          after = event.id;
        }
        if (batch.length < REPLAY_BATCH) break;
      }
    }
    for await (const item of live.box.drain()) {
      if (item.kind === 'event') {
        const { id } = item.event;
        if (since !== null && BigInt(id) <= BigInt(since)) continue;
        if (replayed?.delete(id)) continue;
        if (item.event.type === 'session.updated' && !(await live.recheck(check))) continue;
      }
      deliverable(item);
      yield item;
    }
  }
  return guarded(live, run());
}

/**
 * The staff/admin inbox: session lifecycle events of the tenant (created, assigned, closed),
 * narrowed to the viewer's own sessions for staff. Live only (no resume).
 */
export async function openInboxStream(source: StreamSource): Promise<Stream<StreamItem>> {
  const { realtime } = await source.fresh();
  realtime.authorizeInbox();
  const live = new LiveStream(source);
  const check = async () => (await source.fresh()).realtime.authorizeInbox();
  await live.listen(inboxTopic(realtime.viewer.tenantId), check);

  async function* run(): AsyncGenerator<StreamItem> {
    for await (const item of live.box.drain()) {
      if (item.kind !== 'event' || !realtime.inboxIncludes(item.event)) continue;
      yield item;
    }
  }
  return guarded(live, run());
}

/** Only the items matching `keep`; ending it ends the underlying stream at once. */
export function only(stream: Stream<StreamItem>, keep: (item: StreamItem) => boolean): Stream<StreamItem> {
  const filtered: Stream<StreamItem> = {
    async next() {
      for (;;) {
        const result = await stream.next();
        if (result.done || keep(result.value)) return result;
      }
    },
    return: (value) => stream.return(value),
    throw: (error) => stream.throw(error),
    [Symbol.asyncIterator]: () => filtered,
  };
  return filtered;
}
