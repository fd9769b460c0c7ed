import type { Scope } from '../db/scope.js';
import { User } from '../model/user.entity.js';
import { SessionKind, SessionStatus, UserRole } from '../shared/enums.js';
import { badInput, notFound } from '../shared/errors.js';
import { requireUser } from '../shared/guards.js';
import { parseId } from '../shared/validate.js';

/** Median and mean of a set of durations, in milliseconds; null when the set is empty. */
export interface DurationStats {
  count: number;
  meanMs: number | null;
  medianMs: number | null;
}

export interface CsatStats {
  count: number;
  /** Mean score (1–5); null without ratings. */
  average: number | null;
}

/** What a team lead reads per agent (and, in Stats, for the whole selection). */
export interface DeskNumbers {
  /** Sessions assigned to an agent. */
  sessionsHandled: number;
  /** Closed sessions. */
  sessionsResolved: number;
  /** From the customer's first wait to the first support reply (`first_response_ms`; private notes are no reply). */
  firstResponseTime: DurationStats;
  /** From start to close, over closed sessions. */
  resolutionTime: DurationStats;
  csat: CsatStats;
}

export interface AgentStats extends DeskNumbers {
  agent: User;
}

export interface Stats extends DeskNumbers {
  totalSessions: number;
  activeSessions: number;
  /** Mean wait, in minutes, from the customer message that starts a wait to the support reply that ends it. */
  averageResponseTime: number;
  messagesExchanged: number;
  from: Date | null;
  to: Date | null;
  /** Per agent with sessions in the selection, most sessions handled first. */
  agents: AgentStats[];
}

export interface StatsArgs {
  /** Sessions started at or after (inclusive). */
  from?: Date | null;
  /** Sessions started before (exclusive). */
  to?: Date | null;
  /** One agent's sessions only. */
  agentId?: string | null;
}

/** The validated selection: what `stats` and `statsUpdated` compute over. */
export interface StatsSelection {
  from: Date | null;
  to: Date | null;
  agentId: string | null;
}

type Row = Record<string, string | number | null>;

const num = (value: string | number | null | undefined): number => (value === null || value === undefined ? 0 : Number(value));
const maybe = (value: string | number | null | undefined): number | null => (value === null || value === undefined ? null : Number(value));

function deskNumbers(row: Row): DeskNumbers {
  return {
    sessionsHandled: num(row.handled),
    sessionsResolved: num(row.resolved),
    firstResponseTime: { count: num(row.frt_count), meanMs: maybe(row.frt_mean), medianMs: maybe(row.frt_median) },
    resolutionTime: { count: num(row.res_count), meanMs: maybe(row.res_mean), medianMs: maybe(row.res_median) },
    csat: { count: num(row.csat_count), average: maybe(row.csat_average) },
  };
}

/**
 * One aggregate over the selected support sessions, overall and per agent (grouping sets), from
 * the counters kept on write (`message_count`, `response_*`, `first_response_ms`, `ended_at`)
 * plus the ratings joined by their unique session index: never a scan of messages. The range is
 * on `started_at` (index `(tenant_id, started_at)`), so every number describes the same sessions.
 */
const STATS_SQL = (where: string) => `
  select grouping(s.agent_id) as overall,
         s.agent_id,
         count(*) as total,
         count(*) filter (where s.status <> '${SessionStatus.CLOSED}') as active,
         coalesce(sum(s.message_count), 0) as messages,
         coalesce(sum(s.response_count), 0) as responses,
         coalesce(sum(s.response_ms_total), 0) as response_ms,
         count(s.agent_id) as handled,
         count(*) filter (where s.status = '${SessionStatus.CLOSED}') as resolved,
         count(s.first_response_ms) as frt_count,
         avg(s.first_response_ms) as frt_mean,
         percentile_cont(0.5) within group (order by s.first_response_ms) as frt_median,
         count(*) filter (where s.status = '${SessionStatus.CLOSED}' and s.ended_at is not null) as res_count,
         avg(extract(epoch from s.ended_at - s.started_at) * 1000) filter (where s.status = '${SessionStatus.CLOSED}') as res_mean,
         percentile_cont(0.5) within group (order by extract(epoch from s.ended_at - s.started_at) * 1000)
           filter (where s.status = '${SessionStatus.CLOSED}') as res_median,
         count(r.id) as csat_count,
         avg(r.score) as csat_average
    from chat_sessions s
    left join session_ratings r on r.session_id = s.id
   where ${where}
   group by grouping sets ((), (s.agent_id))`;

