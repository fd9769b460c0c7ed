import { BigIntType, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Filter, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { tenantFilter } from '../shared/tenant-filter.js';
import { Tenant } from './tenant.entity.js';
import { TextArrayType } from './text-array.type.js';
import type { WebhookEventType } from './webhook-contract.js';

/** Why an endpoint stopped receiving: an admin disabled it, or it failed for too long. */
export type WebhookDisabledReason = 'MANUAL' | 'FAILING';

/** A receiver an admin registered; the outbox trigger queues a delivery to it for every event it subscribed to. */
@Entity({ tableName: 'webhook_endpoints' })
@Filter(tenantFilter)
export class WebhookEndpoint {
  @PrimaryKey({ type: new BigIntType('string') })
  id!: string;

  @ManyToOne({ entity: () => Tenant, deleteRule: 'cascade', index: false })
  tenant!: Rel<Tenant>;

  @Property({ type: 'string', length: 2048 })
  url!: string;

  /** Event types delivered; empty: all of them. */
  @Property({ type: TextArrayType })
  events: WebhookEventType[] & Opt = [];

  /** Whether private events (internal notes, once they exist) reach this endpoint. */
  @Property({ type: 'boolean' })
  includePrivate: boolean & Opt = false;

  @Property({ type: 'boolean' })
  enabled: boolean & Opt = true;

  @Property({ type: 'string', length: 16, nullable: true })
  disabledReason: WebhookDisabledReason | null = null;

  /**
   * `whsec_<base64>`, sealed (db/stored-secrets.ts `webhookSecretPlace`): needed in the clear to
   * sign (HMAC), so encrypted rather than hashed, and never returned after creation or rotation.
   */
  @Property({ type: 'text', hidden: true })
  secret!: string;

  /** The secret before the last rotation (sealed), still signing until `previousSecretExpiresAt`. */
  @Property({ type: 'text', nullable: true, hidden: true })
  previousSecret: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  previousSecretExpiresAt: Date | null = null;

  /** Start of the current run of failed attempts; null after a success. */
  @Property({ type: 'datetime', nullable: true })
  failingSince: Date | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date & Opt = new Date();
}
