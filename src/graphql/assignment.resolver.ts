import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { AgentType } from './assignment.types.js';
import { Availability } from './enums.js';
import { SessionType } from './session.types.js';

@Resolver()
export class AssignmentResolver {
  @Mutation(() => AgentType, { description: 'Staff and admins: whether the caller takes new sessions (auto-assignment also needs them connected)' })
  async setAvailability(@Arg('availability', () => Availability) availability: Availability, @Ctx() ctx: RequestContext): Promise<AgentType> {
    return AgentType.from(await ctx.assignment.setAvailability(availability));
  }

  @Query(() => [AgentType], { description: 'Admins: the staff of the tenant with availability, presence, load and capacity' })
  async agents(@Ctx() ctx: RequestContext): Promise<AgentType[]> {
    return (await ctx.assignment.agents()).map((view) => AgentType.from(view));
  }

  @Mutation(() => AgentType, { description: 'Admins: the most active sessions auto-assignment gives this agent (0 … AGENT_MAX_CAPACITY)' })
  async setAgentCapacity(@Arg('agentId', () => ID) agentId: string, @Arg('capacity', () => Int) capacity: number, @Ctx() ctx: RequestContext): Promise<AgentType> {
    return AgentType.from(await ctx.assignment.setAgentCapacity(agentId, capacity));
  }

  @Query(() => Boolean, { description: 'Admins: whether the tenant assigns new and waiting support sessions to free agents' })
  async autoAssignment(@Ctx() ctx: RequestContext): Promise<boolean> {
    return ctx.assignment.autoAssignment();
  }

  @Mutation(() => Boolean, { description: 'Admins: turns auto-assignment on (queuing unassigned active sessions) or off; returns the new setting' })
  async setAutoAssignment(@Arg('enabled', () => Boolean) enabled: boolean, @Ctx() ctx: RequestContext): Promise<boolean> {
    return ctx.assignment.setAutoAssignment(enabled);
  }
}

@Resolver(() => SessionType)
export class SessionQueueResolver {
  @FieldResolver(() => Int, { nullable: true, description: "The session's place in the auto-assignment queue (1: next); null when assigned or not queued" })
  async queuePosition(@Root() session: SessionType, @Ctx() ctx: RequestContext): Promise<number | null> {
    // Most sessions are not queued, and a list of them should not cost a query each.
    if (!session.queuedAt) return null;
    return ctx.assignment.queuePosition({ id: session.id, queuedAt: session.queuedAt, priority: session.priority });
  }
}
