import type { Db, Orm } from '../db/orm.js';
import { appendEvent, type EventBus, type PublishedEvent } from '../events/event-bus.js';
import { SLA_METRICS, type SlaMetric } from '../model/event-contract.js';
import { ChatSession } from '../model/session.entity.js';
import type { Reaction } from '../reactions/reaction.js';
import { cancel, schedule } from '../reactions/timers.js';
import { sessionDto } from '../sessions/session.dto.js';
import { deskNow } from '../shared/desk-clock.js';
import { SenderType, SessionKind, SessionStatus } from '../shared/enums.js';
import type { Clock, SlaAlertKind } from './sla-clock.js';
import { sessionSlaState } from './sla-state.js';

export const SLA_REACTION = 'sla';
const clockKey = (sessionId: string, metric: SlaMetric) => `${sessionId}:${metric}`;
/** Re-evaluates one session now (applySlaPolicy). */
export const sessionKey = (sessionId: string) => `${sessionId}:evaluate`;
/** Re-evaluates every open support session of a tenant now (a policy created, changed or deleted). */
export const tenantKey = (tenantId: string) => `tenant:${tenantId}`;

/** How many open sessions a policy change re-evaluates per batch. */
const RETARGET_BATCH = 200;

/**
 * SLA clocks (docs/desk.md, "SLA policies"). Every event that can move a clock (a customer
 * message or support reply, a session created, its priority or status changed) re-evaluates the
 * session: its clocks are recomputed (sla-state.ts), each threshold already reached and not yet
 * recorded becomes one `sla.warning` / `sla.breached` event, and one durable timer per session and
 * metric is set to the next threshold still ahead (or cancelled). A timer firing does the same
 * evaluation, so a timer that is early, late, stale or run twice changes nothing: the alert's
 * `sla_alerts` row (session, metric, kind, cycle) is written in the transaction of its event, and
 * a second writer finds it taken.
 */
export function slaReaction(orm: Orm, events: EventBus, now: () => number = deskNow): Reaction {
  const evaluate = (tenantId: string, sessionId: string) => evaluateSession(orm.em.fork(), events, tenantId, sessionId, now());
  return {
    name: SLA_REACTION,
    events: ['message.created', 'session.created', 'session.updated'],
    async handle(event) {
      if (event.type === 'message.created') {
        const message = event.payload.message;
        if (message.private === true || message.automatic === true) return;
        if (message.senderType !== SenderType.USER && message.senderType !== SenderType.SUPPORT) return;
      } else if (event.type === 'session.updated') {
        if (!event.payload.changes.some((change) => change === 'priority' || change === 'status')) return;
      } else if (event.type !== 'session.created') return;
      if (event.type !== 'message.created' && event.payload.session.kind !== SessionKind.SUPPORT) return;
      await evaluate(event.tenantId, event.sessionId);
    },
    async fire(timer) {
      const tenantId = timer.tenantId;
      if (tenantId === null) return;
      const { sessionId, after }: { sessionId?: unknown; after?: unknown } = timer.payload;
      if (typeof sessionId === 'string') {
        await evaluate(tenantId, sessionId);
        return;
      }
      // A policy change: every open support session, a batch per run (the timer moves on to the next batch).
      const em = orm.em.fork();
      const from = typeof after === 'string' ? after : '0';
      // Open sessions: ACTIVE and SNOOZED (a snoozed one's clocks are paused, but its breaches so far count).
      const rows = await em.execute<{ id: string }[]>(`select id::text as id from chat_sessions where tenant_id = ? and kind = ? and status <> ? and id > ? order by id limit ?`, [
        tenantId,
        SessionKind.SUPPORT,
        SessionStatus.CLOSED,
        from,
        RETARGET_BATCH,
      ]);
      for (const row of rows) await evaluate(tenantId, row.id);
      const last = rows[rows.length - 1];
      if (rows.length === RETARGET_BATCH && last) await schedule(em, { reaction: SLA_REACTION, key: timer.key, at: new Date(now()), tenantId, payload: { after: last.id } });
    },
  };
}

/** First key of the two-key advisory lock: the SLA evaluation of one session (the second key). */
const SLA_LOCK_CLASS = 0x534c; // "SL"
/** The session's id as the lock's second key (an int4; ids beyond it share keys, which only serialises more). */
const lockKeyOf = (sessionId: string): number => Number(BigInt(sessionId) % 2_147_483_647n);

/**
 * Records what a session's clocks reached, sets its timers to what comes next and stores its
 * nearest due time. One evaluation of a session at a time (a timer and an event may meet, on two
 * nodes): the later one reads the history the earlier one committed, so the stored due time is
 * never an older history's. Its events go out once committed. A tenant without policies, whose
 * session has no due time stored, has nothing to keep in step: that common case (every message
 * of such a tenant passes here) takes no lock and no transaction, which on PGlite would stall
 * every other query meanwhile.
 */
