import type { Db } from '../db/orm.js';
import type { Scope } from '../db/scope.js';
import { type Connection, decodeIdCursor, encodeIdCursor, forwardConnection } from '../shared/connection.js';
import { UserRole } from '../shared/enums.js';
import { badInput } from '../shared/errors.js';
import { requireUser } from '../shared/guards.js';
import { AUDIT_ACTIONS, type AuditAction, type AuditActorType, type AuditDiff, type AuditEntry, entryHash, isAuditAction } from './audit-log.js';

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 200;
/** Rows read per statement while verifying a chain. */
export const AUDIT_VERIFY_BATCH = 1_000;
const CURSOR_KIND = 'audit';

export interface AuditQuery {
  action?: string | null;
  actorId?: string | null;
  /** Entries at or after this instant. */
  from?: Date | null;
  /** … and before this one. */
  to?: Date | null;
  first?: number | null;
  after?: string | null;
}

export interface AuditVerification {
  ok: boolean;
  /** The first entry whose link is broken (changed, or following a removed one); null when ok. */
  firstBrokenId: string | null;
  /** Entries checked. */
  checked: number;
}

export interface AuditRow {
  id: string;
  tenant_id: string;
  at: Date | string;
  actor_type: AuditActorType;
  actor_id: string | null;
  action: AuditAction;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  diff: AuditDiff | null;
  prev_hash: string | null;
  hash: string;
}

/** `at` as ISO 8601 text in UTC with milliseconds, as the hash covers it: drivers print and parse timestamps differently. */
export const AUDIT_AT = `to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export const AUDIT_COLUMNS = `id::text as id, tenant_id::text as tenant_id, ${AUDIT_AT} as at, actor_type, actor_id, action, target_type, target_id, ip, user_agent, diff, prev_hash, hash`;

export const auditEntryOf = (row: AuditRow): AuditEntry => ({
  id: row.id,
  tenantId: row.tenant_id,
  at: new Date(row.at),
  actorType: row.actor_type,
  actorId: row.actor_id,
  action: row.action,
  targetType: row.target_type,
  targetId: row.target_id,
  ip: row.ip,
  userAgent: row.user_agent,
  diff: typeof row.diff === 'string' ? (JSON.parse(row.diff) as AuditDiff) : row.diff,
  prevHash: row.prev_hash,
  hash: row.hash,
});

/**
 * Reading the audit log: admins of the tenant only, their own tenant's entries only (every
 * statement states the tenant: raw SQL leaves the ORM's tenant filter behind).
 */
export class AuditService {
  constructor(private readonly scope: Scope) {}

  private admin() {
    return requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
  }

  /** Newest first, keyset-paged on the id (index (tenant_id, id)). */
  async list(query: AuditQuery): Promise<Connection<AuditEntry> & { totalCount: number }> {
    const { tenantId } = this.admin();
    const first = query.first ?? AUDIT_PAGE_DEFAULT;
    if (!Number.isInteger(first) || first < 1 || first > AUDIT_PAGE_MAX) throw badInput('first', `first must be between 1 and ${AUDIT_PAGE_MAX}`);
    const where = ['tenant_id = ?'];
    const params: unknown[] = [tenantId];
    if (query.action != null) {
      if (!isAuditAction(query.action)) throw badInput('action', `action must be one of ${AUDIT_ACTIONS.join(', ')}`);
      where.push('action = ?');
      params.push(query.action);
    }
    if (query.actorId != null) {
      where.push('actor_id = ?');
      params.push(String(query.actorId));
    }
    for (const [field, op] of [
      ['from', '>='],
      ['to', '<'],
    ] as const) {
      const value = query[field];
      if (value == null) continue;
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw badInput(field, `${field} must be a date-time`);
      where.push(`at ${op} ?`);
      params.push(value.toISOString());
    }
    const [counted] = await this.scope.em.execute<{ n: number }[]>(`select count(*)::int as n from audit_log where ${where.join(' and ')}`, params);
    if (query.after != null) {
      where.push('id < ?');
      params.push(decodeIdCursor(CURSOR_KIND, query.after, 'after'));
    }
    const rows = await this.scope.em.execute<AuditRow[]>(`select ${AUDIT_COLUMNS} from audit_log where ${where.join(' and ')} order by audit_log.id desc limit ${first + 1}`, params);
    const edges = rows.slice(0, first).map((row) => ({ cursor: encodeIdCursor(CURSOR_KIND, row.id), node: auditEntryOf(row) }));
    return { ...forwardConnection(edges, rows.length > first, query.after), totalCount: counted?.n ?? 0 };
  }

  /** Walks the tenant's chain in id order, a batch at a time, and names the first broken link. */
  async verify(): Promise<AuditVerification> {
    const { tenantId } = this.admin();
    return verifyChain(this.scope.em, tenantId);
  }
}

/**
 * Each entry must point at the hash of the entry before it (none for the first) and hash to its
 * own `hash`. A changed entry fails the second check; the entry after a removed one fails the
 * first. Removing the newest entries leaves a shorter chain that still verifies (see docs).
 */
export async function verifyChain(db: Db, tenantId: string): Promise<AuditVerification> {
  let previous: string | null = null;
  let afterId = '0';
  let checked = 0;
  for (;;) {
    const rows = await db.execute<AuditRow[]>(`select ${AUDIT_COLUMNS} from audit_log where tenant_id = ? and id > ? order by audit_log.id limit ${AUDIT_VERIFY_BATCH}`, [tenantId, afterId]);
    for (const row of rows) {
      const entry = auditEntryOf(row);
      checked++;
      if (entry.prevHash !== previous || entryHash(entry.prevHash, entry) !== entry.hash) return { ok: false, firstBrokenId: entry.id, checked };
      previous = entry.hash;
    }
    if (rows.length < AUDIT_VERIFY_BATCH) return { ok: true, firstBrokenId: null, checked };
    afterId = rows.at(-1)!.id;
  }
}
