import { Arg, Ctx, Field, FieldResolver, ID, Int, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import type { RatingDto } from '../model/event-contract.js';
import { SessionType } from './session.types.js';

@ObjectType('SessionRating', { description: "A customer's satisfaction rating (CSAT) of a closed support session" })
export class SessionRatingType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  sessionId!: string;

  @Field(() => Int, { description: '1 (worst) to 5 (best)' })
  score!: number;

  @Field(() => String, { nullable: true })
  comment!: string | null;

  @Field(() => ID, { nullable: true, description: 'The agent the session was assigned to when it was rated' })
  agentId!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  static from(rating: RatingDto): SessionRatingType {
    return Object.assign(new SessionRatingType(), { ...rating, createdAt: new Date(rating.createdAt) });
  }
}

@Resolver(() => SessionType)
export class RatingResolver {
  @FieldResolver(() => SessionRatingType, {
    nullable: true,
    description: "The customer's rating: visible to the customer (user or guest), the session's agent and admins; null for others and until rated",
  })
  async rating(@Root() session: SessionType, @Ctx() ctx: RequestContext): Promise<SessionRatingType | null> {
    const rating = await ctx.ratings.forSession({ id: session.id, customerId: session.customer?.id ?? null, agentId: session.agent?.id ?? null });
    return rating ? SessionRatingType.from(rating) : null;
  }

  @Mutation(() => SessionRatingType, {
    description:
      'The customer (the user who started it, or its guest) rates a closed support session once: score 1–5, optional comment (≤ 1,000 characters). CONFLICT SESSION_NOT_CLOSED while active, ALREADY_RATED the second time; FORBIDDEN NOT_THE_CUSTOMER for its staff and admins',
  })
  async rateSession(
    @Arg('sessionId', () => ID, { description: 'Numeric id or UUID' }) sessionId: string,
    @Arg('score', () => Int) score: number,
    @Ctx() ctx: RequestContext,
    @Arg('comment', () => String, { nullable: true }) comment?: string | null,
  ): Promise<SessionRatingType> {
    return SessionRatingType.from(await ctx.ratings.rate(sessionId, { score, comment }));
  }
}
