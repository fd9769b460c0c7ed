import type { Db } from '../db/orm.js';
import { streamRows } from '../db/stream-rows.js';
import { loadSchedule } from '../hours/business-hours.service.js';
import type { Schedule } from '../hours/schedule.js';
import { SLA_METRICS, type SlaMetric } from '../model/event-contract.js';
import type { SnoozeInterval } from '../sessions/snooze.js';
import { type Priority, type SenderType, SessionKind } from '../shared/enums.js';
import { type ClockMessage, clockCyclesOf } from './sla-clock.js';
import { CLOCK_MESSAGES, clockMessage, clockSession, policyFor, type SessionClockRow, tenantPolicies } from './sla-state.js';

/**
 * SLA outcomes for reports: `stats`' attainment and the SLA export read the same rows
 * (docs/desk.md, "SLA policies" and "Report exports"). The unit is one clock cycle: a session's
 * first response, its resolution, and each of its next-response waits (the cycles `sla_alerts`
 * keys its rows by). A cycle is
 * - BREACHED when an `sla_alerts` BREACH row exists for it (what `Session.sla.breaches` lists),
 *   decided at the row's `at`; the row is the record, so it counts even when the policy changed
 *   since;
 * - MET when its stop event (the first reply, the reply that ended the wait, the close) happened
 *   and its clock had not reached the due time by then, decided at the stop event;
 * - RUNNING otherwise: counting, or (resolution) paused while waiting on the customer.
 * A cycle that stopped after its due time but whose breach the `sla` reaction has not recorded
 * yet (it does so within moments of the stop) is none of these until it has.
 * Clocks are recomputed from the session's messages under the policy that applies now
 * (sla-clock.ts), exactly as `Session.sla` and the reaction compute them.
 */

export type SlaOutcomeState = 'MET' | 'BREACHED' | 'RUNNING';

export interface SlaOutcome {
  sessionId: string;
  /** The session's own reference (a guest session's key), if any. */
  reference: string | null;
  priority: Priority;
  /** The policy that applies to the session now (null: none applies, yet a breach was recorded under one). */
  policyName: string | null;
  metric: SlaMetric;
  /** '0' for first response and resolution, the wait's start (ISO) for next response. */
  cycle: string;
  startedAt: Date;
  stoppedAt: Date | null;
  /** When the clock is due (running), was due (breached), or would have been (met); null while paused. */
  dueAt: Date | null;
  state: SlaOutcomeState;
  breachedAt: Date | null;
  /** The session's agent: outcomes count for the agent the session is assigned to, as every stats number does. */
  agentId: string | null;
  agentName: string | null;
}

export interface SlaReportRange {
  tenantId: string;
  /** Inclusive; null: unbounded. */
  from: Date | null;
  /** Exclusive; null: unbounded. */
  to: Date | null;
  /** One agent's sessions only. */
  agentId?: string | null;
}

/** How many sessions one batch recomputes (one statement each for their rows, messages and breaches). */
export const SLA_REPORT_BATCH_SESSIONS = 200;

interface SessionRow extends SessionClockRow {
  id: string;
  session_key: string | null;
  agent_id: string | null;
  agent_name: string | null;
}

const inRange = (at: number, { from, to }: SlaReportRange) => (from === null || at >= from.getTime()) && (to === null || at < to.getTime());

/**
 * The support sessions that may have a cycle decided, or started, in the range, in id order:
 * those started or closed in it, with a customer message or support reply in it, or with a
 * breach recorded in it. Each source is an index range (`(tenant_id, started_at)`,
 * `(tenant_id, ended_at)`, `(tenant_id, created_at, id)` on messages, `(tenant_id, kind, at)` on
 * alerts); the list holds session ids only, so its size follows sessions, not messages.
 */
