import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { WebhookAttempt } from '../model/webhook-attempt.entity.js';
import type { WebhookEndpoint } from '../model/webhook-endpoint.entity.js';
import { type Connection, mapNodes } from '../shared/connection.js';
import type { DeliveryWithAttempts, WebhookWithSecret } from '../webhooks/webhook.service.js';
import { PageInfoType } from './message.types.js';

/** GraphQL names for the stored delivery states. */
export enum WebhookDeliveryStatus {
  PENDING = 'pending',
  DELIVERED = 'delivered',
  FAILED = 'failed',
  SKIPPED = 'skipped',
}
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'PENDING: queued, retrying or in flight; DELIVERED: a 2xx came back; FAILED: retries ran out (redeliverWebhook sends it again); SKIPPED: the endpoint does not take it',
});

@ObjectType('Webhook', { description: 'An endpoint that receives signed events (Standard Webhooks); admins only' })
export class WebhookType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  url!: string;

  @Field(() => [String], { description: 'Event types delivered (message.created, session.updated, …, webhook.disabled); empty: all' })
  events!: string[];

  @Field(() => Boolean, { description: 'Whether private events (internal notes) are delivered to it' })
  includePrivate!: boolean;

  @Field(() => Boolean)
  enabled!: boolean;

  @Field(() => String, { nullable: true, description: 'MANUAL (disableWebhook) or FAILING (failed for WEBHOOK_DISABLE_AFTER_SECONDS)' })
  disabledReason!: string | null;

  @Field(() => Date, { nullable: true, description: 'Start of the current run of failed attempts' })
  failingSince!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Until when the secret before the last rotation still signs deliveries' })
  previousSecretExpiresAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;

  static from(endpoint: WebhookEndpoint): WebhookType {
    return Object.assign(new WebhookType(), {
      id: endpoint.id,
      url: endpoint.url,
      events: [...endpoint.events],
      includePrivate: endpoint.includePrivate,
      enabled: endpoint.enabled,
      disabledReason: endpoint.disabledReason,
      failingSince: endpoint.failingSince,
      previousSecretExpiresAt: endpoint.previousSecretExpiresAt,
      createdAt: endpoint.createdAt,
      updatedAt: endpoint.updatedAt,
    });
  }
}

@ObjectType('WebhookSecret', { description: 'An endpoint and its signing secret, shown only here (createWebhook, rotateWebhookSecret)' })
export class WebhookSecretType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'whsec_…: verify deliveries with it (Standard Webhooks); never shown again' })
  secret!: string;

  @Field(() => WebhookType)
  webhook!: WebhookType;

  static from(result: WebhookWithSecret): WebhookSecretType {
    return Object.assign(new WebhookSecretType(), { id: result.endpoint.id, secret: result.secret, webhook: WebhookType.from(result.endpoint) });
  }
}

@ObjectType('WebhookAttempt', { description: 'One HTTP attempt of a delivery' })
export class WebhookAttemptType {
  @Field(() => ID)
  id!: string;

  @Field(() => Date)
  attemptedAt!: Date;

  @Field(() => Int, { nullable: true, description: "The receiver's status; null when no response came" })
  statusCode!: number | null;

  @Field(() => Boolean)
  ok!: boolean;

  @Field(() => Int)
  latencyMs!: number;

  @Field(() => String, { nullable: true, description: 'TIMEOUT, CONNECT_TIMEOUT, CONNECTION_FAILED:<code>, DNS_FAILED, TARGET_NOT_ALLOWED, REDIRECT_NOT_FOLLOWED' })
  error!: string | null;

  @Field(() => String, { description: 'The start of the response body (WEBHOOK_RESPONSE_BODY_BYTES)' })
  responseBody!: string;

  static from(attempt: WebhookAttempt): WebhookAttemptType {
    return Object.assign(new WebhookAttemptType(), {
      id: attempt.id,
      attemptedAt: attempt.attemptedAt,
      statusCode: attempt.statusCode,
      ok: attempt.ok,
      latencyMs: attempt.latencyMs,
      error: attempt.error,
      responseBody: attempt.responseBody,
    });
  }
}

@ObjectType('WebhookDelivery', { description: 'One event for one endpoint, and its attempts' })
export class WebhookDeliveryType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  webhookId!: string;

  @Field(() => String, { description: 'The webhook-id header: the same on every attempt of this event' })
  messageId!: string;

  @Field(() => String)
  eventType!: string;

  @Field(() => ID, { nullable: true, description: 'The outbox event id; null for webhook.disabled' })
  eventId!: string | null;

  @Field(() => ID, { nullable: true })
  sessionId!: string | null;

  @Field(() => WebhookDeliveryStatus)
  status!: WebhookDeliveryStatus;

  @Field(() => Int, { description: 'Attempts made so far' })
  attemptCount!: number;

  @Field(() => Date, { nullable: true, description: 'When the next attempt is due, while PENDING' })
  nextAttemptAt!: Date | null;

  @Field(() => Int, { nullable: true })
  lastStatusCode!: number | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => Date, { nullable: true })
  deliveredAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => [WebhookAttemptType], { description: 'Oldest first' })
  attempts!: WebhookAttemptType[];

  static from({ delivery, attempts }: DeliveryWithAttempts): WebhookDeliveryType {
    return Object.assign(new WebhookDeliveryType(), {
      id: delivery.id,
      webhookId: delivery.endpoint.id,
      messageId: delivery.messageId,
      eventType: delivery.type,
      eventId: delivery.eventId,
      sessionId: delivery.sessionId,
      status: delivery.status as WebhookDeliveryStatus,
      attemptCount: delivery.attempts,
      nextAttemptAt: delivery.status === 'pending' ? delivery.nextAttemptAt : null,
      lastStatusCode: delivery.lastStatusCode,
      lastError: delivery.lastError,
      deliveredAt: delivery.deliveredAt,
      createdAt: delivery.createdAt,
      attempts: attempts.map((attempt) => WebhookAttemptType.from(attempt)),
    });
  }
}

@ObjectType('WebhookDeliveryEdge')
export class WebhookDeliveryEdgeType {
  @Field(() => String, { description: 'Pass as `after` for the older deliveries' })
  cursor!: string;

  @Field(() => WebhookDeliveryType)
  node!: WebhookDeliveryType;
}

@ObjectType('WebhookDeliveryConnection', { description: "An endpoint's deliveries, newest first (a Relay connection)" })
export class WebhookDeliveryConnectionType {
  @Field(() => [WebhookDeliveryEdgeType])
  edges!: WebhookDeliveryEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  static from(page: Connection<DeliveryWithAttempts>): WebhookDeliveryConnectionType {
    return mapNodes(page, (node) => WebhookDeliveryType.from(node));
  }
}
