import { createHash } from 'node:crypto';
import type { Db } from '../db/orm.js';
import type { Scope } from '../db/scope.js';
import type { AuditActorType as AuditActorTypeEnum } from '../shared/enums.js';
import type { RequestOrigin } from '../shared/request-origin.js';

/**
 * The audit log (docs/security.md, "Audit log"): one entry per security-relevant act, written in
 * the act's own transaction, so an act that rolls back leaves no entry and a committed act always
 * has one. Entries are hash-chained per tenant: each entry's `hash` is SHA-256 over the tenant's
 * previous hash and the entry's fields in a fixed order, so changing, removing or reordering a row
 * breaks the chain at that row (`verifyChain`). The table refuses UPDATE and DELETE (a trigger).
 */

/** Every action the log records: a closed list (the auditLog filter accepts only these). */
export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.password_changed',
  'auth.refresh_token_reused',
  'auth.invite_accepted',
  'two_factor.enabled',
  'two_factor.disabled',
  'two_factor.reset',
  'two_factor.recovery_codes_regenerated',
  'settings.two_factor_required',
  'user.created',
  'user.invited',
  'api_key.created',
  'api_key.revoked',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.enabled',
  'webhook.disabled',
  'webhook.secret_rotated',
  'export.created',
  'export.downloaded',
  'settings.business_hours',
  'settings.auto_reply',
  'settings.auto_close',
  'settings.auto_assignment',
  'sla_policy.created',
  'sla_policy.updated',
  'sla_policy.deleted',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const isAuditAction = (value: string): value is AuditAction => (AUDIT_ACTIONS as readonly string[]).includes(value);

/** Who acted: a signed-in user, an API key (acting as its user), the system (the admin CLI), or nobody signed in (a failed sign-in). */
export type AuditActorType = `${AuditActorTypeEnum}`;

export interface AuditActor {
  type: AuditActorType;
  id: string | null;
}

/** The request side of an entry: tenant, actor, and where the request came from. */
export interface AuditContext {
  tenantId: string;
  actor: AuditActor;
  ip: string | null;
  userAgent: string | null;
}

/** A JSON value as the diff holds it (what jsonb stores and gives back). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** What changed: for each field, its value before and after (absent on the side where it did not exist). */
export type AuditDiff = Record<string, { before?: Json; after?: Json }>;

/** The act: what was done to what, and what changed. */
export interface AuditAct {
  action: AuditAction;
  target?: { type: string; id: string } | null;
  diff?: AuditDiff | null;
}

/** One stored entry. */
export interface AuditEntry {
  id: string;
  tenantId: string;
  at: Date;
  actorType: AuditActorType;
  actorId: string | null;
  action: AuditAction;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  diff: AuditDiff | null;
  prevHash: string | null;
  hash: string;
}

export const REDACTED = '[redacted]';

/** Fields whose values never enter the log, at any depth of a diff: only that they changed. */
const SECRET_FIELD = /secret|password|token|hash|recovery|totp|otpauth/i;

/** The diff with every secret value replaced by "[redacted]", as JSON (dates as ISO strings). */
export function redact(diff: AuditDiff | null | undefined): AuditDiff | null {
  if (!diff || Object.keys(diff).length === 0) return null;
  const scrub = (value: unknown, key: string): Json => {
    if (SECRET_FIELD.test(key) && value !== undefined && value !== null) return REDACTED;
    if (Array.isArray(value)) return value.map((item) => scrub(item, ''));
    if (value instanceof Date) return value.toISOString();
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, k)]));
    return (value ?? null) as Json;
  };
  const redacted: AuditDiff = {};
  for (const [field, change] of Object.entries(diff)) {
    redacted[field] = {};
    if ('before' in change) redacted[field].before = scrub(change.before, field);
    if ('after' in change) redacted[field].after = scrub(change.after, field);
  }
  return redacted;
}

/** The fields that differ between two shapes of a record, as a diff (compared as JSON). */
export function changes(before: Record<string, unknown>, after: Record<string, unknown>): AuditDiff {
  const diff: AuditDiff = {};
  for (const field of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (canonicalJson(before[field] ?? null) !== canonicalJson(after[field] ?? null)) diff[field] = { before: (before[field] ?? null) as Json, after: (after[field] ?? null) as Json };
  }
  return diff;
}

/** The values of a new record as a diff (nothing before). */
export const created = (record: Record<string, unknown>): AuditDiff => Object.fromEntries(Object.entries(record).map(([field, value]) => [field, { after: (value ?? null) as Json }]));

/** A tenant setting's change as an act (its target is the setting); null when nothing changed, which writes no entry. */
export function settingsChange(action: AuditAction & `settings.${string}`, diff: AuditDiff): AuditAct | null {
  return Object.keys(diff).length === 0 ? null : { action, target: { type: 'settings', id: action.slice('settings.'.length) }, diff };
}

