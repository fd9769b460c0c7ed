import { type BusMessage, type EventBus, inboxTopic, sessionTopic } from '../events/event-bus.js';
import { isMessageEvent, type PublishedEvent, type TypingSignal } from '../model/event-contract.js';
import { withoutNotes } from '../model/event-visibility.js';
import type { InboxFilter, InboxRow, InboxService, InboxTabs } from '../sessions/inbox.service.js';
import { seesPrivateNotes } from '../sessions/message-visibility.js';
import { accessLost, DomainError, unavailable } from '../shared/errors.js';
import { deliveryReceipts } from './delivery-receipts.js';
import { Mailbox } from './mailbox.js';
import { periodicChecks, periodicRechecks } from './periodic-checks.js';
import { inboxIncludes, type RealtimeService } from './realtime.service.js';
import { GAP_GRACE_MS, OUTBOX_BATCH, type OutboxReader, Sequencer } from './sequencer.js';

/** A typing state with no refresh for this long ends on its own (subscribers receive isTyping: false). */
export const TYPING_TTL_MS = 6_000;
export { ACCESS_RECHECK_MS, MAX_CONCURRENT_RECHECKS } from './periodic-checks.js';

/** An async iterator whose `return()` ends it promptly (graphql-ws calls it on `complete` and on close). */
export interface Stream<T> extends AsyncIterableIterator<T> {
  return(value?: unknown): Promise<IteratorResult<T>>;
  throw(error?: unknown): Promise<IteratorResult<T>>;
}

/** What a stream yields: a persisted event (with its outbox id) or a typing signal. */
export type StreamItem = Exclude<BusMessage, { kind: 'resync' } | { kind: 'stats' } | { kind: 'revoked' }>;

/** The per-caller services a stream needs, on a fresh EntityManager fork each time it asks. */
export interface CallerServices {
  realtime: RealtimeService;
  messages: { markDelivered(sessionId: string, messageId: string): Promise<void> };
  inbox: Pick<InboxService, 'rows' | 'tabCounts'>;
}

export interface StreamSource {
  bus: EventBus;
  /** Re-verifies the caller's credentials and returns services on a new fork (one per use, never kept). */
  fresh(): Promise<CallerServices>;
  /** Unexpected failures of background work (delivery receipts). */
  onError?(error: unknown): void;
  /**
   * Who the caller is, as far as access goes: equal for two sources whose `fresh()` verifies the
   * same credentials. Streams with equal callers on the same sequence share one periodic check
   * per node; without it a stream checks on its own.
   */
  caller?: string;
  /**
   * Calls `onNotice` whenever a revocation that may end the caller's credentials is announced
   * (on any node) until the returned function is called. Without it, only the periodic check
   * notices a revocation.
   */
  watchRevocations?(onNotice: () => void): () => void;
}

/** Streams of callers without a `caller` key each check on their own. */
let unsharedChecks = 0;

/**
 * One item object per event for every stream of this node: a subscription's execution result
 * depends on the item, so streams that yield the same object may share it (ws/shared-execution.ts).
 */
const eventItems = new WeakMap<PublishedEvent, StreamItem>();
function eventItem(event: PublishedEvent): StreamItem {
  let item = eventItems.get(event);
  if (!item) {
    item = { kind: 'event', event };
    eventItems.set(event, item);
  }
  return item;
}

/** The same for a note-blind viewer's copy of an event whose mark they see moved down (see `seenBy`). */
const noteBlindItems = new WeakMap<PublishedEvent, StreamItem>();

/**
 * An event's item as `viewer` sees it (model/event-visibility.ts): the shared item, one shared
 * copy for every note-blind stream when a mark they see differs, or null when it is not theirs.
 */