/**
 * Support-desk numbers for the viewer's tenant (admins only). They come from counters the
 * message service maintains on every send, so this is one aggregate over the tenant's sessions
 * (index on tenant_id, or tenant_id + started_at for a range) and never a scan of messages.
 */
export class StatsService {
  constructor(private readonly scope: Scope) {}

  /** Checks the caller and the arguments (both `stats` and `statsUpdated` start here). */
  async selection(args: StatsArgs = {}): Promise<StatsSelection> {
    requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const from = args.from ?? null;
    const to = args.to ?? null;
    for (const [field, value] of [
      ['from', from],
      ['to', to],
    ] as const) {
      if (value !== null && Number.isNaN(value.getTime())) throw badInput(field, `${field} must be a date-time`);
    }
    if (from !== null && to !== null && from.getTime() >= to.getTime()) throw badInput('to', 'to must be later than from');
    let agentId: string | null = null;
    if (args.agentId !== null && args.agentId !== undefined) {
      agentId = parseId(args.agentId, 'agentId');
      // Tenant-scoped by the ORM filter: another tenant's user is as missing as no user.
      const agent = await this.scope.em.findOne(User, { id: agentId }, { fields: ['id'] });
      if (!agent) throw notFound('AGENT_NOT_FOUND', `User ${agentId} not found`);
    }
    return { from, to, agentId };
  }

  async stats(args: StatsArgs = {}): Promise<Stats> {
    return this.compute(await this.selection(args));
  }

  /** The numbers for a selection `selection()` validated (statsUpdated recomputes with it). */
  async compute(selection: StatsSelection): Promise<Stats> {
    const viewer = requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const conditions = ['s.tenant_id = ?', 's.kind = ?'];
    const params: unknown[] = [viewer.tenantId, SessionKind.SUPPORT];
    if (selection.from) {
      conditions.push('s.started_at >= ?');
      params.push(selection.from);
    }
    if (selection.to) {
      conditions.push('s.started_at < ?');
      params.push(selection.to);
    }
    if (selection.agentId) {
      conditions.push('s.agent_id = ?');
      params.push(selection.agentId);
    }
    const rows = await this.scope.em.execute<Row[]>(STATS_SQL(conditions.join(' and ')), params);
    const overall = rows.find((row) => num(row.overall) === 1) ?? {};
    const perAgent = rows.filter((row) => num(row.overall) === 0 && row.agent_id !== null);
    const users = perAgent.length ? await this.scope.em.find(User, { id: { $in: perAgent.map((row) => String(row.agent_id)) } }) : [];
    const byId = new Map(users.map((user) => [user.id, user]));
    const agents = perAgent
      .filter((row) => byId.has(String(row.agent_id)))
      .map((row) => ({ agent: byId.get(String(row.agent_id))!, ...deskNumbers(row) }))
      .sort((a, b) => b.sessionsHandled - a.sessionsHandled || Number(BigInt(a.agent.id) - BigInt(b.agent.id)));
    const responses = num(overall.responses);
    return {
      totalSessions: num(overall.total),
      activeSessions: num(overall.active),
      averageResponseTime: responses === 0 ? 0 : num(overall.response_ms) / responses / 60_000,
      messagesExchanged: num(overall.messages),
      from: selection.from,
      to: selection.to,
      ...deskNumbers(overall),
      agents,
    };
  }
}
