import { LockMode } from '@mikro-orm/core';
import type { Db } from '../db/orm.js';
import { appendEvent, type PublishedEvent, placeOf } from '../events/event-bus.js';
import type { SessionChange, WakeCause } from '../model/event-contract.js';
import { ChatSession } from '../model/session.entity.js';
import { cancel, schedule } from '../reactions/timers.js';
import { deskDate } from '../shared/desk-clock.js';
import { SessionAction, SessionStatus } from '../shared/enums.js';
import { badInput } from '../shared/errors.js';
import { sessionDto } from './session.dto.js';

/**
 * Snooze (docs/desk.md, "Snooze"): staff set a session aside until a time. The rules live here so
 * every path that ends a snooze (its timer, a customer message in the send transaction, staff
 * waking it, a close) does it the same way, under the session's row lock:
 * - the session is SNOOZED with `snoozedUntil`, and one open `session_snoozes` row (the history
 *   SLA clocks cut out of their running time) until it ends;
 * - a wake is one `session.updated` (action WOKE, changes status and snoozedUntil), recorded only
 *   by whoever finds the session still SNOOZED under the lock: the timer and a customer message
 *   racing each other yield one wake, and the loser changes nothing;
 * - the wake timer is cancelled in the transaction that ends the snooze.
 */

/** The reaction whose durable timer wakes snoozed sessions (sessions/snooze.reaction.ts). */
export const SNOOZE_REACTION = 'snooze';
export const snoozeTimerKey = (sessionId: string): string => `session:${sessionId}`;
/** The longest snooze: a year. */
export const MAX_SNOOZE_MS = 365 * 24 * 3600_000;

/** `until` as a snooze may take it: a valid time after `now`, at most MAX_SNOOZE_MS ahead. */
export function snoozeUntil(until: Date, now: number): Date {
  const at = until instanceof Date ? until.getTime() : Number.NaN;
  if (Number.isNaN(at)) throw badInput('until', 'until must be a date-time');
  if (at <= now) throw badInput('until', 'until must be in the future', 'SNOOZE_NOT_IN_FUTURE');
  if (at - now > MAX_SNOOZE_MS) throw badInput('until', 'until may be at most 365 days ahead', 'SNOOZE_TOO_LONG');
  return new Date(at);
}

/**
 * Snoozes a session (the caller holds its row lock and checked who may): a new snooze, or, when it
 * is snoozed already, the same snooze moved to `until`. Its wake timer is (re)set in the same
 * transaction, so it exists exactly when the snooze committed.
 */
export async function snoozeInPlace(tx: Db, session: ChatSession, until: Date, now: Date): Promise<SessionChange[]> {
  const tenantId = session.tenant.id;
  if (session.status === SessionStatus.SNOOZED) {
    await tx.execute('update session_snoozes set until = ? where session_id = ? and tenant_id = ? and woke_at is null', [until, session.id, tenantId]);
  } else {
    await tx.execute('insert into session_snoozes (tenant_id, session_id, snoozed_at, until) values (?, ?, ?, ?)', [tenantId, session.id, now, until]);
  }
  const changes: SessionChange[] = session.status === SessionStatus.SNOOZED ? ['snoozedUntil'] : ['status', 'snoozedUntil'];
  session.status = SessionStatus.SNOOZED;
  session.snoozedUntil = until;
  await schedule(tx, { reaction: SNOOZE_REACTION, key: snoozeTimerKey(session.id), at: until, tenantId, payload: { sessionId: session.id } });
  return changes;
}

/**
 * Ends the session's snooze (the caller holds its row lock): closes its history row and cancels
 * its timer. `status` is the caller's to set: ACTIVE for a wake, CLOSED for a close.
 */
export async function endSnooze(tx: Db, session: ChatSession, cause: WakeCause | 'CLOSED', now: Date): Promise<void> {
  await tx.execute('update session_snoozes set woke_at = ?, woken_by = ? where session_id = ? and tenant_id = ? and woke_at is null', [now, cause, session.id, session.tenant.id]);
  await cancel(tx, SNOOZE_REACTION, snoozeTimerKey(session.id));
  session.snoozedUntil = null;
}

/** A snoozed session (row locked by the caller) becomes ACTIVE again. */
export async function wakeInPlace(tx: Db, session: ChatSession, cause: WakeCause, now: Date): Promise<SessionChange[]> {
  await endSnooze(tx, session, cause, now);
  session.status = SessionStatus.ACTIVE;
  session.updatedAt = now;
  return ['status', 'snoozedUntil'];
}

/**
 * Wakes the session inside the caller's transaction, on the desk's behalf (its timer came, or its
 * customer wrote): locks the row, and when it is still SNOOZED (and, for the timer, its time has
 * come) records the wake event. Null when there was nothing to wake.
 */
export async function wakeInTransaction(tx: Db, tenantId: string, sessionId: string, cause: Exclude<WakeCause, 'STAFF'>, now = deskDate()): Promise<PublishedEvent | null> {
  const session = await tx.findOne(ChatSession, { id: sessionId, tenant: tenantId }, { filters: false, lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  if (!session || session.status !== SessionStatus.SNOOZED) return null;
  // A timer run that lost a race with "snooze again" (moved later), or a timer a clock skew fired
  // early: the timer is set (again) to the wake time, so the session is never left asleep.
  if (cause === 'TIMER' && session.snoozedUntil !== null && session.snoozedUntil.getTime() > now.getTime()) {
    await schedule(tx, { reaction: SNOOZE_REACTION, key: snoozeTimerKey(session.id), at: session.snoozedUntil, tenantId, payload: { sessionId } });
    return null;
  }
  const changes = await wakeInPlace(tx, session, cause, now);
  await tx.flush();
  return appendEvent(tx, placeOf(session), {
    type: 'session.updated',
    payload: { session: sessionDto(session), changes, action: SessionAction.WOKE, previousAgentId: session.agent?.id ?? null, actorId: null, wokenBy: cause },
  });
}

/** One snooze as history: [snoozedAt, wokeAt), wokeAt null while it lasts. */
export interface SnoozeInterval {
  from: number;
  to: number | null;
}

/** The session's snoozes in order (what SLA clocks pause for). */
export async function snoozesOf(db: Db, tenantId: string, sessionId: string): Promise<SnoozeInterval[]> {
  const rows = await db.execute<{ snoozed_at: Date | string; woke_at: Date | string | null }[]>(
    'select snoozed_at, woke_at from session_snoozes where session_id = ? and tenant_id = ? order by snoozed_at, id',
    [sessionId, tenantId],
  );
  return rows.map((row) => ({ from: new Date(row.snoozed_at).getTime(), to: row.woke_at === null ? null : new Date(row.woke_at).getTime() }));
}
