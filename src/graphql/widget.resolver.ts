import { Arg, Ctx, Field, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../app/context.js';

@ObjectType('WidgetSessionPayload')
export class WidgetSessionPayload {
  @Field(() => String, { description: 'Guest token scoped to the tenant and this one conversation' })
  token!: string;

  @Field(() => String, { description: 'Public UUID of the new conversation' })
  conversationId!: string;
}

@ObjectType('WidgetConfig', { description: 'What a website widget tells a visitor before they write' })
export class WidgetConfigType {
  @Field(() => String, { description: "The tenant's display name" })
  tenantName!: string;

  @Field(() => Boolean, { description: "Open now by the tenant's business hours (always, without hours)" })
  openNow!: boolean;

  @Field(() => Date, { nullable: true, description: 'While closed: when the team opens again' })
  nextOpenAt!: Date | null;

  @Field(() => Int, {
    nullable: true,
    description: 'The typical wait for a first reply in seconds: the median of the last 30 days, plus the time until opening while closed; null without data',
  })
  expectedReplySeconds!: number | null;
}

@Resolver()
export class WidgetResolver {
  @Query(() => WidgetConfigType, { description: "No auth: a tenant's public widget key, from one of its allowed origins, reads what the widget tells visitors" })
  async widgetConfig(
    @Arg('widgetKey', () => String) widgetKey: string,
    @Ctx() ctx: RequestContext,
    @Arg('origin', () => String, { nullable: true, description: "The page's origin (a browser's Origin header outranks it)" }) origin?: string | null,
  ): Promise<WidgetConfigType> {
    return Object.assign(new WidgetConfigType(), await ctx.widget.config(widgetKey, ctx.page?.origin ?? origin, ctx.page?.sameOrigin ?? false));
  }

  @Mutation(() => WidgetSessionPayload, { description: "No auth: a tenant's public widget key plus an allowed origin open a guest conversation" })
  async startWidgetSession(
    @Arg('widgetKey', () => String) widgetKey: string,
    @Ctx() ctx: RequestContext,
    @Arg('origin', () => String, { nullable: true, description: "The page's origin (the REST route passes the Origin header)" }) origin?: string | null,
  ): Promise<WidgetSessionPayload> {
    // A browser's own Origin header outranks what the page claims in the argument.
    const { token, session } = await ctx.widget.start(widgetKey, ctx.page?.origin ?? origin, ctx.page?.sameOrigin ?? false);
    return { token, conversationId: session.uuid };
  }
}
