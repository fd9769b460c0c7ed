import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { WebhookDeliveryConnectionType, WebhookDeliveryStatus, WebhookDeliveryType, WebhookSecretType, WebhookType } from './webhook.types.js';

/** Outbound webhooks; see WebhookService for the rules (admins only, their tenant's endpoints). */
@Resolver()
export class WebhookResolver {
  @Query(() => [WebhookType], { description: "Admins: the tenant's webhook endpoints" })
  async webhooks(@Ctx() ctx: RequestContext): Promise<WebhookType[]> {
    return (await ctx.webhooks.list()).map((endpoint) => WebhookType.from(endpoint));
  }

  @Query(() => WebhookDeliveryConnectionType, { description: "Admins: an endpoint's deliveries with their attempts, newest first; forward paging with first/after" })
  async webhookDeliveriesConnection(
    @Arg('webhookId', () => ID) webhookId: string,
    @Ctx() ctx: RequestContext,
    @Arg('status', () => WebhookDeliveryStatus, { nullable: true }) status?: WebhookDeliveryStatus | null,
    @Arg('first', () => Int, { nullable: true, description: '1 to 100; default 50' }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<WebhookDeliveryConnectionType> {
    return WebhookDeliveryConnectionType.from(await ctx.webhooks.deliveries(webhookId, { status, first, after }));
  }

  @Query(() => [WebhookDeliveryType], {
    description: "Admins: an endpoint's deliveries with their attempts, newest first; `before` (a delivery id) pages back",
    deprecationReason: 'Use webhookDeliveriesConnection, a Relay connection',
  })
  async webhookDeliveries(
    @Arg('webhookId', () => ID) webhookId: string,
    @Ctx() ctx: RequestContext,
    @Arg('status', () => WebhookDeliveryStatus, { nullable: true }) status?: WebhookDeliveryStatus | null,
    @Arg('limit', () => Int, { nullable: true, description: '1 to 100; default 50' }) limit?: number | null,
    @Arg('before', () => ID, { nullable: true }) before?: string | null,
  ): Promise<WebhookDeliveryType[]> {
    return (await ctx.webhooks.deliveries(webhookId, { status, limit, before })).edges.map((edge) => WebhookDeliveryType.from(edge.node));
  }

  @Mutation(() => WebhookSecretType, { description: 'Admins: registers an endpoint for the given event types (empty: all); the secret is shown only here' })
  async createWebhook(
    @Arg('url', () => String) url: string,
    @Arg('events', () => [String]) events: string[],
    @Ctx() ctx: RequestContext,
    @Arg('includePrivate', () => Boolean, { nullable: true, description: 'Also deliver private events (internal notes); default false' }) includePrivate?: boolean | null,
  ): Promise<WebhookSecretType> {
    return WebhookSecretType.from(await ctx.webhooks.create({ url, events, includePrivate }));
  }

  @Mutation(() => WebhookType, { description: 'Admins: changes what is given; deliveries already queued keep going to the endpoint' })
  async updateWebhook(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: RequestContext,
    @Arg('url', () => String, { nullable: true }) url?: string | null,
    @Arg('events', () => [String], { nullable: true }) events?: string[] | null,
    @Arg('includePrivate', () => Boolean, { nullable: true }) includePrivate?: boolean | null,
  ): Promise<WebhookType> {
    return WebhookType.from(await ctx.webhooks.update(id, { url, events, includePrivate }));
  }

  @Mutation(() => WebhookType, { description: 'Admins: stops deliveries to the endpoint (pending ones wait; no new ones are queued)' })
  async disableWebhook(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<WebhookType> {
    return WebhookType.from(await ctx.webhooks.setEnabled(id, false));
  }

  @Mutation(() => WebhookType, { description: 'Admins: resumes deliveries (pending ones are due at once)' })
  async enableWebhook(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<WebhookType> {
    return WebhookType.from(await ctx.webhooks.setEnabled(id, true));
  }

  @Mutation(() => Boolean, { description: 'Admins: removes the endpoint with its deliveries and attempts' })
  async deleteWebhook(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return ctx.webhooks.delete(id);
  }

  @Mutation(() => WebhookSecretType, { description: 'Admins: a new secret, shown only here; the old one also signs deliveries for WEBHOOK_SECRET_GRACE_SECONDS' })
  async rotateWebhookSecret(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<WebhookSecretType> {
    return WebhookSecretType.from(await ctx.webhooks.rotateSecret(id));
  }

  @Mutation(() => WebhookDeliveryType, { description: 'Admins: sends a delivery again (same webhook-id), whatever became of it' })
  async redeliverWebhook(@Arg('deliveryId', () => ID) deliveryId: string, @Ctx() ctx: RequestContext): Promise<WebhookDeliveryType> {
    return WebhookDeliveryType.from(await ctx.webhooks.redeliver(deliveryId));
  }
}
