import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { WebhookConfig } from '../config/config.js';
import type { Orm } from '../db/orm.js';
import { openStoredSecret, webhookSecretPlace } from '../db/stored-secrets.js';
import { type WebhookBody, webhookBody } from '../model/webhook-contract.js';
import { type SecretBox, SecretUnreadable } from '../shared/secret-box.js';
import { type ClaimedDelivery, claimDue, pruneDeliveries, queueEndpointDisabled, recordFailure, recordSkipped, recordSuccess, recordUnsendable } from './delivery-queue.js';
import { retryDelayMs } from './retry-policy.js';
import { type AttemptOutcome, postWebhook } from './sender.js';
import { signingSecrets, signWebhook } from './signer.js';

/** How often finished deliveries past the retention window are deleted. */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/**
 * A claim outlives the attempt's hard limit (WEBHOOK_TIMEOUT_MS, name resolution included) by this
 * much, so no other node can start it while it runs. Lease times are the database's clock, so
 * nodes' clocks do not matter; the margin covers recording the outcome.
 */
const LEASE_MARGIN_MS = 5_000;

const tracer = trace.getTracer('parley-webhooks');

/** An attempt that sent nothing: the endpoint's secret is sealed under a key this node does not have. */
const SECRET_UNREADABLE: AttemptOutcome = { ok: false, statusCode: null, latencyMs: 0, error: 'SECRET_UNREADABLE', responseBody: '' };

/**
 * Delivers queued webhooks from this node: claims due deliveries (any node may; see
 * delivery-queue.ts), signs and sends each, and records the outcome. Runs up to
 * WEBHOOK_CONCURRENCY attempts at once; wakes on this node's own commits (`wake`) and polls every
 * WEBHOOK_POLL_INTERVAL_MS for retries and other nodes' events.
 */
