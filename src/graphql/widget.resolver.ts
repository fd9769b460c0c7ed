import { Arg, Ctx, Field, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { RequestContext } from '../app/context.js';

@ObjectType('WidgetSessionPayload')
export class WidgetSessionPayload {
  @Field(() => String, { description: 'Guest token scoped to the tenant and this one conversation' })
  token!: string;

  @Field(() => String, { description: 'Public UUID of the new conversation' })
  conversationId!: string;
}

@Resolver()
export class WidgetResolver {
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
