import { Arg, Ctx, Field, Float, ID, Int, ObjectType, Query, Resolver, Root, type SubscribeResolverData, Subscription } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import type { Viewer } from '../shared/viewer.js';
import type { AgentStats, CsatStats, DeskNumbers, DurationStats, Stats, StatsArgs } from '../stats/stats.service.js';
import { StatsUpdates, statsFeedFor } from '../stats/stats-feed.js';
import { UserType } from './user.types.js';

@ObjectType('DurationStats', { description: 'Durations in milliseconds; mean and median are null when count is 0' })
export class DurationStatsType {
  @Field(() => Int)
  count!: number;

  @Field(() => Float, { nullable: true })
  meanMs!: number | null;

  @Field(() => Float, { nullable: true })
  medianMs!: number | null;
}

@ObjectType('CsatStats', { description: 'Customer satisfaction ratings (1–5)' })
export class CsatStatsType {
  @Field(() => Int)
  count!: number;

  @Field(() => Float, { nullable: true, description: 'Mean score; null without ratings' })
  average!: number | null;
}

/** The numbers Stats gives for the whole selection and AgentStats per agent. */
@ObjectType()
abstract class DeskNumbersType {
  @Field(() => Int, { description: 'Sessions assigned to an agent' })
  sessionsHandled!: number;

  @Field(() => Int, { description: 'Of those, closed' })
  sessionsResolved!: number;

  @Field(() => DurationStatsType, { description: "Customer's first wait to the first support reply (private notes are no reply)" })
  firstResponseTime!: DurationStatsType;

  @Field(() => DurationStatsType, { description: 'Start to close, over closed sessions' })
  resolutionTime!: DurationStatsType;

  @Field(() => CsatStatsType)
  csat!: CsatStatsType;
}

@ObjectType('AgentStats', { description: "One agent's numbers over the selected sessions (those assigned to them)" })
export class AgentStatsType extends DeskNumbersType {
  @Field(() => UserType)
  agent!: UserType;
}

@ObjectType('Stats')
export class StatsType extends DeskNumbersType {
  @Field(() => Int)
  totalSessions!: number;

  @Field(() => Int)
  activeSessions!: number;

  @Field(() => Float, { description: 'Mean first-reply wait in minutes' })
  averageResponseTime!: number;

  @Field(() => Int)
  messagesExchanged!: number;

  @Field(() => Date, { nullable: true, description: 'The range asked for: sessions started at or after `from`' })
  from!: Date | null;

  @Field(() => Date, { nullable: true, description: '… and before `to`' })
  to!: Date | null;

  @Field(() => [AgentStatsType], { description: 'Per agent with sessions in the selection, most sessions handled first' })
  agents!: AgentStatsType[];
}

const duration = (value: DurationStats): DurationStatsType => Object.assign(new DurationStatsType(), value);
const csat = (value: CsatStats): CsatStatsType => Object.assign(new CsatStatsType(), value);
const desk = (value: DeskNumbers) => ({
  sessionsHandled: value.sessionsHandled,
  sessionsResolved: value.sessionsResolved,
  firstResponseTime: duration(value.firstResponseTime),
  resolutionTime: duration(value.resolutionTime),
  csat: csat(value.csat),
});
const agentStats = (value: AgentStats, viewer: Viewer): AgentStatsType => Object.assign(new AgentStatsType(), { agent: UserType.from(value.agent, viewer), ...desk(value) });

function toStatsType(stats: Stats, viewer: Viewer): StatsType {
  return Object.assign(new StatsType(), {
    totalSessions: stats.totalSessions,
    activeSessions: stats.activeSessions,
    averageResponseTime: stats.averageResponseTime,
    messagesExchanged: stats.messagesExchanged,
    from: stats.from,
    to: stats.to,
    ...desk(stats),
    agents: stats.agents.map((agent) => agentStats(agent, viewer)),
  });
}

interface StatsArgsData {
  from?: Date | null;
  to?: Date | null;
  agentId?: string | null;
}

const RANGE = {
  from: 'Sessions started at or after this instant (inclusive)',
  to: 'Sessions started before this instant (exclusive)',
  agentId: "One agent's sessions only",
};

@Resolver()
export class StatsResolver {
  @Query(() => StatsType, { description: 'Admins only. Support sessions of the tenant, optionally those started in [from, to) and one agent’s' })
  async stats(
    @Ctx() ctx: RequestContext,
    @Arg('from', () => Date, { nullable: true, description: RANGE.from }) from?: Date | null,
    @Arg('to', () => Date, { nullable: true, description: RANGE.to }) to?: Date | null,
    @Arg('agentId', () => ID, { nullable: true, description: RANGE.agentId }) agentId?: string | null,
  ): Promise<StatsType> {
    return toStatsType(await ctx.stats.stats({ from, to, agentId }), ctx.viewer);
  }

  @Subscription(() => StatsType, {
    description:
      'Admins only (staff: FORBIDDEN). Fresh `stats` for the same arguments whenever something changes them (a message, a session opened, assigned, closed or rated), at most once a second per tenant; the last change is always followed by an update. Nothing is sent until the first change: read `stats` first',
    subscribe: async ({ args, context }: SubscribeResolverData<unknown, StatsArgsData, RequestContext>) => {
      const selection = await context.stats.selection(args as StatsArgs);
      return StatsUpdates.open(statsFeedFor(context.deps.events), context.viewer.tenantId, async () => {
        // Each update re-verifies the caller (an expired or revoked token ends the stream).
        const fresh = await context.renew();
        return toStatsType(await fresh.stats.compute(selection), fresh.viewer);
      });
    },
  })
  statsUpdated(
    @Root() stats: StatsType,
    @Arg('from', () => Date, { nullable: true, description: RANGE.from }) _from?: Date | null,
    @Arg('to', () => Date, { nullable: true, description: RANGE.to }) _to?: Date | null,
    @Arg('agentId', () => ID, { nullable: true, description: RANGE.agentId }) _agentId?: string | null,
  ): StatsType {
    return stats;
  }
}
