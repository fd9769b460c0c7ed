import { type AuditAction, type AuditDiff, auditContextOf, audited, changes, created, REDACTED } from '../audit/audit-log.js';
import type { Config } from '../config/config.js';
import type { Scope } from '../db/scope.js';
import { webhookSecretPlace } from '../db/stored-secrets.js';
import { Tenant } from '../model/tenant.entity.js';
import { WebhookAttempt } from '../model/webhook-attempt.entity.js';
import { isWebhookEventType, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../model/webhook-contract.js';
import { type DeliveryStatus, WebhookDelivery } from '../model/webhook-delivery.entity.js';
import { WebhookEndpoint } from '../model/webhook-endpoint.entity.js';
import { type Connection, decodeIdCursor, encodeIdCursor, forwardConnection } from '../shared/connection.js';
import { UserRole } from '../shared/enums.js';
import { badInput, notFound } from '../shared/errors.js';
import { requireUser } from '../shared/guards.js';
import type { SecretBox } from '../shared/secret-box.js';
import { intInRange, parseId } from '../shared/validate.js';
import { resolveTarget, TargetRefused } from './outbound-guard.js';
import { generateWebhookSecret } from './signer.js';

const MAX_URL_LENGTH = 2048;

export interface WebhookInput {
  url?: string | null;
  events?: readonly string[] | null;
  includePrivate?: boolean | null;
}

export interface WebhookWithSecret {
  endpoint: WebhookEndpoint;
  /** Shown once, here: it is never returned again. */
  secret: string;
}

export const MAX_DELIVERY_PAGE = 100;
export const DEFAULT_DELIVERY_PAGE = 50;
const DELIVERY_CURSOR = 'delivery';

export interface DeliveryQuery {
  status?: DeliveryStatus | null;
  /** Page size, 1 to MAX_DELIVERY_PAGE (default DEFAULT_DELIVERY_PAGE). */
  first?: number | null;
  /** An edge's cursor: the page holds the deliveries after it (older ones). */
  after?: string | null;
  /** `first` under the name webhookDeliveries gives it (errors name `limit`). */
  limit?: number | null;
  /** A delivery id: the page holds the deliveries below it (webhookDeliveries' form of `after`). */
  before?: string | null;
}

export interface DeliveryWithAttempts {
  delivery: WebhookDelivery;
  attempts: WebhookAttempt[];
}

/** What an audit entry shows of an endpoint (never its secrets). */
const auditedFields = (endpoint: WebhookEndpoint) => ({ url: endpoint.url, events: [...endpoint.events], includePrivate: endpoint.includePrivate, enabled: endpoint.enabled });

/** Admins manage their tenant's webhook endpoints and read their delivery log. */
export class WebhookService {
  constructor(
    private readonly scope: Scope,
    private readonly deps: { config: Pick<Config, 'webhooks'>; secrets: SecretBox },
  ) {}

  private admin() {
    return requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
  }

  async list(): Promise<WebhookEndpoint[]> {
    this.admin();
    return this.scope.em.find(WebhookEndpoint, {}, { orderBy: { id: 'asc' } });
  }

  async create(input: WebhookInput): Promise<WebhookWithSecret> {
    const admin = this.admin();
    const url = await this.checkUrl(input.url);
    const secret = generateWebhookSecret();
    // The sealed secret is bound to the row's id, so the id is taken before the insert.
    const id = await this.nextId();
    const endpoint = this.scope.em.create(WebhookEndpoint, {
      id,
      tenant: this.scope.em.getReference(Tenant, admin.tenantId),
      url,
      events: checkEvents(input.events ?? []),
      includePrivate: input.includePrivate ?? false,
      secret: this.deps.secrets.seal(secret, webhookSecretPlace(id)),
    });
    await this.flushAudited('webhook.created', endpoint, created(auditedFields(endpoint)));
    return { endpoint, secret };
  }

  async update(id: string, input: WebhookInput): Promise<WebhookEndpoint> {
    const endpoint = await this.find(id);
    const before = auditedFields(endpoint);
    if (input.url != null) endpoint.url = await this.checkUrl(input.url);
    if (input.events != null) endpoint.events = checkEvents(input.events);
    if (input.includePrivate != null) endpoint.includePrivate = input.includePrivate;
    endpoint.updatedAt = new Date();
    await this.flushAudited('webhook.updated', endpoint, changes(before, auditedFields(endpoint)));
    return endpoint;
  }

  /**
   * Disabled: no new deliveries are queued for it, and pending ones wait. Enabled again: pending
   * deliveries are due at once and its failing run starts over.
   */
  async setEnabled(id: string, enabled: boolean): Promise<WebhookEndpoint> {
    const endpoint = await this.find(id);
    if (endpoint.enabled === enabled) return endpoint;
    endpoint.enabled = enabled;
    endpoint.disabledReason = enabled ? null : 'MANUAL';
    endpoint.failingSince = null;
    endpoint.updatedAt = new Date();
    await this.flushAudited(enabled ? 'webhook.enabled' : 'webhook.disabled', endpoint, { enabled: { before: !enabled, after: enabled } });
    if (enabled) await this.scope.em.nativeUpdate(WebhookDelivery, { endpoint: endpoint.id, status: 'pending', claimToken: null }, { nextAttemptAt: new Date() });
    return endpoint;
  }

  /** Deletes the endpoint with its deliveries and attempts log. */
  async delete(id: string): Promise<boolean> {
    const endpoint = await this.find(id);
    const removed = { id: endpoint.id, fields: auditedFields(endpoint) };
    this.scope.em.remove(endpoint);
    await this.flushAudited('webhook.deleted', removed, changes(removed.fields, {}));
    return true;
  }

  /**
   * A new secret signs every delivery from now on; the old one also signs them (a second
   * signature) for WEBHOOK_SECRET_GRACE_SECONDS, so receivers can switch without losing any.
   */
  async rotateSecret(id: string): Promise<WebhookWithSecret> {
    const endpoint = await this.find(id);
    const secret = generateWebhookSecret();
    endpoint.previousSecret = endpoint.secret;
    endpoint.previousSecretExpiresAt = new Date(Date.now() + this.deps.config.webhooks.secretGraceSeconds * 1000);
    endpoint.secret = this.deps.secrets.seal(secret, webhookSecretPlace(endpoint.id));
    endpoint.updatedAt = new Date();
    await this.flushAudited('webhook.secret_rotated', endpoint, { secret: { before: REDACTED, after: REDACTED } });
    return { endpoint, secret };
  }

  /**
   * One endpoint's deliveries, newest first, with their attempts: a keyset page on the delivery id.
   * The page starts after an edge's cursor (`after`), or below a delivery id (`before`, the
   * webhookDeliveries form); its size is `first`, or `limit` in that form.
   */
  async deliveries(webhookId: string, query: DeliveryQuery = {}): Promise<Connection<DeliveryWithAttempts>> {
    const endpoint = await this.find(webhookId, 'webhookId');
    const size = query.limit != null ? intInRange(query.limit, 'limit', 1, MAX_DELIVERY_PAGE, DEFAULT_DELIVERY_PAGE) : intInRange(query.first, 'first', 1, MAX_DELIVERY_PAGE, DEFAULT_DELIVERY_PAGE);
    const below = query.before != null ? parseId(query.before, 'before') : query.after != null ? decodeIdCursor(DELIVERY_CURSOR, query.after, 'after') : null;
    const deliveries = await this.scope.em.find(
      WebhookDelivery,
      { endpoint: endpoint.id, ...(query.status ? { status: query.status } : {}), ...(below ? { id: { $lt: below } } : {}) },
      { orderBy: { id: 'desc' }, limit: size + 1 },
    );
    const page = await this.withAttempts(deliveries.slice(0, size));
    const edges = page.map((node) => ({ cursor: encodeIdCursor(DELIVERY_CURSOR, node.delivery.id), node }));
    return forwardConnection(edges, deliveries.length > size, below);
  }

  /**
   * Sends a delivery again, whatever became of it: pending now, with a fresh retry window and the
   * same `webhook-id` (receivers that kept it may drop the repeat). An attempt in flight is left
   * to finish.
   */
  async redeliver(deliveryId: string): Promise<DeliveryWithAttempts> {
    this.admin();
    const { em } = this.scope;
    const delivery = await em.findOne(WebhookDelivery, { id: parseId(deliveryId, 'deliveryId') });
    if (!delivery) throw notFound('DELIVERY_NOT_FOUND');
    const now = new Date();
    await em.nativeUpdate(WebhookDelivery, { id: delivery.id, claimToken: null }, { status: 'pending', nextAttemptAt: now, retryFrom: now });
    await em.refresh(delivery);
    return (await this.withAttempts([delivery]))[0]!;
  }

  private async withAttempts(deliveries: WebhookDelivery[]): Promise<DeliveryWithAttempts[]> {
    if (deliveries.length === 0) return [];
    const attempts = await this.scope.em.find(WebhookAttempt, { delivery: deliveries.map((d) => d.id) }, { orderBy: { id: 'asc' } });
    return deliveries.map((delivery) => ({ delivery, attempts: attempts.filter((attempt) => attempt.delivery.id === delivery.id) }));
  }

  /** Flushes the change with its audit entry, in one transaction. */
  private flushAudited(action: AuditAction, endpoint: { id: string }, diff: AuditDiff): Promise<void> {
    return audited(
      this.scope.em,
      auditContextOf(this.scope),
      async () => undefined,
      () => ({ action, target: { type: 'webhook', id: endpoint.id }, diff }),
    );
  }

  private async nextId(): Promise<string> {
    const [row] = await this.scope.em.execute<{ id: string }[]>(`select nextval(pg_get_serial_sequence('webhook_endpoints', 'id'))::text as id`);
    return row!.id;
  }

  private async find(id: string, field = 'id'): Promise<WebhookEndpoint> {
    this.admin();
    const endpoint = await this.scope.em.findOne(WebhookEndpoint, { id: parseId(id, field) });
    if (!endpoint) throw notFound('WEBHOOK_NOT_FOUND');
    return endpoint;
  }

  /**
   * An absolute http(s) URL without credentials. Unless private targets are allowed (outside
   * production by default), its host must resolve, and only to addresses webhooks may reach;
   * the same check runs again before every attempt (DNS answers change).
   */
  private async checkUrl(raw: string | null | undefined): Promise<string> {
    if (typeof raw !== 'string' || raw.length > MAX_URL_LENGTH) throw badInput('url', `url must be an http(s) URL of at most ${MAX_URL_LENGTH} characters`, 'INVALID_URL');
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      throw badInput('url', 'url must be an absolute http:// or https:// URL', 'INVALID_URL');
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || !url.hostname) {
      throw badInput('url', 'url must be an absolute http:// or https:// URL without credentials', 'INVALID_URL');
    }
    const { allowPrivateTargets } = this.deps.config.webhooks;
    if (!allowPrivateTargets) {
      try {
        await resolveTarget(url.hostname, false);
      } catch (error) {
        if (!(error instanceof TargetRefused)) throw error;
        throw badInput('url', `url is not allowed: ${error.message}`, error.reason === 'TARGET_NOT_ALLOWED' ? 'TARGET_NOT_ALLOWED' : 'INVALID_URL');
      }
    }
    return url.href;
  }
}

function checkEvents(events: readonly string[]): WebhookEventType[] {
  if (!Array.isArray(events) || events.length > WEBHOOK_EVENT_TYPES.length) throw badInput('events', `events lists at most ${WEBHOOK_EVENT_TYPES.length} event types`, 'UNKNOWN_EVENT_TYPE');
  const unknown = events.find((type) => !isWebhookEventType(type));
  if (unknown !== undefined) {
    throw badInput('events', `${String(unknown).slice(0, 40)} is not an event type; known: ${WEBHOOK_EVENT_TYPES.join(', ')}`, 'UNKNOWN_EVENT_TYPE');
  }
  return [...new Set(events as WebhookEventType[])];
}
