import { GraphQLDate } from 'graphql-scalars';
import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { AutoCloseType, AutoReplyType, BusinessHoursType, OpeningInput } from './business-hours.types.js';

/** Business hours; the rules are BusinessHoursService's (admins write, anyone signed in to the tenant reads). */
@Resolver()
export class BusinessHoursResolver {
  @Query(() => BusinessHoursType, { nullable: true, description: "The tenant's business hours; null when none are set (open around the clock). Anyone signed in, guests included" })
  async businessHours(@Ctx() ctx: RequestContext): Promise<BusinessHoursType | null> {
    const view = await ctx.businessHours.get();
    return view ? BusinessHoursType.from(view) : null;
  }

  @Mutation(() => BusinessHoursType, { description: "Admins: replace the tenant's business hours" })
  async setBusinessHours(
    @Arg('timeZone', () => String, { description: 'IANA time zone name, e.g. Europe/Berlin' }) timeZone: string,
    @Arg('weekly', () => [OpeningInput], { description: 'At most 50 openings; they may touch but not overlap' }) weekly: OpeningInput[],
    @Ctx() ctx: RequestContext,
    @Arg('holidays', () => [GraphQLDate], { nullable: true, description: 'Local dates (at most 400) on which no opening starts' }) holidays?: Date[] | null,
  ): Promise<BusinessHoursType> {
    const dates = holidays?.map((date) => date.toISOString().slice(0, 10));
    return BusinessHoursType.from(await ctx.businessHours.set({ timeZone, weekly, holidays: dates }));
  }

  @Query(() => AutoReplyType, { description: "Staff and admins: the tenant's out-of-hours auto-reply" })
  async autoReply(@Ctx() ctx: RequestContext): Promise<AutoReplyType> {
    return Object.assign(new AutoReplyType(), await ctx.autoReply.get());
  }

  @Mutation(() => AutoReplyType, {
    description:
      'Admins: turn the out-of-hours auto-reply on or off. A customer who writes while the business hours say closed gets `outOfHours` once per closed period per session, as an automatic message',
  })
  async setAutoReply(
    @Arg('enabled', () => Boolean) enabled: boolean,
    @Ctx() ctx: RequestContext,
    @Arg('outOfHours', () => String, { nullable: true, description: 'The reply; absent keeps the stored text' }) outOfHours?: string | null,
  ): Promise<AutoReplyType> {
    return Object.assign(new AutoReplyType(), await ctx.autoReply.set({ enabled, outOfHours }));
  }

  @Query(() => AutoCloseType, { description: "Staff and admins: the tenant's auto-close of silent sessions" })
  async autoClose(@Ctx() ctx: RequestContext): Promise<AutoCloseType> {
    return Object.assign(new AutoCloseType(), await ctx.autoClose.get());
  }

  @Mutation(() => AutoCloseType, { description: 'Admins: close support sessions whose customer stays silent `inactiveSeconds` after a support reply (null or 0: off)' })
  async setAutoClose(
    @Ctx() ctx: RequestContext,
    @Arg('inactiveSeconds', () => Int, { nullable: true, description: '60 to 7776000 (90 days); null or 0 turns it off' }) inactiveSeconds?: number | null,
    @Arg('message', () => String, { nullable: true, description: 'The automatic message posted before the close; absent keeps the stored one' }) message?: string | null,
  ): Promise<AutoCloseType> {
    return Object.assign(new AutoCloseType(), await ctx.autoClose.set({ inactiveSeconds, message }));
  }

  @Mutation(() => Boolean, { description: 'Admins: remove the business hours (open around the clock again); false when none were set' })
  async clearBusinessHours(@Ctx() ctx: RequestContext): Promise<boolean> {
    return ctx.businessHours.clear();
  }
}