/** JSON with object keys sorted at every depth: the same value always serialises the same (jsonb reorders keys). */
export function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * An entry's hash: SHA-256 (hex) of the previous entry's hash (empty for a tenant's first) and the
 * entry's fields in this fixed order, times as ISO 8601 in UTC with milliseconds. The id is
 * covered, so a row moved or copied elsewhere in the chain breaks it too.
 */
export function entryHash(prevHash: string | null, entry: Omit<AuditEntry, 'hash' | 'prevHash'>): string {
  const fields = [
    entry.id,
    entry.tenantId,
    entry.at.toISOString(),
    entry.actorType,
    entry.actorId,
    entry.action,
    entry.targetType,
    entry.targetId,
    entry.ip,
    entry.userAgent,
    entry.diff === null ? null : canonicalJson(entry.diff),
  ];
  return createHash('sha256')
    .update(`${prevHash ?? ''}\n${JSON.stringify(fields)}`)
    .digest('hex');
}

/** First key of the two-key advisory lock: appends to one tenant's audit chain (the second key). */
const AUDIT_LOCK_CLASS = 0x4155; // "AU"
/** The tenant's id as the lock's second key (an int4; ids beyond it share keys, which only serialises more). */
const lockKeyOf = (tenantId: string): number => Number(BigInt(tenantId) % 2_147_483_647n);

/**
 * Appends one entry to the tenant's chain, in the caller's transaction (`db` must be in one: the
 * lock is held until it ends). Appends of one tenant take turns under a transaction-scoped
 * advisory lock, and the previous hash is read under it, so concurrent acts cannot fork the
 * chain; ids are taken under the lock too, so id order is chain order.
 */
export async function appendAudit(db: Db, context: AuditContext, act: AuditAct): Promise<AuditEntry> {
  if (!db.isInTransaction()) throw new Error('appendAudit needs a transaction: the entry commits with its act');
  const { tenantId } = context;
  await db.execute('select pg_advisory_xact_lock(?, ?)', [AUDIT_LOCK_CLASS, lockKeyOf(tenantId)]);
  const [last] = await db.execute<{ hash: string }[]>('select hash from audit_log where tenant_id = ? order by id desc limit 1', [tenantId]);
  const [next] = await db.execute<{ id: string }[]>(`select nextval('audit_log_id_seq')::text as id`);
  const fields: Omit<AuditEntry, 'hash' | 'prevHash'> = {
    id: next!.id,
    tenantId,
    at: new Date(Date.now()),
    actorType: context.actor.type,
    actorId: context.actor.id,
    action: act.action,
    targetType: act.target?.type ?? null,
    targetId: act.target?.id ?? null,
    ip: context.ip,
    userAgent: context.userAgent,
    diff: redact(act.diff),
  };
  const prevHash = last?.hash ?? null;
  const hash = entryHash(prevHash, fields);
  await db.execute(
    `insert into audit_log (id, tenant_id, at, actor_type, actor_id, action, target_type, target_id, ip, user_agent, diff, prev_hash, hash)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)`,
    [
      fields.id,
      tenantId,
      fields.at.toISOString(),
      fields.actorType,
      fields.actorId,
      fields.action,
      fields.targetType,
      fields.targetId,
      fields.ip,
      fields.userAgent,
      fields.diff === null ? null : JSON.stringify(fields.diff),
      prevHash,
      hash,
    ],
  );
  return { ...fields, prevHash, hash };
}

/** The actor and origin of a request's scope: its user, or the API key it came with. */
export function auditContextOf(scope: Pick<Scope, 'viewer' | 'origin'>): AuditContext {
  const { viewer, origin } = scope;
  const actor: AuditActor = viewer.kind !== 'user' ? { type: 'ANONYMOUS', id: null } : origin?.apiKeyId ? { type: 'API_KEY', id: origin.apiKeyId } : { type: 'USER', id: viewer.userId };
  return { tenantId: viewer.tenantId, actor, ip: origin?.ip ?? null, userAgent: origin?.userAgent ?? null };
}

/** An actor acting from a request's origin (a sign-in, before the request has a viewer). */
export const auditContextFrom = (tenantId: string, actor: AuditActor, origin: RequestOrigin | undefined): AuditContext => ({
  tenantId,
  actor,
  ip: origin?.ip ?? null,
  userAgent: origin?.userAgent ?? null,
});

/**
 * Runs `act` on `em` and appends its entry in the same transaction, for acts written through the
 * request's own fork (its unit of work, flushed here before the entry). `entryOf` sees the act's
 * result and may return null when nothing changed (no entry). Already in a transaction: joins it.
 */
export async function audited<T>(em: Db, context: AuditContext, act: () => Promise<T>, entryOf: (result: T) => AuditAct | null): Promise<T> {
  const own = !em.isInTransaction();
  if (own) await em.begin();
  try {
    const result = await act();
    await em.flush();
    const entry = entryOf(result);
    if (entry) await appendAudit(em, context, entry);
    if (own) await em.commit();
    return result;
  } catch (error) {
    // A failed commit has ended the transaction already.
    if (own && em.isInTransaction()) await em.rollback();
    throw error;
  }
}
