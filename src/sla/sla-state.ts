import type { Db } from '../db/orm.js';
import { loadSchedule } from '../hours/business-hours.service.js';
import type { SlaMetric } from '../model/event-contract.js';
import { snoozesOf } from '../sessions/snooze.js';
import { type Priority, SenderType, SessionKind } from '../shared/enums.js';
import { type Clock, type ClockMessage, clocksOf, type SlaTargets } from './sla-clock.js';

/** A policy as stored. */
export interface SlaPolicyRecord extends SlaTargets {
  id: string;
  name: string;
  /** Null: the tenant's default, for sessions whose priority has no policy of its own. */
  priority: Priority | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface PolicyRow {
  id: string;
  name: string;
  priority: Priority | null;
  first_response_seconds: number | null;
  next_response_seconds: number | null;
  resolution_seconds: number | null;
  business_hours_only: boolean;
  created_at: Date | string;
  updated_at: Date | string;
}

export const POLICY_COLUMNS = 'id::text as id, name, priority, first_response_seconds, next_response_seconds, resolution_seconds, business_hours_only, created_at, updated_at';

export function policyOf(row: PolicyRow): SlaPolicyRecord {
  const seconds = (value: number | null) => (value === null ? null : Number(value));
  return {
    id: row.id,
    name: row.name,
    priority: row.priority,
    firstResponseSeconds: seconds(row.first_response_seconds),
    nextResponseSeconds: seconds(row.next_response_seconds),
    resolutionSeconds: seconds(row.resolution_seconds),
    businessHoursOnly: row.business_hours_only,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** A session's SLA as of `now`: the policy that applies and its clocks. */
export interface SessionSlaState {
  policy: SlaPolicyRecord;
  clocks: Clock[];
}

/**
 * Which policy a session gets: the one applied to it (applySlaPolicy), else the tenant's policy
 * for its priority, else the tenant's default (priority null). Only support sessions have one.
 */
export async function policyForSession(db: Db, tenantId: string, sessionId: string): Promise<{ policy: SlaPolicyRecord; session: SessionClockRow } | null> {
  const [session] = await db.execute<SessionClockRow[]>(`select kind, priority, started_at, ended_at, sla_policy_id::text as sla_policy_id from chat_sessions where id = ? and tenant_id = ?`, [
    sessionId,
    tenantId,
  ]);
  if (!session || session.kind !== SessionKind.SUPPORT) return null;
  const [row] =
    session.sla_policy_id !== null
      ? await db.execute<PolicyRow[]>(`select ${POLICY_COLUMNS} from sla_policies where id = ? and tenant_id = ?`, [session.sla_policy_id, tenantId])
      : await db.execute<PolicyRow[]>(`select ${POLICY_COLUMNS} from sla_policies where tenant_id = ? and (priority = ? or priority is null) order by priority is null limit 1`, [
          tenantId,
          session.priority,
        ]);
  return row ? { policy: policyOf(row), session } : null;
}

interface SessionClockRow {
  kind: string;
  priority: Priority;
  started_at: Date | string;
  ended_at: Date | string | null;
  sla_policy_id: string | null;
}

/**
 * The session's SLA as of `now`, recomputed from its row and its messages (sla-clock.ts says
 * how); null when no policy applies. Customer messages and support replies only: private notes,
 * automatic messages and bots' messages neither open nor end a wait. Snoozes (session_snoozes)
 * pause the clocks.
 */
export async function sessionSlaState(db: Db, tenantId: string, sessionId: string, now: number): Promise<SessionSlaState | null> {
  const found = await policyForSession(db, tenantId, sessionId);
  if (!found) return null;
  const { policy, session } = found;
  const rows = await db.execute<{ sender_type: SenderType; created_at: Date | string }[]>(
    `select sender_type, created_at from chat_messages
      where session_id = ? and tenant_id = ? and not private and not automatic and sender_type in (?, ?) order by id`,
    [sessionId, tenantId, SenderType.USER, SenderType.SUPPORT],
  );
  const messages: ClockMessage[] = rows.map((row) => ({ side: row.sender_type === SenderType.SUPPORT ? 'support' : 'customer', at: new Date(row.created_at).getTime() }));
  const schedule = policy.businessHoursOnly ? await loadSchedule(db, tenantId) : null;
  const snoozes = (await snoozesOf(db, tenantId, sessionId)).map(({ from, to }) => [from, to] as const);
  const clocks = clocksOf(
    { startedAt: new Date(session.started_at).getTime(), endedAt: session.ended_at === null ? null : new Date(session.ended_at).getTime(), messages, snoozes },
    policy,
    schedule,
    now,
  );
  return { policy, clocks };
}

/** A breach as recorded. */
export interface SlaBreachRecord {
  metric: SlaMetric;
  at: Date;
}

export async function breachesOf(db: Db, tenantId: string, sessionId: string): Promise<SlaBreachRecord[]> {
  const rows = await db.execute<{ metric: SlaMetric; at: Date | string }[]>(`select metric, at from sla_alerts where session_id = ? and tenant_id = ? and kind = 'BREACH' order by at, metric`, [
    sessionId,
    tenantId,
  ]);
  return rows.map((row) => ({ metric: row.metric, at: new Date(row.at) }));
}
