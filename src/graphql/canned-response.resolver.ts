import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { CannedResponseArgsType, CannedResponseConnectionType, CannedResponsePageType, CannedResponseType } from './canned-response.types.js';

/** Canned responses; see CannedResponseService for the rules (admins write, support staff and admins read). */
@Resolver()
export class CannedResponseResolver {
  @Query(() => CannedResponseConnectionType, {
    description: "Staff and admins: the tenant's canned responses by short code, optionally by short-code prefix and content words (each a word prefix); forward paging with first/after",
  })
  async cannedResponsesConnection(@Args(() => CannedResponseArgsType) args: CannedResponseArgsType, @Ctx() ctx: RequestContext): Promise<CannedResponseConnectionType> {
    return CannedResponseConnectionType.from(await ctx.cannedResponses.list(args));
  }

  @Query(() => CannedResponsePageType, {
    description: "Staff and admins: the tenant's canned responses by short code, optionally by short-code prefix and content words (each a word prefix)",
    deprecationReason: 'Use cannedResponsesConnection, a Relay connection',
  })
  async cannedResponses(@Args(() => CannedResponseArgsType) args: CannedResponseArgsType, @Ctx() ctx: RequestContext): Promise<CannedResponsePageType> {
    return CannedResponsePageType.from(await ctx.cannedResponses.list(args));
  }

  @Query(() => CannedResponseType, { description: 'Staff and admins: one canned response' })
  async cannedResponse(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<CannedResponseType> {
    return CannedResponseType.from(await ctx.cannedResponses.get(id));
  }

  @Mutation(() => CannedResponseType, { description: 'Admins: at most CANNED_RESPONSES_MAX per tenant' })
  async createCannedResponse(@Arg('shortCode', () => String) shortCode: string, @Arg('content', () => String) content: string, @Ctx() ctx: RequestContext): Promise<CannedResponseType> {
    return CannedResponseType.from(await ctx.cannedResponses.create({ shortCode, content }));
  }

  @Mutation(() => CannedResponseType, { description: 'Admins: changes what is given' })
  async updateCannedResponse(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: RequestContext,
    @Arg('shortCode', () => String, { nullable: true }) shortCode?: string | null,
    @Arg('content', () => String, { nullable: true }) content?: string | null,
  ): Promise<CannedResponseType> {
    return CannedResponseType.from(await ctx.cannedResponses.update(id, { shortCode, content }));
  }

  @Mutation(() => Boolean, { description: 'Admins' })
  async deleteCannedResponse(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return ctx.cannedResponses.delete(id);
  }
}