export async function evaluateSession(em: Db, events: EventBus, tenantId: string, sessionId: string, now: number): Promise<void> {
  const [inUse] = await em.execute<{ used: boolean }[]>(
    `select exists (select 1 from sla_policies where tenant_id = ?) or exists (select 1 from chat_sessions where id = ? and tenant_id = ? and sla_due_at is not null) as used`,
    [tenantId, sessionId, tenantId],
  );
  const published = !inUse?.used
    ? await evaluateHeld(em, tenantId, sessionId, now)
    : await em.transactional(async (tx) => {
        await tx.execute('select pg_advisory_xact_lock(?, ?)', [SLA_LOCK_CLASS, lockKeyOf(sessionId)]);
        return evaluateHeld(tx, tenantId, sessionId, now);
      });
  if (published.length > 0) events.publish(published);
}

/** The evaluation itself, on `em` as the caller holds it (the lock, or nothing to race for). */
async function evaluateHeld(em: Db, tenantId: string, sessionId: string, now: number): Promise<PublishedEvent[]> {
  const state = await sessionSlaState(em, tenantId, sessionId, now);
  const clocks = new Map<SlaMetric, Clock>((state?.clocks ?? []).map((clock) => [clock.metric, clock]));
  const published: PublishedEvent[] = [];
  for (const metric of SLA_METRICS) {
    const clock = clocks.get(metric);
    if (!state || !clock) {
      await cancel(em, SLA_REACTION, clockKey(sessionId, metric));
      continue;
    }
    for (const [kind, at] of [
      ['WARNING', clock.warningAt],
      ['BREACH', clock.dueAt],
    ] as const) {
      const dueAt = clock.dueAt ?? clock.projectedDueAt;
      if (at === null || at > now || dueAt === null) continue;
      const event = await recordAlert(em, tenantId, sessionId, { kind, metric, at, dueAt, cycle: clock.cycle, policyId: state.policy.id });
      if (event) published.push(event);
    }
    const next = clock.running ? [clock.warningAt, clock.dueAt].find((at): at is number => at !== null && at > now) : undefined;
    if (next === undefined) await cancel(em, SLA_REACTION, clockKey(sessionId, metric));
    else await schedule(em, { reaction: SLA_REACTION, key: clockKey(sessionId, metric), at: new Date(next), tenantId, payload: { sessionId } });
  }
  await storeNearestDue(em, tenantId, sessionId, nearestRunningDue(state?.clocks ?? []));
  return published;
}

/**
 * The due time the inbox's SLA_DUE order sorts by: the earliest of the running clocks (one
 * already overdue included, so the most overdue comes first); null when none runs (met, paused,
 * closed or no policy). Only here, where every change that can move a clock passes, is it known.
 */
function nearestRunningDue(clocks: readonly Clock[]): number | null {
  const due = clocks.filter((clock) => clock.running && clock.dueAt !== null).map((clock) => clock.dueAt!);
  return due.length === 0 ? null : Math.min(...due);
}

/** Writes `chat_sessions.sla_due_at` only when it moved: most evaluations leave it as it was. */
async function storeNearestDue(em: Db, tenantId: string, sessionId: string, dueAt: number | null): Promise<void> {
  const at = dueAt === null ? null : new Date(dueAt).toISOString();
  await em.execute(`update chat_sessions set sla_due_at = ?::timestamptz where id = ? and tenant_id = ? and sla_due_at is distinct from ?::timestamptz`, [at, sessionId, tenantId, at]);
}

interface Alert {
  kind: SlaAlertKind;
  metric: SlaMetric;
  at: number;
  dueAt: number;
  cycle: string;
  policyId: string;
}

/** One alert, once: its `sla_alerts` row and its outbox event in one transaction; null when it was recorded already. */
async function recordAlert(em: Db, tenantId: string, sessionId: string, alert: Alert): Promise<PublishedEvent | null> {
  return em.transactional(async (tx) => {
    const claimed = await tx.execute<{ metric: string }[]>(
      `insert into sla_alerts (session_id, metric, kind, cycle, tenant_id, at, policy_id) values (?, ?, ?, ?, ?, ?::timestamptz, ?)
       on conflict do nothing returning metric`,
      [sessionId, alert.metric, alert.kind, alert.cycle, tenantId, new Date(alert.at).toISOString(), alert.policyId],
    );
    if (claimed.length === 0) return null;
    const session = await tx.findOneOrFail(ChatSession, { id: sessionId, tenant: tenantId }, { filters: false });
    return appendEvent(
      tx,
      { tenantId, sessionId },
      {
        type: alert.kind === 'WARNING' ? 'sla.warning' : 'sla.breached',
        payload: {
          session: sessionDto(session),
          metric: alert.metric,
          dueAt: new Date(alert.dueAt).toISOString(),
          at: new Date(alert.at).toISOString(),
          policyId: alert.policyId,
          cycle: alert.cycle,
        },
      },
    );
  });
}
