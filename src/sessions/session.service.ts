import { createHash } from 'node:crypto';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { TokenService } from '../auth/tokens.js';
import type { Db } from '../db/orm.js';
import type { Scope } from '../db/scope.js';
import { appendEvent, type EventBus, type PublishedEvent, placeOf } from '../events/event-bus.js';
import { lastEventIdOf } from '../events/event-position.js';
import type { EventPayloads, SessionChange } from '../model/event-contract.js';
import { ChatMessage } from '../model/message.entity.js';
import { Participant } from '../model/participant.entity.js';
import { ChatSession } from '../model/session.entity.js';
import { Tenant } from '../model/tenant.entity.js';
import { User } from '../model/user.entity.js';
import { type RateLimiter, rateLimited } from '../ratelimit/rate-limiter.js';
import { deskDate, deskNow } from '../shared/desk-clock.js';
import { ParticipantRole, Priority, SessionAction, SessionKind, SessionStatus, UserRole } from '../shared/enums.js';
import { badInput, conflict, DomainError, forbidden, notFound, unauthenticated } from '../shared/errors.js';
import { requireSupportStaff, requireUser } from '../shared/guards.js';
import { MAX_DISPLAY_NAME_LENGTH, MAX_EMAIL_LENGTH, MAX_PHONE_LENGTH, MAX_SESSION_KEY_LENGTH, MAX_SUBJECT_LENGTH, MAX_TAG_LENGTH } from '../shared/limits.js';
import { intInRange, oneOf, optionalName, optionalText, parseId, requireName, requireText } from '../shared/validate.js';
import type { UserViewer } from '../shared/viewer.js';
import { type AssignmentTrigger, queueIfAutoAssigned } from './assignment-queue.js';
import { messageRecordOf } from './message-record.js';
import { seesPrivateNotes } from './message-visibility.js';
import { sessionDto } from './session.dto.js';
import { allOf, loadAccessibleSession, readableSessionsCondition, type SqlCondition, sessionIdFrom } from './session-access.js';
import { endSnooze, snoozeInPlace, snoozeUntil, wakeInPlace } from './snooze.js';
import { type MessageView, WatermarkView } from './watermarks.js';

export interface SessionFilter {
  kind?: SessionKind | null;
  status?: SessionStatus | null;
  /** True: ACTIVE or SNOOZED; false: CLOSED. */
  open?: boolean | null;
  priority?: Priority | null;
  tag?: string | null;
  agentId?: string | null;
}

export interface SessionPageResult {
  items: ChatSession[];
  totalCount: number;
  page: number;
  totalPages: number;
}

export interface CreateSessionInput {
  subject?: string | null;
  priority?: Priority | null;
  tags?: readonly string[] | null;
  userId?: string | null;
}

export interface SessionUpdateInput {
  priority?: Priority | null;
  tags?: readonly string[] | null;
  /** "" clears the subject; null or absent leaves it. */
  subject?: string | null;
}

export interface GuestSessionInput {
  sessionKey: string;
  guestName?: string | null;
  guestEmail?: string | null;
  guestPhone?: string | null;
}

export interface GuestSessionResult {
  session: ChatSession;
  created: boolean;
  /**
   * Whether the answer may show the guest's email and phone: only to the caller who just gave
   * them. A duplicate create proves only that the caller holds the key, so it does not echo them.
   */
  revealContact: boolean;
  token: string;
  guestId: string;
  /** The session's latest messages, oldest first. */
  history: MessageView[];
}

export const MAX_TAGS = 20;
export const GUEST_HISTORY_LIMIT = 100;
/** A guest session key is a bearer credential (it yields the session's guest token): short ones are guessable. */
export const MIN_SESSION_KEY_LENGTH = 16;
/** The rate-limit operation under which every use of one session key is counted, whoever the caller (RATE_LIMIT_OVERRIDES key). */
export const SESSION_KEY_OPERATION = 'guestSessionKey';
const POPULATE = ['customer', 'agent'] as const;

function normaliseTags(tags: readonly string[] | null | undefined): string[] {
  if (!tags) return [];
  if (tags.length > MAX_TAGS) throw badInput('tags', `at most ${MAX_TAGS} tags`);
  const cleaned = tags.map((tag) => requireName(tag, 'tags', MAX_TAG_LENGTH).toLowerCase());
  return [...new Set(cleaned)];
}

