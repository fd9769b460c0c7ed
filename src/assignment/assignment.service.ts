import { LockMode } from '@mikro-orm/core';
import type { Logger } from 'pino';
import { appendAudit, auditContextOf, changes, settingsChange } from '../audit/audit-log.js';
import type { Config } from '../config/config.js';
import type { Db, Orm } from '../db/orm.js';
import type { Scope } from '../db/scope.js';
import type { EventBus, PublishedEvent } from '../events/event-bus.js';
import { ChatSession } from '../model/session.entity.js';
import { Tenant } from '../model/tenant.entity.js';
import { User } from '../model/user.entity.js';
import type { AssignmentTrigger } from '../sessions/assignment-queue.js';
import { assignInTransaction } from '../sessions/session.service.js';
import { deskNow } from '../shared/desk-clock.js';
import { Availability, type Priority, SessionKind, SessionStatus, UserRole } from '../shared/enums.js';
import { badInput, notFound } from '../shared/errors.js';
import { requireUser } from '../shared/guards.js';
import { TENANT_FILTER } from '../shared/tenant-filter.js';
import { intInRange, parseId } from '../shared/validate.js';
import type { PresenceStore } from './presence.js';

/** An agent as admins see them on the `agents` board. */
export interface AgentView {
  id: string;
  displayName: string;
  availability: Availability;
  online: boolean;
  activeSessions: number;
  capacity: number;
}

/** First key of the two-key advisory lock: auto-assignment of one tenant (the second key). */
const ASSIGNMENT_LOCK_CLASS = 0x5041; // "PA"
/** The tenant's id as the lock's second key (an int4; ids beyond it share keys, which only serialises more). */
const lockKeyOf = (tenantId: string): number => Number(BigInt(tenantId) % 2_147_483_647n);

interface Candidate {
  agent: User;
  capacity: number;
  active: number;
}

/**
 * Open support sessions per agent of the tenant (one grouped query, index-backed): ACTIVE and
 * SNOOZED. A snoozed session is still its agent's work and comes back by itself, so it keeps its
 * seat; otherwise every wake could push an agent past their capacity.
 */
async function activeCounts(em: Db, tenantId: string, agentIds: readonly string[]): Promise<Map<string, number>> {
  if (agentIds.length === 0) return new Map();
  const rows = await em.execute<{ agent_id: string; active: number }[]>(
    `select agent_id::text as agent_id, count(*)::int as active from chat_sessions
      where tenant_id = ? and status <> 'CLOSED' and kind = 'SUPPORT' and agent_id in (${agentIds.map(() => '?').join(', ')})
      group by agent_id`,
    [tenantId, ...agentIds],
  );
  return new Map(rows.map((row) => [String(row.agent_id), Number(row.active)]));
}

/**
 * Auto-assignment, shared by every request of this node: the queue of a tenant is drained under a
 * per-tenant PostgreSQL advisory lock held for one transaction, so two nodes (or two requests)
 * never both count an agent's free capacity, nor both take the same waiting session. Each
 * assignment goes through `assignInTransaction`, the path `assignAgent` takes, and publishes the
 * same `session.updated` event after commit.
 */
export class AssignmentEngine implements AssignmentTrigger {
  constructor(
    private readonly orm: Orm,
    private readonly events: EventBus,
    readonly presence: PresenceStore,
    private readonly config: Config['assignment'],
    private readonly logger: Logger,
  ) {}

  /** What other services call when an agent's load went down (close, unassign, transfer). */
  capacityFreed(tenantId: string): Promise<void> {
    return this.drain(tenantId);
  }

  /**
   * Assigns the tenant's waiting sessions, oldest first, to agents who are ONLINE, connected and
   * below capacity (fewest active sessions first; among equals, the one assigned least recently).
   * Never throws: a session that could not be placed stays queued for the next drain.
   */
  async drain(tenantId: string): Promise<void> {
    try {
      await this.drainOrThrow(tenantId);
    } catch (error) {
      this.logger.error({ err: error, tenantId }, 'auto-assignment failed; waiting sessions stay queued');
    }
  }

  /** `drain` that reports its failure (the auto-assignment reaction retries on it). */
  async drainOrThrow(tenantId: string): Promise<void> {
    const em = this.orm.em.fork() as Db;
    em.setFilterParams(TENANT_FILTER, { tenantId });
    const waiting = await em.execute(`select 1 from chat_sessions where tenant_id = ? and queued_at is not null limit 1`, [tenantId]);
    if (waiting.length === 0) return;
    const events = await em.transactional((tx) => this.drainLocked(tx, tenantId));
    if (events.length) this.events.publish(events);
  }