function seenBy(seesNotes: boolean, event: PublishedEvent): StreamItem | null {
  if (seesNotes) return eventItem(event);
  const seen = withoutNotes(event);
  if (seen === null) return null;
  if (seen === event) return eventItem(event);
  let item = noteBlindItems.get(event);
  if (!item) {
    item = { kind: 'event', event: { ...event, ...seen } };
    noteBlindItems.set(event, item);
  }
  return item;
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

/**
 * Runs a stream body: access errors become FORBIDDEN, anything outside the error model (the
 * database gone mid-replay) is reported and becomes a retryable SERVICE_UNAVAILABLE, and however
 * it ends, the live part closes.
 */
function guarded(live: LiveStream, body: AsyncGenerator<StreamItem>): Stream<StreamItem> {
  async function* run(): AsyncGenerator<StreamItem> {
    try {
      yield* body;
    } catch (error) {
      if (error instanceof DomainError) throw asForbidden(error);
      live.report(error);
      throw unavailable();
    } finally {
      live.close();
    }
  }
  return closable(run(), () => live.close());
}

/** Losing access ends a stream; anything else (a database or Redis outage) is retried, never fatal. */
const isAccessError = (error: unknown): error is DomainError => error instanceof DomainError && (error.code === 'FORBIDDEN' || error.code === 'NOT_FOUND' || error.code === 'UNAUTHENTICATED');

/** Access errors end a stream as FORBIDDEN whatever their cause (reassigned, removed, token expired). */
function asForbidden(error: unknown): unknown {
  if (!isAccessError(error) || error.code === 'FORBIDDEN') return error;
  return accessLost(error);
}

/** What a stream's mailbox carries: bus messages, and `gap` when an early event waited long enough. */
type Signal = BusMessage | { kind: 'gap' };

/**
 * The live part of every subscription, independent of the transport (graphql-ws and the legacy
 * WebSocket both use it). Holds no EntityManager: every database touch asks `source.fresh()`.
 */
class LiveStream {
  readonly box = new Mailbox<Signal>();
  private readonly typingTimers = new Map<string, NodeJS.Timeout>();
  private leaveChecks: (() => void) | null = null;
  private readonly cleanups: (() => void)[] = [];
  private gapTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  /**
   * The access check started by the latest revocation notice; while it runs nothing is
   * delivered, and when it finds access gone the stream fails. Null when none is pending.
   */
  private verifying: Promise<boolean> | null = null;
  /** Set once the stream has replayed and goes live; the periodic head comparison reads its position. */
  sequencer: Sequencer | null = null;

  constructor(private readonly source: StreamSource) {}

  /**
   * Listens on the topic, and joins the node's periodic check under `checkKey` (the access check,
   * and the head that the stream compares with its position to catch anything pub/sub lost).
   * Watches the caller's revocations from before it listens, so a notice never falls between the
   * two: a notice runs `check` at once and holds delivery until it answers.
   */
  async listen(topic: string, checkKey: string, { head, check }: Pick<SequenceSource, 'head' | 'check'>): Promise<void> {
    const stopWatching = this.source.watchRevocations?.(() => this.revocationNoticed(check));
    if (stopWatching) this.cleanups.push(stopWatching);
    this.unsubscribe = await this.source.bus.subscribe(topic, (message) => this.receive(message));
    const key = this.source.caller === undefined ? `own:${++unsharedChecks}` : `${checkKey}\u0000${this.source.caller}`;
    this.leaveChecks = periodicChecks.join(key, head, (outcome) => {
      if ('error' in outcome) {
        // An outage is not a refusal: the next round tries again.
        if (isAccessError(outcome.error)) this.fail(outcome.error);
        return;
      }
      if (this.sequencer && outcome.value > this.sequencer.position) this.box.push({ kind: 'resync' });
    });
  }

  /** Runs `cleanup` when the stream closes (once). */
  onClose(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  /** Runs an access check: false (and the stream failed) when access is gone; an outage is not a refusal. */
  async recheck(check: () => Promise<unknown>): Promise<boolean> {
    try {
      await check();
      return true;
    } catch (error) {
      if (!isAccessError(error)) {
        this.source.onError?.(error);
        return true;
      }
      this.box.fail(asForbidden(error));
      return false;
    }
  }

  /**
   * What holds delivery back: the access check of a revocation notice, resolving true when access
   * is still there and false when it is gone (the mailbox then holds the failure). Null: nothing.
   */
  get held(): Promise<boolean> | null {
    return this.verifying;
  }

  /**
   * A revocation that may concern this caller was announced (after its commit): check access
   * again now. A notice during a check runs another check after it, since the first one may have
   * read the database before the second revocation committed.
   */
  private revocationNoticed(check: () => Promise<unknown>): void {
    const previous = this.verifying ?? Promise.resolve(true);
    const verifying = previous.then((ok) => ok && this.recheck(check));
    this.verifying = verifying;
    // A check that found access gone failed the mailbox, which wakes an idle stream to end it.
    verifying.then(
      (ok) => {
        if (ok && this.verifying === verifying) this.verifying = null;
      },
      (error: unknown) => this.report(error),
    );
  }

  /** After GAP_GRACE_MS, a `gap` signal makes the stream read what is still missing from the outbox. */
  armGap(): void {
    if (this.gapTimer) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      this.box.push({ kind: 'gap' });
    }, GAP_GRACE_MS);
    this.gapTimer.unref();
  }

  fail(error: unknown): void {
    this.box.fail(asForbidden(error));
  }

  report(error: unknown): void {
    this.source.onError?.(error);
  }

  close(): void {
    this.leaveChecks?.();
    this.leaveChecks = null;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (this.gapTimer) clearTimeout(this.gapTimer);
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

/** How one kind of stream reads its sequence (a session's events, or a tenant's inbox). */
interface SequenceSource {
  /** The event's position in this sequence (null: not part of it). */
  positionOf(event: PublishedEvent): bigint | null;
  /** Checks access again and returns the head: the position of the last committed event. */
  head(): Promise<bigint>;
  /** A replay batch after `since` (an event id: the client's, then the batch's last), up to the head at start. */
  replaySince(since: string, upTo: bigint): Promise<PublishedEvent[]>;
  /** Committed events in (after, upTo] in order (checks access again). */
  read: OutboxReader;
  /** Checked again before a live `session.updated` is delivered (it may be the one that takes access away). */
  check(): Promise<unknown>;
}

/**
 * The ordering core shared by session and inbox streams:
 * 1. listen live first (messages queue), 2. read the head, 3. with `since`, replay the outbox
 * after it up to that head, 4. continue live in sequence order: duplicates dropped, early events
 * held until the gap before them is filled (live, or from the outbox), and everything after the
 * position read again when pub/sub reconnects or the head shows something was never published.
 */
async function* sequenced(live: LiveStream, sequence: SequenceSource, since: string | null, start: bigint): AsyncGenerator<StreamItem> {
  const sequencer = new Sequencer(start, (event) => sequence.positionOf(event));
  if (since !== null) {
    let batch = await sequence.replaySince(since, start);
    for (;;) {
      // Access gone (a revocation notice checked): the live part below throws the failure at once.
      let held = false;
      for (const event of batch) {
        held = live.held !== null && !(await live.held);
        if (held) break;
        yield { kind: 'event', event };
      }
      const last = batch.at(-1);
      if (held || batch.length < OUTBOX_BATCH || !last) break;
      batch = await sequence.replaySince(last.id, start);
    }
  }
  live.sequencer = sequencer;

  for await (const signal of live.box.drain()) {
    let ready: PublishedEvent[];
    // A revocation notice being checked holds everything back; access gone: the next drain step throws.
    if (signal.kind === 'typing') {
      if (live.held === null || (await live.held)) yield signal;
      continue;
    } else if (signal.kind === 'event') {
      ready = sequencer.accept(signal.event);
    } else {
      if (signal.kind === 'gap' && !sequencer.waiting) continue;
      try {
        // A Redis reconnect asks every stream of the node to catch up at once: those reads share
        // the periodic checks' cap, so they queue instead of taking the whole connection pool.
        // Gap fills are few and latency-bound, so they go straight through.
        ready = signal.kind === 'resync' ? await periodicRechecks.run(() => sequencer.fill(sequence.read, true)) : await sequencer.fill(sequence.read, false);
      } catch (error) {
        if (isAccessError(error) || (error instanceof DomainError && error.code === 'RESYNC_REQUIRED')) throw error;
        // The outbox is out of reach for now: try again after the grace period.
        live.armGap();
        continue;
      }
    }
    if (sequencer.waiting) live.armGap();
    for (const event of ready) {
      // Access lost: the mailbox now holds the failure, which the next drain step throws.
      if (live.held !== null && !(await live.held)) break;
      if (event.type === 'session.updated' && !(await live.recheck(() => sequence.check()))) break;
      yield eventItem(event);
    }
  }
}

/** The head, read once live messages already queue (so nothing between the two is missed); closes the live part if it fails. */
async function headAfterListening(live: LiveStream, sequence: SequenceSource): Promise<bigint> {
  try {
    return await sequence.head();
  } catch (error) {
    live.close();
    throw error;
  }
}

export interface SessionStreamOptions {
  sessionId: string;
  /** The last event id the client saw; events after it are replayed before live ones. */
  since?: string | null;
}

/**
 * Opens a session's event stream with gap-free resume, in `seq` order (see `sequenced`). The
 * access check and `since` validation happen before this resolves (so a refusal is an error,
 * never an empty stream). Session updates re-check access before delivery; the periodic check
 * re-checks it (and the token) too.
 */
export async function openSessionStream(source: StreamSource, options: SessionStreamOptions): Promise<Stream<StreamItem>> {
  // Only strings and plain values outlive this setup: a closure holding the first fork's
  // entities (or services) would keep that fork, and its identity map, for the stream's life.
  const { viewer, sessionId, since, participant } = await (async () => {
    const first = await source.fresh();
    const session = await first.realtime.authorizeSession(options.sessionId);
    return {
      viewer: first.realtime.viewer,
      sessionId: session.id,
      since: options.since != null ? await first.realtime.checkResumable(options.since) : null,
      participant: await first.realtime.participantWatermark(session),
    };
  })();

  /** Every database touch takes a new fork and checks access again (a long stream can outlive access). */
  const authorized = async () => {
    const { realtime } = await source.fresh();
    return { realtime, session: await realtime.authorizeSession(sessionId) };
  };
  const sequence: SequenceSource = {
    positionOf: (event) => BigInt(event.seq),
    head: async () => BigInt((await authorized()).session.lastEventSeq),
    replaySince: async (sinceId, upTo) => {
      const { realtime, session: current } = await authorized();
      return realtime.replay(current, sinceId, upTo);
    },
    read: async (after, upTo) => {
      const { realtime, session: current } = await authorized();
      return realtime.sessionEventsAfter(current, after, upTo);
    },
    check: authorized,
  };
  const live = new LiveStream(source);
  await live.listen(sessionTopic(viewer.tenantId, sessionId), `session:${sessionId}`, sequence);
  const start = await headAfterListening(live, sequence);
  const receipts = participant
    ? deliveryReceipts.acquire(
        { tenantId: viewer.tenantId, sessionId, participantId: participant.id },
        BigInt(participant.lastDeliveredMessageId),
        async (messageId) => (await source.fresh()).messages.markDelivered(sessionId, messageId),
        (error) => source.onError?.(error),
      )
    : null;
  if (receipts) live.onClose(receipts.release);

  const seesNotes = seesPrivateNotes(viewer);
  async function* run(): AsyncGenerator<StreamItem> {
    for await (const item of sequenced(live, sequence, since, start)) {
      if (item.kind !== 'event') {
        yield item;
        continue;
      }
      const { event } = item;
      // The participant's own watermark, as stored, before anything is left out.
      receipts?.observe(event);
      // After sequencing, so the stream's position moves past an event it does not deliver.
      const seen = seenBy(seesNotes, event);
      if (seen === null) continue;
      if (receipts && participant && event.type === 'message.created' && event.payload.message.senderId !== participant.id) {
        receipts.delivered(event.payload.message.id);
      }
      yield seen;
    }
  }
  return guarded(live, run());
}

export interface InboxStreamOptions {
  since?: string | null;
  /** Also deliver message and read activity in the viewer's sessions (live counters); lifecycle events only when false. */
  activity?: boolean | null;
  /** The conditions the delivered tab counts respect (its assignee aside). */
  filter?: InboxFilter | null;
}

/** What the inbox adds to each item: the session's row for the subscriber as of delivery, and the tab counts. */
export interface InboxExtras {
  row: InboxRow | null;
  /** Null only when the database could not be reached at delivery. */
  tabs: InboxTabs | null;
}

export type InboxItem = { kind: 'event'; event: PublishedEvent; inbox: InboxExtras };

/** Activity (not lifecycle) the inbox delivers when asked to: new, edited and deleted messages, and the subscriber's own read marks. */
function isInboxActivity(event: PublishedEvent, viewer: { kind: string; userId?: string }): boolean {
  if (isMessageEvent(event)) return true;
  return event.type === 'read.updated' && viewer.kind === 'user' && event.payload.userId === viewer.userId;
}

/**
 * The staff/admin inbox: session lifecycle events of the tenant (created, assigned, closed), in
 * the tenant's inbox order with the same guarantees as a session stream, narrowed to the
 * viewer's own sessions for staff. `since` (an event id) replays what was missed. Every item
 * carries the session's inbox row for the subscriber (unread count, last message, last
 * activity) and the tab counts, read at delivery; with `activity`, message and read activity in
 * the viewer's sessions arrives too. Every item's id is its event's outbox id; a resume replays
 * the lifecycle events up to the head and, with `activity`, the activity up to the tenant's
 * highest event id read in the same snapshot, merged in id order, then goes live. Live activity
 * is not in the inbox sequence: a copy of what the replay delivered is dropped by its session's
 * `seq`.
 */
export async function openInboxStream(source: StreamSource, options: InboxStreamOptions = {}): Promise<Stream<InboxItem>> {
  // As in openSessionStream: no closure may hold the first fork.
  const { viewer, since } = await (async () => {
    const first = await source.fresh();
    first.realtime.authorizeInbox();
    const checked = options.since != null ? await first.realtime.checkResumable(options.since) : null;
    // Validates the filter before the stream starts: a bad one is an error, not an empty stream.
    await first.inbox.tabCounts(options.filter);
    return { viewer: first.realtime.viewer, since: checked };
  })();
  const includes = (event: PublishedEvent) => inboxIncludes(viewer, event);
  const authorized = async () => {
    const { realtime } = await source.fresh();
    realtime.authorizeInbox();
    return realtime;
  };
  // With activity, the replay's cut: the tenant's highest event id when the head was read.
  let activityUpTo: string | null = null;
  const sequence: SequenceSource = {
    positionOf: (event) => (event.inboxSeq === null ? null : BigInt(event.inboxSeq)),
    head: async () => (await authorized()).inboxHead(),
    replaySince: async (sinceId, upTo) => (await authorized()).inboxReplay(sinceId, upTo, activityUpTo),
    read: async (after, upTo) => (await authorized()).inboxEventsAfter(after, upTo),
    check: authorized,
  };
  const live = new LiveStream(source);
  await live.listen(inboxTopic(viewer.tenantId), 'inbox', sequence);
  const withActivity = options.activity === true;
  const replaysActivity = withActivity && since !== null;
  const start = replaysActivity
    ? await headAfterListening(live, {
        ...sequence,
        head: async () => {
          const cut = await (await authorized()).inboxCut();
          activityUpTo = cut.topId;
          return cut.head;
        },
      })
    : await headAfterListening(live, sequence);
  /** Per session, the highest `seq` of activity the replay delivered: a live copy at or below it is a duplicate. */
  const replayedSeq = new Map<string, bigint>();

  async function* run(): AsyncGenerator<StreamItem> {
    for await (const item of sequenced(live, sequence, since, start)) {
      if (item.kind !== 'event') continue;
      const { event } = item;
      if (event.inboxSeq !== null) {
        if (!includes(event)) continue;
      } else {
        if (!withActivity || !isInboxActivity(event, viewer)) continue;
        const seq = BigInt(event.seq);
        const replayed = replayedSeq.get(event.sessionId);
        // No sequencer yet: `sequenced` is still replaying (it sets one when it goes live).
        if (live.sequencer === null) {
          if (replayed === undefined || seq > replayed) replayedSeq.set(event.sessionId, seq);
        } else if (replayed !== undefined && seq <= replayed) continue;
      }
      let extras: { row: InboxRow | null; tabs: InboxTabs | null };
      try {
        const { inbox } = await source.fresh();
        const [row = null] = await inbox.rows([event.sessionId]);
        extras = { row, tabs: row === null && event.inboxSeq === null ? null : await inbox.tabCounts(options.filter) };
      } catch (error) {
        if (isAccessError(error)) throw error;
        // The database is out of reach: a lifecycle event still goes out (without its row), activity waits for the next one.
        live.report(error);
        extras = { row: null, tabs: null };
      }
      // Activity in a session the viewer does not see in the inbox (staff: not theirs; rooms) is not theirs to know.
      if (event.inboxSeq === null && extras.row === null) continue;
      yield { kind: 'event', event, inbox: extras } as InboxItem;
    }
  }
  return guarded(live, run()) as unknown as Stream<InboxItem>;
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
