import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { SearchOrder } from './enums.js';
import { MessageSearchConnectionType, SessionSearchConnectionType } from './search.types.js';

const QUERY_DESCRIPTION = 'Web-search syntax: words, "quoted phrases", -excluded, or. At most 256 characters';

@Resolver()
export class SearchResolver {
  @Query(() => MessageSearchConnectionType, { description: 'Full-text search over the messages the caller may read; deleted messages never match' })
  async searchMessages(
    @Arg('query', () => String, { description: QUERY_DESCRIPTION }) query: string,
    @Ctx() ctx: RequestContext,
    @Arg('sessionId', () => ID, { nullable: true, description: 'Only this session (numeric id or UUID)' }) sessionId?: string | null,
    @Arg('from', () => Date, { nullable: true, description: 'Only messages created at or after' }) from?: Date | null,
    @Arg('to', () => Date, { nullable: true, description: 'Only messages created before' }) to?: Date | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: 'At most 50' }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('order', () => SearchOrder, { nullable: true, defaultValue: SearchOrder.RANK }) order?: SearchOrder | null,
  ): Promise<MessageSearchConnectionType> {
    return MessageSearchConnectionType.from(await ctx.search.messages({ query, sessionId, from, to, first, after, order }));
  }

  @Query(() => SessionSearchConnectionType, {
    description: "Staff and admins: sessions by subject, tags, and the customer's or guest's name and email (a user's email: admins only)",
  })
  async searchSessions(
    @Arg('query', () => String, { description: QUERY_DESCRIPTION }) query: string,
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: 'At most 50' }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('order', () => SearchOrder, { nullable: true, defaultValue: SearchOrder.RANK }) order?: SearchOrder | null,
  ): Promise<SessionSearchConnectionType> {
    return SessionSearchConnectionType.from(await ctx.search.sessions({ query, first, after, order }), ctx.viewer);
  }

  @Mutation(() => String, {
    description: "Admins: the tenant's text-search configuration (pg_ts_config name, default simple); re-indexes the tenant's messages. Returns the name",
  })
  async setSearchLanguage(@Arg('config', () => String) config: string, @Ctx() ctx: RequestContext): Promise<string> {
    return ctx.search.setLanguage(config);
  }
}