export class DeliveryWorker {
  private inFlight = new Set<Promise<void>>();
  private pumping: Promise<void> | null = null;
  private again = false;
  private claimsFailing = false;
  private stopped = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly orm: Orm,
    private readonly config: WebhookConfig,
    private readonly retentionDays: number,
    private readonly logger: Logger,
    private readonly secrets: SecretBox,
  ) {}

  start(): void {
    const poll = setInterval(() => this.wake(), this.config.pollIntervalMs);
    const prune = setInterval(() => this.prune(), PRUNE_INTERVAL_MS);
    poll.unref();
    prune.unref();
    this.timers.push(poll, prune);
    this.wake();
  }

  /** Something may be due: look now (cheap when a look is already under way). */
  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump()
      .then(
        () => {
          if (!this.claimsFailing) return;
          this.claimsFailing = false;
          this.logger.info('claiming webhook deliveries works again');
        },
        (error: unknown) => {
          // Once per outage, not once per poll: deliveries wait in the table meanwhile.
          if (this.claimsFailing) return;
          this.claimsFailing = true;
          this.logger.warn({ err: error }, 'claiming webhook deliveries failed; retrying every poll interval');
        },
      )
      .finally(() => {
        this.pumping = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Stops claiming and waits for the attempts in flight (each ends within WEBHOOK_TIMEOUT_MS). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    while (this.pumping || this.inFlight.size > 0) await Promise.allSettled([this.pumping, ...this.inFlight]);
    await this.pruning;
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      while (!this.stopped) {
        const room = this.config.concurrency - this.inFlight.size;
        if (room <= 0) break;
        const claimed = await claimDue(this.orm, room, this.config.timeoutMs + LEASE_MARGIN_MS);
        for (const delivery of claimed) this.run(delivery);
        if (claimed.length < room) break;
      }
    } while (this.again && !this.stopped);
  }

  private run(delivery: ClaimedDelivery): void {
    const attempt = this.attempt(delivery)
      .catch((error: unknown) => this.logger.error({ err: error, deliveryId: delivery.id }, 'webhook attempt could not be recorded'))
      .finally(() => {
        this.inFlight.delete(attempt);
        // A finished attempt frees a slot, and may have unblocked the next event of its session.
        this.wake();
      });
    this.inFlight.add(attempt);
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    let body: WebhookBody | null;
    try {
      body = webhookBody(delivery, delivery.includePrivate);
    } catch (error) {
      this.logger.error({ err: error, deliveryId: delivery.id, webhookId: delivery.endpointId }, 'a webhook delivery does not match the event contract; failed without an attempt');
      await recordUnsendable(this.orm, delivery, 'CONTRACT_MISMATCH');
      return;
    }
    if (body === null) {
      // Not for this endpoint (a note's event, or a mark over notes only, without includePrivate): skipped keeps the order.
      await recordSkipped(this.orm, delivery);
      return;
    }
    const text = JSON.stringify(body);
    const attemptedAt = new Date();
    const secrets = this.openSecrets(delivery, attemptedAt);
    const outcome = secrets === null ? SECRET_UNREADABLE : await this.send(delivery, body.type, text, secrets, attemptedAt);
    if (outcome.ok) {
      await recordSuccess(this.orm, delivery, attemptedAt, outcome);
      return;
    }
    const disabled = await recordFailure(this.orm, delivery, attemptedAt, outcome, {
      retryInMs: retryDelayMs(delivery.attempts + 1, this.config),
      retryForSeconds: this.config.retryForSeconds,
      disableAfterSeconds: this.config.disableAfterSeconds,
    });
    if (disabled) {
      this.logger.warn({ webhookId: disabled.endpointId, tenantId: disabled.tenantId, failingSince: disabled.failingSince }, 'webhook endpoint disabled after failing');
      await queueEndpointDisabled(this.orm, disabled);
    }
  }

  /**
   * The endpoint's signing secrets in the clear (stored sealed: db/stored-secrets.ts), or null when
   * one cannot be opened with this node's keys: logged, and the attempt fails as SECRET_UNREADABLE
   * (retried like any failure, so deliveries resume once the right key is configured). Opening
   * costs two AES-GCM decryptions of a few dozen bytes, next to an HTTP request: nothing is cached.
   */
  private openSecrets(delivery: ClaimedDelivery, at: Date): string[] | null {
    const place = webhookSecretPlace(delivery.endpointId);
    try {
      return signingSecrets(delivery, at).map((stored) => openStoredSecret(this.secrets, stored, place, this.logger));
    } catch (error) {
      if (!(error instanceof SecretUnreadable)) throw error;
      this.logger.error({ webhookId: delivery.endpointId, tenantId: delivery.tenantId, deliveryId: delivery.id, reason: error.reason, kid: error.kid }, `webhook not sent: ${error.message}`);
      return null;
    }
  }

  /** One signed attempt; one trace per attempt (a no-op without tracing): its span is the `traceparent` the receiver gets. */
  private send(delivery: ClaimedDelivery, type: string, text: string, secrets: readonly string[], attemptedAt: Date): Promise<AttemptOutcome> {
    const timestamp = Math.floor(attemptedAt.getTime() / 1000);
    const headers = {
      'webhook-id': delivery.messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(secrets, delivery.messageId, timestamp, text),
    };
    return tracer.startActiveSpan(
      `webhook ${type}`,
      { kind: SpanKind.INTERNAL, attributes: { 'parley.webhook.endpoint_id': delivery.endpointId, 'parley.webhook.delivery_id': delivery.id, 'parley.webhook.attempt': delivery.attempts + 1 } },
      ROOT_CONTEXT,
      async (span) => {
        const result = await postWebhook(delivery.url, headers, text, this.config);
        if (result.statusCode !== null) span.setAttribute('http.response.status_code', result.statusCode);
        if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: result.error ?? `HTTP ${result.statusCode}` });
        span.end();
        return result;
      },
    );
  }

  private pruning: Promise<unknown> = Promise.resolve();

  private prune(): void {
    this.pruning = pruneDeliveries(this.orm, this.retentionDays).then(
      (deleted) => deleted > 0 && this.logger.info({ deleted }, 'pruned webhook deliveries'),
      (error: unknown) => this.logger.error({ err: error }, 'pruning webhook deliveries failed'),
    );
  }
}