function validateGuest(input: GuestSessionInput) {
  const sessionKey = requireText(input.sessionKey, 'sessionKey', MAX_SESSION_KEY_LENGTH);
  if (!/^[A-Za-z0-9._:-]+$/.test(sessionKey)) throw badInput('sessionKey', 'sessionKey may contain only letters, digits, ".", "_", ":" and "-"');
  if (sessionKey.length < MIN_SESSION_KEY_LENGTH) {
    throw badInput('sessionKey', `sessionKey must be at least ${MIN_SESSION_KEY_LENGTH} characters (a UUID is fine): it is the credential to the session`, 'TOO_SHORT');
  }
  const guestEmail = optionalText(input.guestEmail, 'guestEmail', MAX_EMAIL_LENGTH);
  if (guestEmail !== null && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(guestEmail)) throw badInput('guestEmail', 'guestEmail must be an email address');
  const guestPhone = optionalText(input.guestPhone, 'guestPhone', MAX_PHONE_LENGTH);
  if (guestPhone !== null && !/^\+?[0-9 ()./-]{3,}$/.test(guestPhone)) throw badInput('guestPhone', 'guestPhone must be a phone number');
  return { sessionKey, guestName: optionalName(input.guestName, 'guestName', MAX_DISPLAY_NAME_LENGTH), guestEmail, guestPhone };
}

export interface GuestFields {
  sessionKey: string | null;
  guestName: string | null;
  guestEmail?: string | null;
  guestPhone?: string | null;
}

/**
 * Writes a guest session, its customer participant and the `session.created` outbox row in one
 * transaction in `tenantId`. Shared by guest sessions (seed 003) and widget sessions (seed 002).
 * The caller publishes the returned event after commit.
 */
export async function insertGuestSession(em: Db, tenantId: string, fields: GuestFields): Promise<{ session: ChatSession; guest: Participant; event: PublishedEvent }> {
  return em.transactional(async (tx) => {
    const tenant = tx.getReference(Tenant, tenantId);
    const session = tx.create(ChatSession, { tenant, ...fields });
    const guest = tx.create(Participant, { tenant, session, role: ParticipantRole.CUSTOMER, guestName: fields.guestName });
    await queueIfAutoAssigned(tx, session);
    await tx.flush();
    const event = await appendEvent(tx, placeOf(session), { type: 'session.created', payload: { session: sessionDto(session) } });
    return { session, guest, event };
  });
}

/** Transfer and unassign are about assignment: support sessions only, never closed ones. */
function assignable(session: ChatSession): void {
  if (session.kind !== SessionKind.SUPPORT) throw badInput('sessionId', 'Only support sessions can be assigned an agent', 'NOT_ASSIGNABLE');
  if (session.status === SessionStatus.CLOSED) throw conflict('SESSION_CLOSED', 'A closed session cannot be assigned');
}

/** What closing changes on a session, whoever closes it (an admin, or the desk itself). */
function closeInPlace(session: ChatSession, now = deskDate()): SessionChange[] {
  Object.assign(session, { status: SessionStatus.CLOSED, endedAt: now, waitingSince: null, queuedAt: null, updatedAt: now });
  return ['status'];
}

/**
 * Closes an active session on the desk's own behalf (auto-close): the same change and the same
 * `session.updated` (action CLOSED) as an admin's close, with no actor. The auto-assignment
 * reaction drains the freed seat from that event. False when the session is gone or not active.
 */