  private async drainLocked(tx: Db, tenantId: string): Promise<PublishedEvent[]> {
    await tx.execute('select pg_advisory_xact_lock(?, ?)', [ASSIGNMENT_LOCK_CLASS, lockKeyOf(tenantId)]);
    const tenant = await tx.findOne(Tenant, { id: tenantId });
    if (!tenant?.autoAssign) return [];
    const candidates = await this.freeAgents(tx, tenantId);
    if (candidates.length === 0) return [];
    const slots = candidates.reduce((sum, c) => sum + c.capacity - c.active, 0);
    // Every session this drain will place is locked up front, in one statement and before any
    // event is recorded: recording an event locks the tenant's inbox counter, and a close (session
    // row, then that counter) must never wait on us while we wait on its session row.
    const queue = await tx.find(
      ChatSession,
      { queuedAt: { $ne: null }, agent: null, status: SessionStatus.ACTIVE, kind: SessionKind.SUPPORT },
      { orderBy: { priority: 'desc', queuedAt: 'asc', id: 'asc' }, limit: slots, lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
    );
    const events: PublishedEvent[] = [];
    let clock = deskNow();
    for (const session of queue) {
      const pick = pickAgent(candidates);
      if (!pick) break;
      const now = new Date(++clock);
      pick.agent.lastAssignedAt = now;
      pick.active += 1;
      events.push(await assignInTransaction(tx, session, pick.agent, now));
    }
    await tx.flush();
    return events;
  }

  /** Staff who are ONLINE, connected and below capacity, with their current load. */
  private async freeAgents(tx: Db, tenantId: string): Promise<Candidate[]> {
    const agents = await tx.find(User, { role: UserRole.STAFF, availability: Availability.ONLINE });
    if (agents.length === 0) return [];
    const online = await this.presence.online(
      tenantId,
      agents.map((a) => a.id),
    );
    const connected = agents.filter((a) => online.has(a.id));
    const counts = await activeCounts(
      tx,
      tenantId,
      connected.map((a) => a.id),
    );
    return connected.map((agent) => ({ agent, capacity: agent.capacity ?? this.config.defaultCapacity, active: counts.get(agent.id) ?? 0 })).filter((c) => c.active < c.capacity);
  }

  effectiveCapacity(agent: User): number {
    return agent.capacity ?? this.config.defaultCapacity;
  }
}

/** Fewest active sessions first; ties go to the agent assigned least recently (never assigned: first), then the lower id. */
export function pickAgent(candidates: Candidate[]): Candidate | null {
  let best: Candidate | null = null;
  for (const c of candidates) {
    if (c.active >= c.capacity) continue;
    if (!best || compare(c, best) < 0) best = c;
  }
  return best;
}

function compare(a: Candidate, b: Candidate): number {
  if (a.active !== b.active) return a.active - b.active;
  const at = a.agent.lastAssignedAt?.getTime() ?? -1;
  const bt = b.agent.lastAssignedAt?.getTime() ?? -1;
  if (at !== bt) return at - bt;
  return BigInt(a.agent.id) < BigInt(b.agent.id) ? -1 : 1;
}

/**
 * Availability, capacity, the tenant's auto-assignment switch, the agents board and queue
 * positions, for one request's viewer. The assigning itself is the engine's.
 */
export class AssignmentService {
  constructor(
    private readonly scope: Scope,
    private readonly engine: AssignmentEngine,
    private readonly config: Config['assignment'],
  ) {}

  /** Staff and admins say whether they take new sessions; going ONLINE may take waiting ones at once. */
  async setAvailability(availability: Availability): Promise<AgentView> {
    const { em, viewer } = this.scope;
    const user = requireUser(viewer, [UserRole.STAFF, UserRole.ADMIN], 'STAFF_ONLY');
    if (!Object.values(Availability).includes(availability)) throw badInput('availability', 'availability must be ONLINE, BUSY or OFFLINE');
    const me = await em.findOneOrFail(User, { id: user.userId });
    me.availability = availability;
    await em.flush();
    if (availability === Availability.ONLINE) await this.engine.drain(viewer.tenantId);
    return (await this.views([me]))[0]!;
  }

  /** Admins: every staff member of the tenant with availability, presence, load and capacity. */
  async agents(): Promise<AgentView[]> {
    requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const agents = await this.scope.em.find(User, { role: UserRole.STAFF }, { orderBy: { displayName: 'asc', id: 'asc' } });
    return this.views(agents);
  }

