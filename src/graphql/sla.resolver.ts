import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { Priority } from './enums.js';
import { SessionType } from './session.types.js';
import { SessionSlaType, SlaPolicyType } from './sla.types.js';

@Resolver(() => SessionType)
export class SlaResolver {
  @Query(() => [SlaPolicyType], { description: "Staff and admins: the tenant's SLA policies" })
  async slaPolicies(@Ctx() ctx: RequestContext): Promise<SlaPolicyType[]> {
    return (await ctx.sla.list()).map(SlaPolicyType.from);
  }

  @Mutation(() => SlaPolicyType, { description: 'Admins: a policy for one priority (null: the default for priorities without one); each target 1 s to 365 days, or null for none' })
  async createSlaPolicy(
    @Ctx() ctx: RequestContext,
    @Arg('name', () => String) name: string,
    @Arg('businessHoursOnly', () => Boolean) businessHoursOnly: boolean,
    @Arg('priority', () => Priority, { nullable: true }) priority?: Priority | null,
    @Arg('firstResponseSeconds', () => Int, { nullable: true }) firstResponseSeconds?: number | null,
    @Arg('nextResponseSeconds', () => Int, { nullable: true }) nextResponseSeconds?: number | null,
    @Arg('resolutionSeconds', () => Int, { nullable: true }) resolutionSeconds?: number | null,
  ): Promise<SlaPolicyType> {
    return SlaPolicyType.from(await ctx.sla.create({ name, priority, firstResponseSeconds, nextResponseSeconds, resolutionSeconds, businessHoursOnly }));
  }

  @Mutation(() => SlaPolicyType, { description: 'Admins: changes what is given; a target given as null is removed, a priority given as null makes it the default' })
  async updateSlaPolicy(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('name', () => String, { nullable: true }) name?: string | null,
    @Arg('priority', () => Priority, { nullable: true }) priority?: Priority | null,
    @Arg('firstResponseSeconds', () => Int, { nullable: true }) firstResponseSeconds?: number | null,
    @Arg('nextResponseSeconds', () => Int, { nullable: true }) nextResponseSeconds?: number | null,
    @Arg('resolutionSeconds', () => Int, { nullable: true }) resolutionSeconds?: number | null,
    @Arg('businessHoursOnly', () => Boolean, { nullable: true }) businessHoursOnly?: boolean | null,
  ): Promise<SlaPolicyType> {
    return SlaPolicyType.from(await ctx.sla.update(id, { name, priority, firstResponseSeconds, nextResponseSeconds, resolutionSeconds, businessHoursOnly }));
  }

  @Mutation(() => Boolean, { description: 'Admins: sessions it was applied to return to the priority rule' })
  async deleteSlaPolicy(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    return ctx.sla.delete(id);
  }

  @Mutation(() => SessionType, { description: 'Admins, or the agent holding the session: this policy instead of the one for its priority (policyId null: back to the priority rule)' })
  async applySlaPolicy(@Ctx() ctx: RequestContext, @Arg('sessionId', () => ID) sessionId: string, @Arg('policyId', () => ID, { nullable: true }) policyId: string | null): Promise<SessionType> {
    const id = await ctx.sla.apply(sessionId, policyId);
    return SessionType.from(await ctx.sessions.get(id), ctx.viewer);
  }

  @FieldResolver(() => SessionSlaType, { nullable: true, description: 'Staff, admins and bots: the SLA clocks (null for everyone else, and when no policy applies)' })
  async sla(@Root() session: SessionType, @Ctx() ctx: RequestContext): Promise<SessionSlaType | null> {
    const view = await ctx.sla.sessionSla(session.id);
    return view && SessionSlaType.from(view);
  }
}
