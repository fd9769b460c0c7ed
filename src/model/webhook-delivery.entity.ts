import { BigIntType, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Filter, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { tenantFilter } from '../shared/tenant-filter.js';
import { Tenant } from './tenant.entity.js';
import type { WebhookEventType } from './webhook-contract.js';
import { WebhookEndpoint } from './webhook-endpoint.entity.js';

/** `pending` (queued, retrying or in flight), `delivered` (2xx), `failed` (gave up), `skipped` (the endpoint does not take it). */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'skipped';

/**
 * One event for one endpoint, with its own copy of the event (outbox pruning never takes it).
 * Written by the outbox trigger (session events) or the worker (`webhook.disabled`); claimed
 * by any node's worker with FOR UPDATE SKIP LOCKED (webhooks/delivery-queue.ts).
 */
@Entity({ tableName: 'webhook_deliveries' })
@Filter(tenantFilter)
export class WebhookDelivery {
  @PrimaryKey({ type: new BigIntType('string') })
  id!: string;

  @ManyToOne({ entity: () => Tenant, deleteRule: 'cascade', index: false })
  tenant!: Rel<Tenant>;

  @ManyToOne({ entity: () => WebhookEndpoint, deleteRule: 'cascade', index: false })
  endpoint!: Rel<WebhookEndpoint>;

  /** The `webhook-id` header: the same on every attempt (and for every endpoint) of one event. */
  @Property({ type: 'string', length: 64 })
  messageId!: string;

  @Property({ type: new BigIntType('string'), nullable: true })
  eventId: string | null = null;

  @Property({ type: new BigIntType('string'), nullable: true })
  sessionId: string | null = null;

  @Property({ type: new BigIntType('string'), nullable: true })
  seq: string | null = null;

  @Property({ type: 'string', length: 32 })
  type!: WebhookEventType;

  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Property({ type: 'datetime' })
  eventCreatedAt!: Date;

  @Property({ type: 'string', length: 16 })
  status: DeliveryStatus & Opt = 'pending';

  @Property({ type: 'integer' })
  attempts: number & Opt = 0;

  @Property({ type: 'datetime' })
  nextAttemptAt: Date & Opt = new Date();

  /** Retries stop WEBHOOK_RETRY_FOR_SECONDS after this (its creation, or the last manual redelivery). */
  @Property({ type: 'datetime' })
  retryFrom: Date & Opt = new Date();

  /** The lease of the attempt in flight: only its holder records the outcome. */
  @Property({ type: 'uuid', nullable: true, hidden: true })
  claimToken: string | null = null;

  @Property({ type: 'integer', nullable: true })
  lastStatusCode: number | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  lastError: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  deliveredAt: Date | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();
}
