import type { Scope } from '../db/scope.js';
import { type EventBus, toPublished } from '../events/event-bus.js';
import { isLifecycleEvent, type PublishedEvent, type SessionEventType, type TypingSignal } from '../model/event-contract.js';
import { Participant } from '../model/participant.entity.js';
import type { ChatSession } from '../model/session.entity.js';
import { SessionEvent } from '../model/session-event.entity.js';
import { participantFilter, participantKeyOf, participantName } from '../sessions/participants.js';
import { loadAccessibleSession, sessionIdFrom } from '../sessions/session-access.js';
import { UserRole } from '../shared/enums.js';
import { DomainError, unauthenticated } from '../shared/errors.js';
import { requireUser } from '../shared/guards.js';
import { parseWatermark } from '../shared/validate.js';
import type { Viewer } from '../shared/viewer.js';
import { OUTBOX_BATCH } from './sequencer.js';

/** The outbox types an inbox with `activity` may carry besides lifecycle events (session-stream.ts narrows read marks to the subscriber's own). */
const INBOX_ACTIVITY_TYPES = ['message.created', 'message.updated', 'message.deleted', 'read.updated'] satisfies SessionEventType[];

/**
 * Whether a session lifecycle event belongs in this viewer's inbox (decided from the payload, no
 * query). Staff also get the step that takes a session away from them (transfer, unassign), so
 * their inbox can drop it.
 */
export function inboxIncludes(viewer: Viewer, event: PublishedEvent): boolean {
  if (viewer.kind !== 'user') return false;
  if (viewer.role === UserRole.ADMIN) return true;
  if (viewer.role !== UserRole.STAFF || !isLifecycleEvent(event)) return false;
  if (event.payload.session.agentId === viewer.userId) return true;
  return event.type === 'session.updated' && event.payload.previousAgentId === viewer.userId;
}

/**
 * The rules of real-time delivery for one caller on one EntityManager fork: who may watch which
 * session, what a resume replays, when it must resync, and typing. The long-lived stream
 * (session-stream.ts) asks for a fresh instance whenever it needs the database.
 */
export class RealtimeService {
  constructor(
    private readonly scope: Scope,
    private readonly deps: { events: EventBus },
  ) {}

  get viewer() {
    return this.scope.viewer;
  }

  /** The session the viewer may read, or NOT_FOUND / FORBIDDEN (another tenant's id is NOT_FOUND). */
  async authorizeSession(sessionIdArg: string): Promise<ChatSession> {
    return loadAccessibleSession(this.scope.em, this.scope.viewer, await sessionIdFrom(this.scope.em, sessionIdArg, 'sessionId'));
  }

  /** Staff see the sessions assigned to them, admins every session of the tenant. */
  authorizeInbox(): void {
    requireUser(this.scope.viewer, [UserRole.STAFF, UserRole.ADMIN], 'STAFF_ONLY');
  }

  /** Whether a session lifecycle event belongs in this viewer's inbox (see `inboxIncludes`). */
  inboxIncludes(event: PublishedEvent): boolean {
    return inboxIncludes(this.scope.viewer, event);
  }

  /**
   * Checks a `since` watermark before replaying: every event after it must still be retained.
   * Pruning records the highest id it deleted; anything at or below `since` was seen already, so
   * only `since` below that mark may have lost events: RESYNC_REQUIRED (reload state, then
   * resume from a fresh id).
   */
  async checkResumable(sinceArg: string): Promise<string> {
    const since = parseWatermark(sinceArg, 'since');
    const rows = await this.scope.em.getConnection().execute<{ pruned: string }[]>('select pruned_through::text as pruned from outbox_retention');
    const prunedThrough = BigInt(rows[0]?.pruned ?? '0');
    if (BigInt(since) < prunedThrough) {
      throw new DomainError('EVENTS_PRUNED', `Events after ${since} are past the retention window; reload and resume from a recent event id`);
    }
    return since;
  }

  /**
   * Events of the session to replay after `since` (an event id), up to the stream's head `upTo`,
   * in seq order. Within a session ids increase with seq, so "id > since" is "after it".
   */
  async replay(session: ChatSession, sinceId: string, upTo: bigint, limit = OUTBOX_BATCH): Promise<PublishedEvent[]> {
    const rows = await this.scope.em.find(SessionEvent, { session, id: { $gt: sinceId }, seq: { $lte: String(upTo) } }, { orderBy: { seq: 'asc' }, limit });
    return rows.map(toPublished);
  }

  /** Events of the session with seq in (after, upTo] (upTo null: all), in seq order: what a gap or a catch-up reads. */
  async sessionEventsAfter(session: ChatSession, after: bigint, upTo: bigint | null, limit = OUTBOX_BATCH): Promise<PublishedEvent[]> {
    const seq = upTo === null ? { $gt: String(after) } : { $gt: String(after), $lte: String(upTo) };
    const rows = await this.scope.em.find(SessionEvent, { session, seq }, { orderBy: { seq: 'asc' }, limit });
    return rows.map(toPublished);
  }