export async function closeAsSystem(em: Db, events: EventBus, tenantId: string, sessionId: string): Promise<boolean> {
  const event = await em.transactional(async (tx) => {
    const session = await tx.findOne(ChatSession, { id: sessionId, tenant: tenantId }, { filters: false, lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!session || session.status !== SessionStatus.ACTIVE) return null;
    const previousAgentId = session.agent?.id ?? null;
    const changes = closeInPlace(session);
    await tx.flush();
    return appendEvent(tx, placeOf(session), { type: 'session.updated', payload: { session: sessionDto(session), changes, action: SessionAction.CLOSED, previousAgentId, actorId: null } });
  });
  if (event) events.publish([event]);
  return event !== null;
}

/** Admins act on any session; staff only on the one they hold (reading alone is not enough, e.g. a room they are in). */
export function holdsOrAdmin(user: UserViewer, session: ChatSession): void {
  if (user.role !== UserRole.ADMIN && session.agent?.id !== user.userId) throw forbidden('NOT_ASSIGNED', 'Only an admin or the assigned agent may do this');
}

/** A user of the tenant with one of `roles` (another tenant's id is not found, like a missing one). */
async function findAgent(tx: Db, agentId: string, roles: readonly UserRole[]): Promise<User> {
  const agent = await tx.findOne(User, { id: agentId });
  if (!agent) throw notFound('AGENT_NOT_FOUND', `User ${agentId} not found`);
  if (!roles.includes(agent.role)) {
    throw badInput('agentId', roles.includes(UserRole.ADMIN) ? 'agentId must name a staff member or an admin' : 'agentId must name a staff member', 'NOT_STAFF');
  }
  return agent;
}

/** The agent's participant row: created on first assignment, active again when they come back. */
async function joinAsAgent(tx: Db, session: ChatSession, agent: User): Promise<void> {
  session.agent = agent;
  const existing = await tx.findOne(Participant, { session, user: agent });
  if (!existing) tx.create(Participant, { tenant: session.tenant, session, user: agent, role: ParticipantRole.AGENT });
  else existing.leftAt = null;
}

/** The previous agent's row stays (their messages keep their author) but is marked left. */
async function leaveAsAgent(tx: Db, session: ChatSession, agentId: string): Promise<void> {
  const existing = await tx.findOne(Participant, { session, user: agentId });
  if (existing) existing.leftAt = deskDate();
}

/**
 * The one way a session gets its agent, for admins (`assignAgent`) and auto-assignment alike:
 * inside the caller's transaction, with the session row locked and checked. The agent joins as a
 * participant, the session leaves the assignment queue, and the `session.updated` event (which
 * reaches subscriptions, the inbox and webhooks) is recorded; the caller publishes it after commit.
 * `actorId`: the admin who assigned; null when auto-assignment did.
 */
export async function assignInTransaction(tx: Db, session: ChatSession, agent: User, now = deskDate(), actorId: string | null = null): Promise<PublishedEvent> {
  await joinAsAgent(tx, session, agent);
  session.queuedAt = null;
  session.updatedAt = now;
  await tx.flush();
  return appendEvent(tx, placeOf(session), {
    type: 'session.updated',
    payload: { session: sessionDto(session), changes: ['agent'], action: SessionAction.ASSIGNED, previousAgentId: null, actorId },
  });
}

/** Session lifecycle: lookup, listing, creation (user and guest), and the workflow (assign, transfer, unassign, close, reopen). */
export class SessionService {
  constructor(
    private readonly scope: Scope,
    private readonly deps: {
      events: EventBus;
      tokens: TokenService;
      rateLimiter: RateLimiter;
      /** Auto-assignment: places waiting sessions after a commit that queued one or freed capacity. */
      assignment?: AssignmentTrigger;
    },
  ) {}

  /** After a commit that queued a session or freed capacity: let auto-assignment place waiting sessions. */
  private async drainQueue(): Promise<void> {
    await this.deps.assignment?.drain(this.scope.viewer.tenantId);
  }

  /**
   * Counts one use of a session key, whoever the caller: per-IP limits alone let a botnet try
   * many keys, or hammer one, from many addresses. Counted under a digest, never the key itself.
   */
  private async countKeyUse(sessionKey: string): Promise<void> {
    const digest = createHash('sha256').update(`${this.scope.viewer.tenantId}:${sessionKey}`).digest('base64url').slice(0, 32);
    const decision = await this.deps.rateLimiter.check(`session-key:${digest}`, SESSION_KEY_OPERATION, 'session-key');
    if (!decision.allowed) throw rateLimited(decision);
  }

  /** By numeric id or by public UUID. */
  /** The outbox position of the session as read (see events/event-position.ts). */
  async lastEventId(idOrUuid: string): Promise<string> {
    const session = await this.get(idOrUuid);
    return lastEventIdOf(this.scope.em, { id: session.id, tenantId: session.tenant.id, lastEventSeq: session.lastEventSeq }, seesPrivateNotes(this.scope.viewer));
  }

  async get(idOrUuid: string): Promise<ChatSession> {
    const id = await sessionIdFrom(this.scope.em, idOrUuid, 'id');
    const session = await loadAccessibleSession(this.scope.em, this.scope.viewer, id);
    await this.scope.em.populate(session, POPULATE);
    return session;
  }

  /**
   * By a guest client's own session id (seed 003's `session_id`). A key that exists but names a
   * session the caller may not read gets the same answer as a key that does not exist, so the
   * lookup cannot be used to learn which keys are taken.
   */
  async getByKey(sessionKeyArg: string): Promise<ChatSession> {
    // Anonymous callers learn nothing, not even whether a key exists.
    if (this.scope.viewer.kind === 'anonymous') throw unauthenticated();
    const sessionKey = requireText(sessionKeyArg, 'sessionKey', MAX_SESSION_KEY_LENGTH);
    await this.countKeyUse(sessionKey);
    const missing = () => notFound('SESSION_NOT_FOUND', 'No session of yours has this key');
    const found = await this.scope.em.findOne(ChatSession, { sessionKey }, { fields: ['id'] });
    if (!found) throw missing();
    try {
      return await this.get(found.id);
    } catch (error) {
      if (error instanceof DomainError && (error.code === 'FORBIDDEN' || error.code === 'NOT_FOUND')) throw missing();
      throw error;
    }
  }

  /**
   * The sessions the viewer may read (session-access's rule as SQL, so the list and `session(id)`
   * never disagree), newest first, narrowed by the filter.
   */
  async list(filter: SessionFilter, pageArg?: number | null, limitArg?: number | null): Promise<SessionPageResult> {
    const { em, viewer } = this.scope;
    const page = intInRange(pageArg, 'page', 1, 1_000_000, 1);
    const limit = intInRange(limitArg, 'limit', 1, 100, 20);
    const where: SqlCondition[] = [{ sql: 's.tenant_id = ?', params: [viewer.tenantId] }, readableSessionsCondition(viewer)];
    if (filter.status != null) where.push({ sql: 's.status = ?', params: [oneOf(filter.status, SessionStatus, 'status')] });
    if (filter.open != null) where.push({ sql: `s.status ${filter.open ? '<>' : '='} '${SessionStatus.CLOSED}'`, params: [] });
    if (filter.kind != null) where.push({ sql: 's.kind = ?', params: [oneOf(filter.kind, SessionKind, 'kind')] });
    if (filter.priority != null) where.push({ sql: 's.priority = ?', params: [oneOf(filter.priority, Priority, 'priority')] });
    if (filter.tag != null) where.push({ sql: 's.tags @> array[?]::text[]', params: [requireName(filter.tag, 'tag', MAX_TAG_LENGTH).toLowerCase()] });
    if (filter.agentId != null) where.push({ sql: 's.agent_id = ?', params: [parseId(filter.agentId, 'agentId')] });
    const { sql, params } = allOf(where);
    const connection = em.getConnection();
    const [counted, rows] = await Promise.all([
      connection.execute<{ total: string | number }[]>(`select count(*) as total from chat_sessions s where ${sql}`, params),
      connection.execute<{ id: string }[]>(`select s.id::text as id from chat_sessions s where ${sql} order by s.started_at desc, s.id desc limit ? offset ?`, [...params, limit, (page - 1) * limit]),
    ]);
    const totalCount = Number(counted[0]?.total ?? 0);
    const ids = rows.map((row) => row.id);
    const loaded = ids.length === 0 ? [] : await em.find(ChatSession, { id: { $in: ids } }, { populate: POPULATE });
    const byId = new Map(loaded.map((session) => [session.id, session]));
    const items = ids.flatMap((id) => byId.get(id) ?? []);
    return { items, totalCount, page, totalPages: Math.ceil(totalCount / limit) };
  }

  async create(input: CreateSessionInput): Promise<ChatSession> {
    const { em, viewer } = this.scope;
    const user = requireUser(viewer, [UserRole.USER, UserRole.ADMIN], 'CANNOT_CREATE_SESSION');
    const subject = optionalName(input.subject, 'subject', MAX_SUBJECT_LENGTH);
    const tags = normaliseTags(input.tags);
    let customerId = user.userId;
    if (input.userId !== null && input.userId !== undefined) {
      if (user.role !== UserRole.ADMIN) throw forbidden('ADMIN_ONLY', 'Only an admin can open a session for another user');
      customerId = parseId(input.userId, 'userId');
      const customer = await em.findOne(User, { id: customerId });
      if (!customer) throw notFound('USER_NOT_FOUND', `User ${customerId} not found`);
    }
    const tenant = em.getReference(Tenant, user.tenantId);
    const { session, events } = await em.transactional(async (tx) => {
      const session = tx.create(ChatSession, {
        tenant,
        subject,
        tags,
        priority: input.priority ?? Priority.MEDIUM,
        customer: tx.getReference(User, customerId),
      });
      tx.create(Participant, { tenant, session, user: tx.getReference(User, customerId), role: ParticipantRole.CUSTOMER });
      await queueIfAutoAssigned(tx, session);
      await tx.flush();
      const event = await appendEvent(tx, placeOf(session), { type: 'session.created', payload: { session: sessionDto(session) } });
      return { session, events: [event] };
    });
    this.publish(events);
    return this.afterQueueing(session);
  }

  /** A session that may have joined the queue: drain it, then answer with the session as it now is (assigned, or queued). */
  private async afterQueueing(session: ChatSession): Promise<ChatSession> {
    if (!session.queuedAt) {
      await this.scope.em.populate(session, POPULATE);
      return session;
    }
    await this.drainQueue();
    return this.scope.em.findOneOrFail(ChatSession, { id: session.id }, { populate: POPULATE, refresh: true });
  }

  /** Admins: ends the session (its agent's capacity frees). */
  async close(sessionId: string): Promise<ChatSession> {
    requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    return this.step(sessionId, SessionAction.CLOSED, async (tx, session) => {
      if (session.status === SessionStatus.CLOSED) throw conflict('SESSION_CLOSED', 'The session is already closed');
      const now = deskDate();
      // A snoozed session closes too: its snooze ends here and its wake timer is cancelled.
      if (session.status === SessionStatus.SNOOZED) await endSnooze(tx, session, 'CLOSED', now);
      return closeInPlace(session, now);
    });
  }

  /** Admins: gives an unassigned support session to a staff member (409 ALREADY_ASSIGNED when it has one: use transfer). */
  async assign(sessionId: string, agentIdArg: string): Promise<ChatSession> {
    requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const agentId = parseId(agentIdArg, 'agentId');
    return this.step(sessionId, SessionAction.ASSIGNED, async (tx, session) => {
      assignable(session);
      if (session.agent) throw conflict('ALREADY_ASSIGNED', 'The session is already assigned');
      const agent = await findAgent(tx, agentId, [UserRole.STAFF]);
      await joinAsAgent(tx, session, agent);
      session.queuedAt = null;
      return ['agent'];
    });
  }

  /**
   * Hands an assigned support session to another staff member or admin of the tenant: by an
   * admin, or by the agent who holds it. The old agent loses access (their streams of it end
   * FORBIDDEN on this very event), the new one gains it.
   */
  async transfer(sessionId: string, agentIdArg: string): Promise<ChatSession> {
    const user = requireSupportStaff(this.scope.viewer);
    const agentId = parseId(agentIdArg, 'agentId');
    return this.step(sessionId, SessionAction.TRANSFERRED, async (tx, session) => {
      holdsOrAdmin(user, session);
      assignable(session);
      if (!session.agent) throw conflict('SESSION_UNASSIGNED', 'The session has no agent to transfer from; use assignAgent');
      const agent = await findAgent(tx, agentId, [UserRole.STAFF, UserRole.ADMIN]);
      if (agent.id === session.agent.id) throw conflict('ALREADY_ASSIGNED', 'The session is already assigned to this agent');
      await leaveAsAgent(tx, session, session.agent.id);
      await joinAsAgent(tx, session, agent);
      return ['agent'];
    });
  }

  /**
   * Puts an assigned support session back in the unassigned queue: by an admin, or by the agent
   * who holds it. A customer who was waiting keeps waiting (`waitingSince` stays, so the wait is
   * measured from when it began, not from the unassignment); `firstResponseAt` stays too.
   */
  async unassign(sessionId: string): Promise<ChatSession> {
    const user = requireSupportStaff(this.scope.viewer);
    return this.step(sessionId, SessionAction.UNASSIGNED, async (tx, session) => {
      holdsOrAdmin(user, session);
      assignable(session);
      if (!session.agent) throw conflict('SESSION_UNASSIGNED', 'The session has no agent');
      await leaveAsAgent(tx, session, session.agent.id);
      session.agent = null;
      // With auto-assignment on, it waits in the queue for the next free agent (drained after commit).
      await queueIfAutoAssigned(tx, session);
      return ['agent'];
    });
  }

  /**
   * A closed session becomes ACTIVE again (endedAt cleared), keeping its agent: by an admin, or by
   * the agent it was assigned to. Nobody is waiting until the customer writes again. A reopened
   * session is no longer "ended", so it is not CSAT-eligible until it is closed again.
   */
  async reopen(sessionId: string): Promise<ChatSession> {
    const user = requireSupportStaff(this.scope.viewer);
    return this.step(sessionId, SessionAction.REOPENED, async (tx, session) => {
      holdsOrAdmin(user, session);
      if (session.status !== SessionStatus.CLOSED) throw conflict('SESSION_NOT_CLOSED', 'Only a closed session can be reopened');
      Object.assign(session, { status: SessionStatus.ACTIVE, endedAt: null, waitingSince: null });
      // Closed while unassigned: with auto-assignment on it queues like a new session.
      await queueIfAutoAssigned(tx, session);
      return ['status'];
    });
  }

  /**
   * Sets a support session aside until `until` (in the future, at most a year ahead): an admin, or
   * the agent who holds it. It is SNOOZED with `snoozedUntil`, keeps its agent, and wakes (ACTIVE
   * again, one `session.updated` with action WOKE) when `until` passes or its customer writes,
   * whichever comes first (sessions/snooze.ts). Snoozing a snoozed session moves `until`; a closed
   * one is refused (SESSION_CLOSED).
   */
  async snooze(sessionId: string, untilArg: Date): Promise<ChatSession> {
    const user = requireSupportStaff(this.scope.viewer);
    const until = snoozeUntil(untilArg, deskNow());
    return this.step(sessionId, SessionAction.SNOOZED, async (tx, session) => {
      holdsOrAdmin(user, session);
      if (session.kind !== SessionKind.SUPPORT) throw badInput('sessionId', 'Only support sessions can be snoozed', 'NOT_ASSIGNABLE');
      if (session.status === SessionStatus.CLOSED) throw conflict('SESSION_CLOSED', 'A closed session cannot be snoozed; reopen it first');
      return snoozeInPlace(tx, session, until, deskDate());
    });
  }

  /** Wakes a snoozed session by hand (admins, or the agent who holds it): ACTIVE again, its timer cancelled. */
  async unsnooze(sessionId: string): Promise<ChatSession> {
    const user = requireSupportStaff(this.scope.viewer);
    return this.step(
      sessionId,
      SessionAction.WOKE,
      async (tx, session) => {
        holdsOrAdmin(user, session);
        if (session.status !== SessionStatus.SNOOZED) throw conflict('SESSION_NOT_SNOOZED', 'The session is not snoozed');
        return wakeInPlace(tx, session, 'STAFF', deskDate());
      },
      { wokenBy: 'STAFF' },
    );
  }

  /**
   * Changes what describes a support session: its priority (which orders the auto-assignment
   * queue), tags and subject, by an admin or the agent who holds it. Only what is given changes;
   * `subject: ""` clears it. One `session.updated` names the changes; nothing changed, no event.
   */
  async update(sessionId: string, input: SessionUpdateInput): Promise<ChatSession> {
    const user = requireSupportStaff(this.scope.viewer);
    const tags = input.tags === null || input.tags === undefined ? undefined : normaliseTags(input.tags);
    const subject = input.subject === null || input.subject === undefined ? undefined : input.subject.trim() === '' ? null : optionalName(input.subject, 'subject', MAX_SUBJECT_LENGTH);
    const priority = input.priority ?? undefined;
    return this.step(sessionId, undefined, async (_tx, session) => {
      holdsOrAdmin(user, session);
      if (session.kind !== SessionKind.SUPPORT) throw badInput('sessionId', 'Only support sessions have a priority, tags and a subject to update', 'NOT_ASSIGNABLE');
      const changes: SessionChange[] = [];
      if (priority !== undefined && priority !== session.priority) {
        session.priority = priority;
        changes.push('priority');
      }
      if (tags !== undefined && (tags.length !== session.tags.length || tags.some((tag, i) => tag !== session.tags[i]))) {
        session.tags = tags;
        changes.push('tags');
      }
      if (subject !== undefined && subject !== session.subject) {
        session.subject = subject;
        changes.push('subject');
      }
      return changes;
    });
  }

  /**
   * Every workflow step (assign, transfer, unassign, close, reopen) goes through here: the session
   * row locked, the change, one `session.updated` with `action` and the previous agent in the same
   * transaction, publish after commit, then a drain when an agent let go of a session (reactions
   * see the same event: the auto-assignment reaction drains even if this node dies first).
   */
  private async step(
    sessionIdArg: string,
    action: SessionAction | undefined,
    change: (tx: Db, session: ChatSession) => Promise<SessionChange[]>,
    extra: Pick<EventPayloads['session.updated'], 'wokenBy'> = {},
  ): Promise<ChatSession> {
    const { em, viewer } = this.scope;
    const id = await sessionIdFrom(em, sessionIdArg, 'sessionId');
    const { session, event, previousAgentId } = await em.transactional(async (tx) => {
      const session = await loadAccessibleSession(tx, viewer, id, true);
      const previousAgentId = session.agent?.id ?? null;
      const changes = await change(tx, session);
      // An update that changed nothing is no event (a workflow step always changes something).
      if (changes.length === 0) return { session, event: null, previousAgentId };
      session.updatedAt = deskDate();
      await tx.flush();
      const actorId = viewer.kind === 'user' ? viewer.userId : null;
      const workflow = action === undefined ? {} : { action, previousAgentId, actorId };
      const event = await appendEvent(tx, placeOf(session), { type: 'session.updated', payload: { session: sessionDto(session), changes, ...workflow, ...extra } });
      return { session, event, previousAgentId };
    });
    if (event) this.publish([event]);
    const released = previousAgentId !== null && (action === SessionAction.CLOSED || action === SessionAction.UNASSIGNED || action === SessionAction.TRANSFERRED);
    // Freed capacity or a newly queued session: auto-assignment places what waits (never throws).
    if (released || session.queuedAt) await this.drainQueue();
    await em.populate(session, POPULATE);
    return session;
  }

  /**
   * Opens a guest session in the viewer's tenant, or returns the one already opened with the
   * same key. The unique (tenant, session_key) index decides races: concurrent callers all
   * end up with the same session and exactly one of them sees `created: true`.
   */
  async createGuest(input: GuestSessionInput): Promise<GuestSessionResult> {
    const { em, viewer } = this.scope;
    const fields = validateGuest(input);
    await this.countKeyUse(fields.sessionKey);
    let created = true;
    let session: ChatSession;
    let guest: Participant;
    try {
      let event: PublishedEvent;
      ({ session, guest, event } = await insertGuestSession(em.fork(), viewer.tenantId, fields));
      this.publish([event]);
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      created = false;
      const existing = await em.findOne(ChatSession, { sessionKey: fields.sessionKey });
      const customer = existing && (await em.findOne(Participant, { session: existing, user: null, role: ParticipantRole.CUSTOMER }));
      // Not the driver's error: its message quotes the key, a credential, into the log.
      if (!existing || !customer) throw new Error('A guest session key conflicted, but no guest session has it');
      session = existing;
      guest = customer;
    }
    if (created && session.queuedAt) await this.drainQueue();
    const history = created ? [] : await this.latestMessages(session);
    const token = await this.deps.tokens.issueGuestToken(guest.id, viewer.tenantId, session.id);
    const reloaded = await em.findOneOrFail(ChatSession, { id: session.id }, { populate: POPULATE });
    return { session: reloaded, created, revealContact: created, token, guestId: guest.id, history };
  }

  private async latestMessages(session: ChatSession): Promise<MessageView[]> {
    const { em } = this.scope;
    const rows = await em.find(ChatMessage, { session }, { orderBy: { id: 'desc' }, limit: GUEST_HISTORY_LIMIT, populate: ['sender.user', 'attachments'] });
    const watermarks = new WatermarkView(await em.find(Participant, { session }, { populate: ['user'] }));
    return rows.reverse().map((message) => watermarks.view(messageRecordOf(message)));
  }

  private publish(events: PublishedEvent[]): void {
    this.deps.events.publish(events);
  }
}
