import { type AuditAct, appendAudit, auditContextOf, changes, created } from '../audit/audit-log.js';
import type { Db } from '../db/orm.js';
import type { Scope } from '../db/scope.js';
import { schedule } from '../reactions/timers.js';
import { seesPrivateNotes } from '../sessions/message-visibility.js';
import { holdsOrAdmin } from '../sessions/session.service.js';
import { loadAccessibleSession, sessionIdFrom } from '../sessions/session-access.js';
import { deskNow } from '../shared/desk-clock.js';
import { type Priority, SessionKind, UserRole } from '../shared/enums.js';
import { badInput, conflict, notFound } from '../shared/errors.js';
import { requireSupportStaff, requireUser } from '../shared/guards.js';
import { isId, requireName } from '../shared/validate.js';
import { SLA_REACTION, sessionKey, tenantKey } from './sla.reaction.js';
import { breachesOf, POLICY_COLUMNS, type PolicyRow, policyOf, type SlaBreachRecord, type SlaPolicyRecord, sessionSlaState } from './sla-state.js';

/** Targets are 1 second to 365 days. */
export const MAX_SLA_TARGET_SECONDS = 365 * 24 * 3600;
export const MAX_SLA_POLICY_NAME_LENGTH = 100;

export interface SlaPolicyInput {
  name?: string | null;
  priority?: Priority | null;
  firstResponseSeconds?: number | null;
  nextResponseSeconds?: number | null;
  resolutionSeconds?: number | null;
  businessHoursOnly?: boolean | null;
}

/** A session's SLA as `Session.sla` shows it. */
export interface SessionSlaView {
  policy: SlaPolicyRecord;
  firstResponseDueAt: Date | null;
  nextResponseDueAt: Date | null;
  resolutionDueAt: Date | null;
  breaches: SlaBreachRecord[];
}

/**
 * SLA policies and a session's SLA (docs/desk.md, "SLA policies"). Admins write policies, support
 * staff and admins read them; a policy applies to a session by its priority unless one was
 * applied to it. Every change that moves clocks schedules the SLA reaction's re-evaluation in the
 * same transaction (sla.reaction.ts keeps the clocks).
 */
export class SlaService {
  constructor(
    private readonly scope: Scope,
    private readonly now: () => number = deskNow,
  ) {}

  async list(): Promise<SlaPolicyRecord[]> {
    const viewer = requireSupportStaff(this.scope.viewer);
    const rows = await this.scope.em.execute<PolicyRow[]>(`select ${POLICY_COLUMNS} from sla_policies where tenant_id = ? order by priority nulls last, id`, [viewer.tenantId]);
    return rows.map(policyOf);
  }

  async create(input: SlaPolicyInput & { name: string; businessHoursOnly: boolean }): Promise<SlaPolicyRecord> {
    const admin = requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const name = requireName(input.name, 'name', MAX_SLA_POLICY_NAME_LENGTH);
    const targets = targetsOf(input);
    return this.retargeting(admin.tenantId, async (tx, audit) => {
      await this.checkPriorityFree(tx, admin.tenantId, input.priority ?? null, null);
      const [row] = await tx.execute<PolicyRow[]>(
        `insert into sla_policies (tenant_id, name, priority, first_response_seconds, next_response_seconds, resolution_seconds, business_hours_only)
         values (?, ?, ?, ?, ?, ?, ?) returning ${POLICY_COLUMNS}`,
        [admin.tenantId, name, input.priority ?? null, targets.firstResponseSeconds, targets.nextResponseSeconds, targets.resolutionSeconds, input.businessHoursOnly],
      );
      const policy = policyOf(row!);
      await audit({ action: 'sla_policy.created', target: { type: 'sla_policy', id: policy.id }, diff: created(policyFields(policy)) });
      return policy;
    });
  }

  /** Only what is given changes: a target given as null is removed, a priority given as null makes the policy the default; name and businessHoursOnly null keep theirs. */
  async update(idArg: string, input: SlaPolicyInput): Promise<SlaPolicyRecord> {
    const admin = requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    return this.retargeting(admin.tenantId, async (tx, audit) => {
      const current = await this.find(tx, admin.tenantId, idArg);
      const next: SlaPolicyRecord = { ...current };
      if (input.name !== undefined && input.name !== null) next.name = requireName(input.name, 'name', MAX_SLA_POLICY_NAME_LENGTH);
      if (input.businessHoursOnly !== undefined && input.businessHoursOnly !== null) next.businessHoursOnly = input.businessHoursOnly;
      for (const field of ['firstResponseSeconds', 'nextResponseSeconds', 'resolutionSeconds'] as const) {
        const value = input[field];
        if (value !== undefined) next[field] = value === null ? null : target(value, field);
      }
      if (input.priority !== undefined) next.priority = input.priority;
      if (next.priority !== current.priority) await this.checkPriorityFree(tx, admin.tenantId, next.priority, current.id);
      const [row] = await tx.execute<PolicyRow[]>(
        `update sla_policies set name = ?, priority = ?, first_response_seconds = ?, next_response_seconds = ?, resolution_seconds = ?, business_hours_only = ?, updated_at = now()
          where id = ? and tenant_id = ? returning ${POLICY_COLUMNS}`,
        [next.name, next.priority, next.firstResponseSeconds, next.nextResponseSeconds, next.resolutionSeconds, next.businessHoursOnly, current.id, admin.tenantId],
      );
      const diff = changes(policyFields(current), policyFields(next));
      if (Object.keys(diff).length > 0) await audit({ action: 'sla_policy.updated', target: { type: 'sla_policy', id: current.id }, diff });
      return policyOf(row!);
    });
  }