  /** Admins: how many active sessions auto-assignment gives this agent at most (0 … AGENT_MAX_CAPACITY). */
  async setAgentCapacity(agentIdArg: string, capacityArg: number): Promise<AgentView> {
    const { em, viewer } = this.scope;
    requireUser(viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const agentId = parseId(agentIdArg, 'agentId');
    const capacity = intInRange(capacityArg, 'capacity', 0, this.config.maxCapacity, this.config.defaultCapacity);
    const agent = await em.findOne(User, { id: agentId });
    if (!agent) throw notFound('AGENT_NOT_FOUND', `User ${agentId} not found`);
    if (agent.role !== UserRole.STAFF) throw badInput('agentId', 'agentId must name a staff member', 'NOT_STAFF');
    agent.capacity = capacity;
    await em.flush();
    await this.engine.drain(viewer.tenantId);
    return (await this.views([agent]))[0]!;
  }

  /** Admins: whether the tenant auto-assigns. */
  async autoAssignment(): Promise<boolean> {
    const { em, viewer } = this.scope;
    requireUser(viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    return (await em.findOneOrFail(Tenant, { id: viewer.tenantId })).autoAssign;
  }

  /**
   * Admins: turns auto-assignment on or off. Turning it on queues the tenant's unassigned active
   * support sessions (in the order they started waiting) and drains the queue; turning it off
   * assigns nothing more, and sessions already queued keep their place.
   */
  async setAutoAssignment(enabled: boolean): Promise<boolean> {
    const { em, viewer } = this.scope;
    requireUser(viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    if (typeof enabled !== 'boolean') throw badInput('enabled', 'enabled must be true or false');
    // Session rows before the tenant row, the order every other writer takes them in.
    await em.transactional(async (tx) => {
      if (enabled) {
        await tx.execute(
          `update chat_sessions set queued_at = coalesce(waiting_since, started_at)
            where tenant_id = ? and kind = 'SUPPORT' and status = 'ACTIVE' and agent_id is null and queued_at is null`,
          [viewer.tenantId],
        );
      }
      const [before] = await tx.execute<{ auto_assign: boolean }[]>('select auto_assign from tenants where id = ?', [viewer.tenantId]);
      await tx.execute('update tenants set auto_assign = ? where id = ?', [enabled, viewer.tenantId]);
      const act = settingsChange('settings.auto_assignment', changes({ enabled: before?.auto_assign ?? null }, { enabled }));
      if (act) await appendAudit(tx, auditContextOf(this.scope), act);
    });
    if (enabled) await this.engine.drain(viewer.tenantId);
    return enabled;
  }

  /**
   * The place in its tenant's queue (1: next) of a session the caller read as waiting (queued,
   * no agent). The caller has already been allowed to read the session.
   */
  async queuePosition(session: { id: string; queuedAt: Date; priority: Priority }): Promise<number> {
    // Counted against the read's own snapshot (queued, no agent), never the row's state now: a
    // drain on another node may assign the session in between, and the answer must not then say
    // "no agent, no place". Such a session is at the front: place 1.
    const rows = await this.scope.em.execute<{ ahead: number }[]>(
      `select count(*)::int as ahead from chat_sessions q
         where q.tenant_id = ? and q.queued_at is not null and q.agent_id is null and q.status = 'ACTIVE'
           and (q.priority > ?::session_priority or (q.priority = ?::session_priority and (q.queued_at, q.id) < (?, ?)))`,
      [this.scope.viewer.tenantId, session.priority, session.priority, session.queuedAt, session.id],
    );
    return Number(rows[0]?.ahead ?? 0) + 1;
  }

  /**
   * Registers one open WebSocket of the viewer (users only) as presence; an agent's first
   * connection may take waiting sessions at once. Returns what to call when it closes.
   */
  async connected(): Promise<() => Promise<void>> {
    const { viewer } = this.scope;
    if (viewer.kind !== 'user') return async () => {};
    const { handle, first } = await this.engine.presence.connect(viewer.tenantId, viewer.userId);
    if (first && viewer.role === UserRole.STAFF) await this.engine.drain(viewer.tenantId);
    // The release outlives this service (it is kept while the socket is open): it must not hold `this`, whose scope has a fork.
    const { presence } = this.engine;
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      await presence.disconnect(handle);
    };
  }

  private async views(agents: User[]): Promise<AgentView[]> {
    const ids = agents.map((a) => a.id);
    const [online, counts] = await Promise.all([this.engine.presence.online(this.scope.viewer.tenantId, ids), activeCounts(this.scope.em, this.scope.viewer.tenantId, ids)]);
    return agents.map((agent) => ({
      id: agent.id,
      displayName: agent.displayName,
      availability: agent.availability,
      online: online.has(agent.id),
      activeSessions: counts.get(agent.id) ?? 0,
      capacity: this.engine.effectiveCapacity(agent),
    }));
  }
}
