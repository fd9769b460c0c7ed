import { randomUUID } from 'node:crypto';
import type { Db, Orm } from '../db/orm.js';
import type { TenantEventPayloads, WebhookEventType } from '../model/webhook-contract.js';
import { storedJsonObject } from '../shared/validate.js';
import type { AttemptOutcome } from './sender.js';

/**
 * The delivery table as a queue, shared by every node. Maintenance work across tenants: it runs
 * on raw SQL outside the tenant filter, like outbox pruning.
 */

/** A claimed delivery, with what its attempt needs of its endpoint. */
export interface ClaimedDelivery {
  id: string;
  claimToken: string;
  tenantId: string;
  endpointId: string;
  messageId: string;
  eventId: string | null;
  sessionId: string | null;
  seq: string | null;
  type: WebhookEventType;
  payload: Record<string, unknown>;
  eventCreatedAt: Date;
  attempts: number;
  url: string;
  includePrivate: boolean;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
}

interface ClaimRow {
  id: string;
  claim_token: string;
  tenant_id: string;
  endpoint_id: string;
  message_id: string;
  event_id: string | null;
  session_id: string | null;
  seq: string | null;
  type: WebhookEventType;
  payload: Record<string, unknown> | string;
  event_created_at: Date | string;
  attempts: number;
  url: string;
  include_private: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | string | null;
}

const asDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

/**
 * Claims up to `limit` due deliveries for one attempt each. A delivery is due when it is pending,
 * its time has come, its endpoint is enabled, and no earlier delivery of the same session to the
 * same endpoint is still pending (per-session order: a later event waits while an earlier one
 * retries). FOR UPDATE SKIP LOCKED lets nodes claim side by side without waiting on each other;
 * the claim is a lease: `next_attempt_at` moves past the attempt's longest possible end, so no
 * other node takes the delivery while it is in flight, and a node that dies mid-attempt only
 * delays it until the lease runs out. Only the holder of `claim_token` records the outcome.
 */
export async function claimDue(orm: Orm, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const rows = await orm.em
    .fork()
    .getConnection()
    .execute<ClaimRow[]>(
      `with due as (
       select d.id from webhook_deliveries d
       join webhook_endpoints w on w.id = d.endpoint_id
       where d.status = 'pending' and d.next_attempt_at <= now() and w.enabled
         and (d.session_id is null or not exists (
           select 1 from webhook_deliveries p
           where p.endpoint_id = d.endpoint_id and p.session_id = d.session_id and p.status = 'pending' and p.seq < d.seq))
       order by d.next_attempt_at, d.id
       limit ?
       for update of d skip locked
     )
     update webhook_deliveries d
     set next_attempt_at = now() + (? * interval '1 millisecond'), claim_token = gen_random_uuid()
     from due, webhook_endpoints w
     where d.id = due.id and w.id = d.endpoint_id
     returning d.id::text, d.claim_token::text, d.tenant_id::text, d.endpoint_id::text, d.message_id, d.event_id::text, d.session_id::text,
       d.seq::text, d.type, d.payload, d.event_created_at, d.attempts, w.url, w.include_private, w.secret, w.previous_secret, w.previous_secret_expires_at`,
      [limit, leaseMs],
    );
  return rows
    .map((row) => ({
      id: row.id,
      claimToken: row.claim_token,
      tenantId: row.tenant_id,
      endpointId: row.endpoint_id,
      messageId: row.message_id,
      eventId: row.event_id,
      sessionId: row.session_id,
      seq: row.seq,
      type: row.type,
      payload: storedJsonObject(row.payload, `webhook delivery ${row.id}'s payload`),
      eventCreatedAt: asDate(row.event_created_at),
      attempts: row.attempts,
      url: row.url,
      includePrivate: row.include_private,
      secret: row.secret,
      previousSecret: row.previous_secret,
      previousSecretExpiresAt: row.previous_secret_expires_at === null ? null : asDate(row.previous_secret_expires_at),
    }))
    .sort((a, b) => Number(a.id) - Number(b.id));
}

const attemptValues = (delivery: ClaimedDelivery, attemptedAt: Date, outcome: AttemptOutcome) => [
  delivery.tenantId,
  delivery.id,
  attemptedAt,
  outcome.statusCode,
  outcome.ok,
  outcome.latencyMs,
  outcome.error,
  outcome.responseBody,
];

const logAttempt = (tx: Db, delivery: ClaimedDelivery, attemptedAt: Date, outcome: AttemptOutcome) =>
  tx.execute(
    `insert into webhook_attempts (tenant_id, delivery_id, attempted_at, status_code, ok, latency_ms, error, response_body) values (?, ?, ?, ?, ?, ?, ?, ?)`,
    attemptValues(delivery, attemptedAt, outcome),
  );

/**
 * A 2xx: the delivery is done and the endpoint is healthy again. One statement (so one round trip,
 * and atomic without a transaction): this runs once per delivery.
 */