async function candidateSessions(db: Db, range: SlaReportRange): Promise<string[]> {
  const { tenantId, from, to } = range;
  const bounds = (column: string): [string, unknown[]] => {
    const parts: string[] = [];
    const params: unknown[] = [];
    if (from !== null) {
      parts.push(`${column} >= ?`);
      params.push(from);
    }
    if (to !== null) {
      parts.push(`${column} < ?`);
      params.push(to);
    }
    return [parts.length ? ` and ${parts.join(' and ')}` : '', params];
  };
  const [started, startedParams] = bounds('s.started_at');
  const [ended, endedParams] = bounds('s.ended_at');
  const [written, writtenParams] = bounds('m.created_at');
  const [breached, breachedParams] = bounds('a.at');
  const agent = range.agentId ? ' and s.agent_id = ?' : '';
  const agentParams = range.agentId ? [range.agentId] : [];
  const rows = await db.execute<{ id: string }[]>(
    `select c.id::text as id from (
       select s.id from chat_sessions s where s.tenant_id = ?${started}
       union select s.id from chat_sessions s where s.tenant_id = ? and s.ended_at is not null${ended}
       union select m.session_id from chat_messages m where m.tenant_id = ? and ${CLOCK_MESSAGES.where}${written}
       union select a.session_id from sla_alerts a where a.tenant_id = ? and a.kind = 'BREACH'${breached}
     ) c join chat_sessions s on s.id = c.id
     where s.tenant_id = ? and s.kind = ?${agent}
     order by c.id`,
    [tenantId, ...startedParams, tenantId, ...endedParams, tenantId, ...CLOCK_MESSAGES.params, ...writtenParams, tenantId, ...breachedParams, tenantId, SessionKind.SUPPORT, ...agentParams],
  );
  return rows.map((row) => row.id);
}

/**
 * Every cycle of the sessions in the range that was decided in it (`decided`), or, with
 * `running`, that started in it and is not decided yet; per session in id order, per metric and
 * cycle within one. Read in batches of `SLA_REPORT_BATCH_SESSIONS` sessions, each batch its own
 * statements, so one batch of messages is in memory at a time.
 */
export async function* slaOutcomes(db: Db, range: SlaReportRange, now: number, options: { running: boolean }): AsyncGenerator<SlaOutcome[]> {
  const ids = await candidateSessions(db, range);
  if (ids.length === 0) return;
  const policies = await tenantPolicies(db, range.tenantId);
  let schedule: Schedule | null | undefined;
  for (let at = 0; at < ids.length; at += SLA_REPORT_BATCH_SESSIONS) {
    const batch = ids.slice(at, at + SLA_REPORT_BATCH_SESSIONS);
    const sessions = await db.execute<SessionRow[]>(
      `select s.id::text as id, s.session_key, s.kind, s.priority, s.started_at, s.ended_at, s.sla_policy_id::text as sla_policy_id,
              s.agent_id::text as agent_id, u.display_name as agent_name
         from chat_sessions s left join users u on u.tenant_id = s.tenant_id and u.id = s.agent_id
        where s.tenant_id = ? and s.id in (?) order by s.id`,
      [range.tenantId, batch],
    );
    // Streamed into the clocks' compact form (a side and an instant per message): a long session's rows are never held as a batch.
    const messagesOf = new Map<string, ClockMessage[]>();
    for await (const row of streamRows<{ session_id: string; sender_type: SenderType; created_at: Date | string }>(
      db,
      `select m.session_id::text as session_id, m.sender_type, m.created_at from chat_messages m
        where m.tenant_id = ? and m.session_id in (?) and ${CLOCK_MESSAGES.where} order by m.session_id, m.id`,
      [range.tenantId, batch, ...CLOCK_MESSAGES.params],
    )) {
      const list = messagesOf.get(row.session_id);
      if (list) list.push(clockMessage(row));
      else messagesOf.set(row.session_id, [clockMessage(row)]);
    }
    // Snoozes pause every clock (sla-clock.ts), in reports as in Session.sla.
    const snoozesOf = groupBy(
      await db.execute<{ session_id: string; snoozed_at: Date | string; woke_at: Date | string | null }[]>(
        `select z.session_id::text as session_id, z.snoozed_at, z.woke_at from session_snoozes z where z.tenant_id = ? and z.session_id in (?) order by z.session_id, z.snoozed_at, z.id`,
        [range.tenantId, batch],
      ),
      (row) => row.session_id,
      (row): SnoozeInterval => ({ from: new Date(row.snoozed_at).getTime(), to: row.woke_at === null ? null : new Date(row.woke_at).getTime() }),
    );
    const breaches = await db.execute<{ session_id: string; metric: SlaMetric; cycle: string; at: Date | string }[]>(
      `select a.session_id::text as session_id, a.metric, a.cycle, a.at from sla_alerts a where a.tenant_id = ? and a.session_id in (?) and a.kind = 'BREACH'`,
      [range.tenantId, batch],
    );
    const breachesOf = groupBy(
      breaches,
      (row) => row.session_id,
      (row) => row,
    );
    if (schedule === undefined && sessions.some((session) => policyFor(session, policies)?.businessHoursOnly)) schedule = await loadSchedule(db, range.tenantId);
    const outcomes: SlaOutcome[] = [];
    for (const session of sessions) {
      const policy = policyFor(session, policies);
      const base = {
        sessionId: session.id,
        reference: session.session_key,
        priority: session.priority,
        policyName: policy?.name ?? null,
        agentId: session.agent_id,
        agentName: session.agent_name,
      };
      const cycles = policy ? clockCyclesOf(clockSession(session, messagesOf.get(session.id) ?? [], snoozesOf.get(session.id) ?? []), policy, schedule ?? null, now) : [];
      const recorded = new Map((breachesOf.get(session.id) ?? []).map((row) => [`${row.metric} ${row.cycle}`, new Date(row.at)]));
      const found: SlaOutcome[] = [];
      for (const cycle of cycles) {
        const breachedAt = recorded.get(`${cycle.metric} ${cycle.cycle}`) ?? null;
        recorded.delete(`${cycle.metric} ${cycle.cycle}`);
        const state: SlaOutcomeState | null = breachedAt !== null ? 'BREACHED' : cycle.stoppedAt === null ? 'RUNNING' : cycle.dueAt === null ? 'MET' : null;
        if (state === null) continue;
        const decidedAt = state === 'BREACHED' ? breachedAt!.getTime() : cycle.stoppedAt;
        const wanted = decidedAt !== null ? inRange(decidedAt, range) : options.running && inRange(cycle.startedAt, range);
        if (!wanted) continue;
        found.push({
          ...base,
          metric: cycle.metric,
          cycle: cycle.cycle,
          startedAt: new Date(cycle.startedAt),
          stoppedAt: cycle.stoppedAt === null ? null : new Date(cycle.stoppedAt),
          dueAt: breachedAt ?? instant(state === 'MET' ? cycle.projectedDueAt : cycle.dueAt),
          state,
          breachedAt,
        });
      }
      // Breaches recorded for a cycle the clocks no longer have (the policy's target was removed since): still breaches.
      for (const [key, breachedAt] of recorded) {
        if (!inRange(breachedAt.getTime(), range)) continue;
        const [metric, cycle] = key.split(' ') as [SlaMetric, string];
        const startedAt = cycle === '0' ? new Date(session.started_at) : new Date(cycle);
        found.push({ ...base, metric, cycle, startedAt, stoppedAt: null, dueAt: breachedAt, state: 'BREACHED', breachedAt });
      }
      found.sort((a, b) => SLA_METRICS.indexOf(a.metric) - SLA_METRICS.indexOf(b.metric) || a.startedAt.getTime() - b.startedAt.getTime());
      outcomes.push(...found);
    }
    if (outcomes.length > 0) yield outcomes;
  }
}