  /** Sessions it was applied to return to the priority rule. */
  async delete(idArg: string): Promise<boolean> {
    const admin = requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    return this.retargeting(admin.tenantId, async (tx, audit) => {
      const policy = await this.find(tx, admin.tenantId, idArg);
      await tx.execute('delete from sla_policies where id = ? and tenant_id = ?', [policy.id, admin.tenantId]);
      await audit({ action: 'sla_policy.deleted', target: { type: 'sla_policy', id: policy.id }, diff: changes(policyFields(policy), {}) });
      return true;
    });
  }

  /** Admins, or the agent holding the session: `policyId` null returns it to the priority rule. */
  async apply(sessionIdArg: string, policyIdArg: string | null): Promise<string> {
    const user = requireSupportStaff(this.scope.viewer);
    const em = this.scope.em;
    const sessionId = await sessionIdFrom(em, sessionIdArg, 'sessionId');
    await em.transactional(async (tx) => {
      const session = await loadAccessibleSession(tx, this.scope.viewer, sessionId, true);
      holdsOrAdmin(user, session);
      if (session.kind !== SessionKind.SUPPORT) throw badInput('sessionId', 'Only support sessions have an SLA', 'NOT_ASSIGNABLE');
      const policyId = policyIdArg === null ? null : (await this.find(tx, user.tenantId, policyIdArg)).id;
      await tx.execute('update chat_sessions set sla_policy_id = ? where id = ? and tenant_id = ?', [policyId, sessionId, user.tenantId]);
      await schedule(tx, { reaction: SLA_REACTION, key: sessionKey(sessionId), at: new Date(this.now()), tenantId: user.tenantId, payload: { sessionId } });
    });
    return sessionId;
  }

  /** `Session.sla`: null for viewers outside the desk (customers, guests, room members) and when no policy applies. */
  async sessionSla(sessionId: string): Promise<SessionSlaView | null> {
    const viewer = this.scope.viewer;
    if (!seesPrivateNotes(viewer) || viewer.kind !== 'user') return null;
    const state = await sessionSlaState(this.scope.em, viewer.tenantId, sessionId, this.now());
    if (!state) return null;
    const due = (metric: string) => {
      const at = state.clocks.find((clock) => clock.metric === metric)?.dueAt ?? null;
      return at === null ? null : new Date(at);
    };
    return {
      policy: state.policy,
      firstResponseDueAt: due('FIRST_RESPONSE'),
      nextResponseDueAt: due('NEXT_RESPONSE'),
      resolutionDueAt: due('RESOLUTION'),
      breaches: await breachesOf(this.scope.em, viewer.tenantId, sessionId),
    };
  }

  /** A policy change, its audit entry and the re-evaluation of the tenant's open sessions, committed together. */
  private retargeting<T>(tenantId: string, change: (tx: Db, audit: (act: AuditAct) => Promise<unknown>) => Promise<T>): Promise<T> {
    return this.scope.em.transactional(async (tx) => {
      const result = await change(tx, (act) => appendAudit(tx, auditContextOf(this.scope), act));
      await schedule(tx, { reaction: SLA_REACTION, key: tenantKey(tenantId), at: new Date(this.now()), tenantId, payload: {} });
      return result;
    });
  }

  private async find(db: Db, tenantId: string, idArg: string): Promise<SlaPolicyRecord> {
    const [row] = isId(idArg) ? await db.execute<PolicyRow[]>(`select ${POLICY_COLUMNS} from sla_policies where id = ? and tenant_id = ?`, [idArg, tenantId]) : [];
    if (!row) throw notFound('SLA_POLICY_NOT_FOUND', `SLA policy ${idArg} not found`);
    return policyOf(row);
  }

  private async checkPriorityFree(db: Db, tenantId: string, priority: Priority | null, exceptId: string | null): Promise<void> {
    const rows = await db.execute<{ id: string }[]>(`select id::text as id from sla_policies where tenant_id = ? and coalesce(priority, '') = ? and id <> ?`, [
      tenantId,
      priority ?? '',
      exceptId ?? '0',
    ]);
    if (rows.length > 0) {
      throw conflict('SLA_POLICY_EXISTS', priority === null ? 'The tenant has a default SLA policy already' : `The tenant has an SLA policy for priority ${priority} already`);
    }
  }
}

/** What an audit entry shows of a policy. */
const policyFields = (policy: SlaPolicyRecord) => ({
  name: policy.name,
  priority: policy.priority,
  firstResponseSeconds: policy.firstResponseSeconds,
  nextResponseSeconds: policy.nextResponseSeconds,
  resolutionSeconds: policy.resolutionSeconds,
  businessHoursOnly: policy.businessHoursOnly,
});

function target(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_SLA_TARGET_SECONDS)
    throw badInput(field, `${field} must be an integer between 1 and ${MAX_SLA_TARGET_SECONDS} (365 days), or null for no target`);
  return value;
}

function targetsOf(input: SlaPolicyInput): Pick<SlaPolicyRecord, 'firstResponseSeconds' | 'nextResponseSeconds' | 'resolutionSeconds'> {
  const optional = (value: number | null | undefined, field: string) => (value === null || value === undefined ? null : target(value, field));
  return {
    firstResponseSeconds: optional(input.firstResponseSeconds, 'firstResponseSeconds'),
    nextResponseSeconds: optional(input.nextResponseSeconds, 'nextResponseSeconds'),
    resolutionSeconds: optional(input.resolutionSeconds, 'resolutionSeconds'),
  };
}