export async function recordSuccess(orm: Orm, delivery: ClaimedDelivery, attemptedAt: Date, outcome: AttemptOutcome): Promise<void> {
  await orm.em
    .fork()
    .getConnection()
    .execute(
      `with attempt as (
       insert into webhook_attempts (tenant_id, delivery_id, attempted_at, status_code, ok, latency_ms, error, response_body) values (?, ?, ?, ?, ?, ?, ?, ?)
     ), delivered as (
       update webhook_deliveries set status = 'delivered', attempts = attempts + 1, delivered_at = now(), claim_token = null, last_status_code = ?, last_error = null
       where id = ? and claim_token = ?
     )
     update webhook_endpoints set failing_since = null where id = ? and failing_since is not null`,
      [...attemptValues(delivery, attemptedAt, outcome), outcome.statusCode, delivery.id, delivery.claimToken, delivery.endpointId],
    );
}

/** The endpoint a failure disabled, for the `webhook.disabled` event. */
export interface DisabledEndpoint {
  tenantId: string;
  endpointId: string;
  url: string;
  failingSince: Date;
}

/**
 * A failed attempt: retried after `retryInMs`, or marked failed once its retry window has passed;
 * the endpoint's failing run starts (or goes on), and an endpoint failing for longer than
 * `disableAfterSeconds` is disabled (returned, once, to the caller that disabled it).
 */
export async function recordFailure(
  orm: Orm,
  delivery: ClaimedDelivery,
  attemptedAt: Date,
  outcome: AttemptOutcome,
  policy: { retryInMs: number; retryForSeconds: number; disableAfterSeconds: number },
): Promise<DisabledEndpoint | null> {
  return orm.em.fork().transactional(async (tx) => {
    await logAttempt(tx, delivery, attemptedAt, outcome);
    await tx.execute(
      `update webhook_deliveries
       set attempts = attempts + 1, claim_token = null, last_status_code = ?, last_error = ?,
           status = case when retry_from + (? * interval '1 second') <= now() then 'failed' else 'pending' end,
           next_attempt_at = now() + (? * interval '1 millisecond')
       where id = ? and claim_token = ?`,
      [outcome.statusCode, outcome.error, policy.retryForSeconds, policy.retryInMs, delivery.id, delivery.claimToken],
    );
    await tx.execute(`update webhook_endpoints set failing_since = coalesce(failing_since, ?) where id = ?`, [attemptedAt, delivery.endpointId]);
    const disabled = await tx.execute<{ url: string; failing_since: Date | string }[]>(
      `update webhook_endpoints set enabled = false, disabled_reason = 'FAILING', updated_at = now()
       where id = ? and enabled and failing_since <= now() - (? * interval '1 second')
       returning url, failing_since`,
      [delivery.endpointId, policy.disableAfterSeconds],
    );
    const row = disabled[0];
    return row ? { tenantId: delivery.tenantId, endpointId: delivery.endpointId, url: row.url, failingSince: asDate(row.failing_since) } : null;
  });
}

/**
 * A delivery that can never be sent: its stored copy does not match the event contract (a corrupt
 * row). Failed at once, `reason` (a short code) as its last error, rather than retried for days; later events of
 * its session are not held behind it.
 */
export async function recordUnsendable(orm: Orm, delivery: ClaimedDelivery, reason: string): Promise<void> {
  await orm.em
    .fork()
    .getConnection()
    .execute(`update webhook_deliveries set status = 'failed', claim_token = null, last_error = ? where id = ? and claim_token = ?`, [reason, delivery.id, delivery.claimToken]);
}

/** A delivery an endpoint does not take (a private event for an endpoint that did not ask for them). */
export async function recordSkipped(orm: Orm, delivery: ClaimedDelivery): Promise<void> {
  await orm.em.fork().getConnection().execute(`update webhook_deliveries set status = 'skipped', claim_token = null where id = ? and claim_token = ?`, [delivery.id, delivery.claimToken]);
}

/**
 * Queues `webhook.disabled` to the tenant's other enabled endpoints that take it. It has no
 * session, so it waits behind nothing.
 */
export async function queueEndpointDisabled(orm: Orm, disabled: DisabledEndpoint): Promise<void> {
  const payload: TenantEventPayloads['webhook.disabled'] = {
    webhookId: disabled.endpointId,
    url: disabled.url,
    failingSince: disabled.failingSince.toISOString(),
    reason: 'FAILING',
  };
  await orm.em
    .fork()
    .getConnection()
    .execute(
      `insert into webhook_deliveries (tenant_id, endpoint_id, message_id, type, payload, event_created_at, next_attempt_at, retry_from, created_at)
     select w.tenant_id, w.id, ?, 'webhook.disabled', ?::jsonb, now(), now(), now(), now() from webhook_endpoints w
     where w.tenant_id = ? and w.id <> ? and w.enabled and (cardinality(w.events) = 0 or 'webhook.disabled' = any(w.events))`,
      [`msg_${randomUUID()}`, JSON.stringify(payload), disabled.tenantId, disabled.endpointId],
    );
}

/** Deletes finished deliveries (and their attempts) older than the retention window; pending ones stay however old. */
export async function pruneDeliveries(orm: Orm, retentionDays: number): Promise<number> {
  const rows = await orm.em
    .fork()
    .getConnection()
    .execute<{ deleted: string }[]>(
      `with gone as (delete from webhook_deliveries where status <> 'pending' and created_at < now() - (? * interval '1 day') returning 1)
     select count(*)::text as deleted from gone`,
      [retentionDays],
    );
  return Number(rows[0]?.deleted ?? 0);
}