const instant = (at: number | null) => (at === null ? null : new Date(at));

function groupBy<Row, Value>(rows: readonly Row[], key: (row: Row) => string, value: (row: Row) => Value): Map<string, Value[]> {
  const groups = new Map<string, Value[]>();
  for (const row of rows) {
    const group = groups.get(key(row));
    if (group) group.push(value(row));
    else groups.set(key(row), [value(row)]);
  }
  return groups;
}

/** Met and breached cycles of one metric; `ratio` is met / (met + breached), null when nothing was decided. */
export interface SlaAttainment {
  metric: SlaMetric;
  met: number;
  breached: number;
  ratio: number | null;
}

export interface SlaAttainmentReport {
  overall: SlaAttainment[];
  /** Per agent with a decided cycle (of sessions assigned to them). */
  perAgent: Map<string, SlaAttainment[]>;
}

/** Attainment per metric, overall and per agent, over the cycles decided in the range. */
export async function slaAttainment(db: Db, range: SlaReportRange, now: number): Promise<SlaAttainmentReport> {
  const counts = new Map<string, Record<SlaMetric, { met: number; breached: number }>>();
  const countsOf = (key: string) => {
    const found = counts.get(key) ?? (Object.fromEntries(SLA_METRICS.map((metric) => [metric, { met: 0, breached: 0 }])) as Record<SlaMetric, { met: number; breached: number }>);
    counts.set(key, found);
    return found;
  };
  countsOf('');
  for await (const batch of slaOutcomes(db, range, now, { running: false })) {
    for (const outcome of batch) {
      const field = outcome.state === 'MET' ? 'met' : 'breached';
      countsOf('')[outcome.metric][field]++;
      if (outcome.agentId !== null) countsOf(outcome.agentId)[outcome.metric][field]++;
    }
  }
  const attainment = (key: string): SlaAttainment[] =>
    SLA_METRICS.map((metric) => {
      const { met, breached } = countsOf(key)[metric];
      return { metric, met, breached, ratio: met + breached === 0 ? null : met / (met + breached) };
    });
  return { overall: attainment(''), perAgent: new Map([...counts.keys()].filter((key) => key !== '').map((key) => [key, attainment(key)])) };
}
