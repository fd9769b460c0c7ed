import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { CannedResponsePageType, CannedResponseType } from './canned-response.types.js';

/** Canned responses; see CannedResponseService for the rules (admins write, support staff and admins read). */
@Resolver()
export class CannedResponseResolver {
  @Query(() => CannedResponsePageType, {
    description: "Staff and admins: the tenant's canned responses by short code, optionally by short-code prefix and content words (each a word prefix)",
  })
  async cannedResponses(
    @Ctx() ctx: RequestContext,
    @Arg('shortCodePrefix', () => String, { nullable: true, description: 'A leading "/" is ignored' }) shortCodePrefix?: string | null,
    @Arg('query', () => String, { nullable: true, description: 'Words the content must contain' }) query?: string | null,
    @Arg('first', () => Int, { nullable: true, description: '1 to 100; default 20' }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<CannedResponsePageType> {
    const page = await ctx.cannedResponses.list({ shortCodePrefix, query, first, after });
    return { ...page, items: page.items.map((item) => CannedResponseType.from(item)) };
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
