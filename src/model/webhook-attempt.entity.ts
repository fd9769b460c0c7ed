import { BigIntType, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Filter, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { tenantFilter } from '../shared/tenant-filter.js';
import { Tenant } from './tenant.entity.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';

/** One HTTP attempt of a delivery, as the attempts log shows it. */
@Entity({ tableName: 'webhook_attempts' })
@Filter(tenantFilter)
export class WebhookAttempt {
  @PrimaryKey({ type: new BigIntType('string') })
  id!: string;

  @ManyToOne({ entity: () => Tenant, deleteRule: 'cascade', index: false })
  tenant!: Rel<Tenant>;

  @ManyToOne({ entity: () => WebhookDelivery, deleteRule: 'cascade', index: false })
  delivery!: Rel<WebhookDelivery>;

  @Property({ type: 'datetime' })
  attemptedAt!: Date;

  /** The receiver's HTTP status; null when no response came (refused, timed out, blocked). */
  @Property({ type: 'integer', nullable: true })
  statusCode: number | null = null;

  @Property({ type: 'boolean' })
  ok!: boolean;

  @Property({ type: 'integer' })
  latencyMs!: number;

  /** Why no usable response came: TIMEOUT, CONNECT_TIMEOUT, CONNECTION_FAILED, TARGET_NOT_ALLOWED, DNS_FAILED, REDIRECT… */
  @Property({ type: 'string', length: 64, nullable: true })
  error: string | null = null;

  /** The start of the response body (WEBHOOK_RESPONSE_BODY_BYTES). */
  @Property({ type: 'text' })
  responseBody: string & Opt = '';
}