  /** The inbox sequence's head: the `inboxSeq` of the tenant's last committed lifecycle event. */
  async inboxHead(): Promise<bigint> {
    const rows = await this.scope.em.getConnection().execute<{ head: string }[]>('select last_inbox_seq::text as head from tenants where id = ?', [this.scope.viewer.tenantId]);
    return BigInt(rows[0]?.head ?? '0');
  }

  /**
   * The inbox sequence's head and, read in the same snapshot, the tenant's highest event id: the
   * cut a resume with activity replays up to (everything committed after it arrives live).
   */
  async inboxCut(): Promise<{ head: bigint; topId: string }> {
    const rows = await this.scope.em.getConnection().execute<{ head: string; top: string }[]>(
      `select t.last_inbox_seq::text as head,
              (select coalesce(max(e.id), 0)::text from session_events e where e.tenant_id = t.id) as top
         from tenants t where t.id = ?`,
      [this.scope.viewer.tenantId],
    );
    return { head: BigInt(rows[0]?.head ?? '0'), topId: rows[0]?.top ?? '0' };
  }

  /**
   * The tenant's lifecycle events after `since` (an event id), up to `upTo`, in inbox order; with
   * `activityUpTo` (an event id), merged in id order with its message and read events after
   * `since` up to that id. Ids increase with the inbox sequence and with each session's sequence,
   * so id order keeps both orders, and "the next batch" is simply "after the last id".
   */
  async inboxReplay(sinceId: string, upTo: bigint, activityUpTo: string | null = null, limit = OUTBOX_BATCH): Promise<PublishedEvent[]> {
    const lifecycle = await this.scope.em.find(SessionEvent, { id: { $gt: sinceId }, inboxSeq: { $ne: null, $lte: String(upTo) } }, { orderBy: { inboxSeq: 'asc' }, limit });
    if (activityUpTo === null) return lifecycle.map(toPublished);
    const activity = await this.scope.em.find(SessionEvent, { id: { $gt: sinceId, $lte: activityUpTo }, inboxSeq: null, type: { $in: INBOX_ACTIVITY_TYPES } }, { orderBy: { id: 'asc' }, limit });
    return [...lifecycle, ...activity]
      .map(toPublished)
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
      .slice(0, limit);
  }

  /** The tenant's lifecycle events with inboxSeq in (after, upTo] (upTo null: all), in inbox order. */
  async inboxEventsAfter(after: bigint, upTo: bigint | null, limit = OUTBOX_BATCH): Promise<PublishedEvent[]> {
    const inboxSeq = upTo === null ? { $gt: String(after) } : { $gt: String(after), $lte: String(upTo) };
    const rows = await this.scope.em.find(SessionEvent, { inboxSeq }, { orderBy: { inboxSeq: 'asc' }, limit });
    return rows.map(toPublished);
  }

  /** The viewer's participant row in the session (id and delivered watermark), or null when not a participant. */
  async participantWatermark(session: ChatSession): Promise<{ id: string; lastDeliveredMessageId: string } | null> {
    const key = participantKeyOf(this.scope.viewer);
    if (key === null) return null;
    const row = await this.scope.em.findOne(Participant, participantFilter(key, session), { fields: ['id', 'lastDeliveredMessageId'] });
    return row ? { id: row.id, lastDeliveredMessageId: row.lastDeliveredMessageId } : null;
  }

  /**
   * Ephemeral: published to the session's subscribers on every node, never stored. Subscribers
   * expire a typing state themselves when no refresh arrives (see TYPING_TTL_MS).
   */
  async setTyping(sessionIdArg: string, isTyping: boolean): Promise<TypingSignal> {
    const session = await this.authorizeSession(sessionIdArg);
    const viewer = this.scope.viewer;
    let signal: TypingSignal;
    if (viewer.kind === 'guest') {
      const guest = await this.scope.em.findOne(Participant, { id: viewer.participantId });
      signal = this.signal(session, `guest:${viewer.participantId}`, `guest:${viewer.participantId}`, participantName(guest), isTyping);
    } else if (viewer.kind === 'user') {
      signal = this.signal(session, `user:${viewer.userId}`, viewer.userId, viewer.displayName || viewer.username, isTyping);
    } else {
      throw unauthenticated();
    }
    this.deps.events.publishTyping(signal);
    return signal;
  }

  private signal(session: ChatSession, typistKey: string, userId: string, name: string, isTyping: boolean): TypingSignal {
    return {
      tenantId: this.scope.viewer.tenantId,
      sessionId: session.id,
      typistKey,
      userId,
      name,
      isTyping,
      timestamp: new Date().toISOString(),
    };
  }
}
