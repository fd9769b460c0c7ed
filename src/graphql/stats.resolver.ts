import { Ctx, Field, Float, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../app/context.js';

@ObjectType('Stats')
export class StatsType {
  @Field(() => Int)
  totalSessions!: number;

  @Field(() => Int)
  activeSessions!: number;

  @Field(() => Float, { description: 'Mean first-reply wait in minutes' })
  averageResponseTime!: number;

  @Field(() => Int)
  messagesExchanged!: number;
}

@Resolver()
export class StatsResolver {
  @Query(() => StatsType, { description: 'Admins only' })
  stats(@Ctx() ctx: RequestContext): Promise<StatsType> {
    return ctx.stats.stats();
  }
}
