import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { Priority } from './enums.js';
import { MessageType } from './message.types.js';
import { GuestSessionPayload, SessionFilterInput, SessionPageType, SessionType } from './session.types.js';

@Resolver(() => SessionType)
export class SessionResolver {
  @FieldResolver(() => ID, {
    description: "The id of the session's last event as of this read: load history, then subscribe to sessionEvents `since` it (no gap, no repeat)",
  })
  async lastEventId(@Root() session: SessionType, @Ctx() ctx: RequestContext): Promise<string> {
    return ctx.sessions.lastEventId(session.id);
  }

  @Query(() => SessionType, { description: 'A session by numeric id or UUID' })
  async session(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<SessionType> {
    return SessionType.from(await ctx.sessions.get(id), ctx.viewer);
  }

  @Query(() => SessionType, { description: "A guest session by the guest client's own session id (createGuestSession's sessionKey)" })
  async sessionByKey(@Arg('sessionKey', () => String) sessionKey: string, @Ctx() ctx: RequestContext): Promise<SessionType> {
    return SessionType.from(await ctx.sessions.getByKey(sessionKey), ctx.viewer);
  }

  @Query(() => SessionPageType, { description: 'Sessions visible to the caller, newest first' })
  async sessions(
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => SessionFilterInput, { nullable: true }) filter?: SessionFilterInput | null,
    @Arg('page', () => Int, { nullable: true, defaultValue: 1 }) page?: number,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 20 }) limit?: number,
  ): Promise<SessionPageType> {
    const result = await ctx.sessions.list(filter ?? {}, page, limit);
    return { ...result, items: result.items.map((s) => SessionType.from(s, ctx.viewer)) };
  }

  @Mutation(() => SessionType)
  async createSession(
    @Ctx() ctx: RequestContext,
    @Arg('subject', () => String, { nullable: true }) subject?: string | null,
    @Arg('priority', () => Priority, { nullable: true, defaultValue: Priority.MEDIUM }) priority?: Priority | null,
    @Arg('tags', () => [String], { nullable: true }) tags?: string[] | null,
    @Arg('userId', () => ID, { nullable: true, description: 'Admins only: open the session for this customer' }) userId?: string | null,
  ): Promise<SessionType> {
    return SessionType.from(await ctx.sessions.create({ subject, priority, tags, userId }), ctx.viewer);
  }

  @Mutation(() => SessionType)
  async closeSession(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: RequestContext): Promise<SessionType> {
    return SessionType.from(await ctx.sessions.close(sessionId), ctx.viewer);
  }

  @Mutation(() => SessionType)
  async assignAgent(@Arg('sessionId', () => ID) sessionId: string, @Arg('agentId', () => ID) agentId: string, @Ctx() ctx: RequestContext): Promise<SessionType> {
    return SessionType.from(await ctx.sessions.assign(sessionId, agentId), ctx.viewer);
  }

  @Mutation(() => SessionType, {
    description: 'Admins, or the assigned agent: hands the session to another staff member or admin of the tenant (the old agent loses access)',
  })
  async transferSession(@Arg('sessionId', () => ID) sessionId: string, @Arg('agentId', () => ID) agentId: string, @Ctx() ctx: RequestContext): Promise<SessionType> {
    return SessionType.from(await ctx.sessions.transfer(sessionId, agentId), ctx.viewer);
  }

  @Mutation(() => SessionType, { description: 'Admins, or the assigned agent: puts the session back in the unassigned queue' })
  async unassignSession(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: RequestContext): Promise<SessionType> {
    return SessionType.from(await ctx.sessions.unassign(sessionId), ctx.viewer);
  }

  @Mutation(() => SessionType, { description: 'Admins, or the assigned agent: a closed session becomes ACTIVE again (endedAt cleared)' })
  async reopenSession(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: RequestContext): Promise<SessionType> {
    return SessionType.from(await ctx.sessions.reopen(sessionId), ctx.viewer);
  }

  @Mutation(() => SessionType, {
    description:
      'Admins, or the assigned agent: change a support session\'s priority (it orders the auto-assignment queue: HIGH first, then oldest wait), tags and subject. Only what is given changes; subject "" clears it. One SESSION_UPDATED names the changes (PRIORITY, TAGS, SUBJECT); nothing changed, no event',
  })
  async updateSession(
    @Arg('sessionId', () => ID) sessionId: string,
    @Ctx() ctx: RequestContext,
    @Arg('priority', () => Priority, { nullable: true }) priority?: Priority | null,
    @Arg('tags', () => [String], { nullable: true, description: 'Replaces the tags (at most 20; lowercased)' }) tags?: string[] | null,
    @Arg('subject', () => String, { nullable: true }) subject?: string | null,
  ): Promise<SessionType> {
    return SessionType.from(await ctx.sessions.update(sessionId, { priority, tags, subject }), ctx.viewer);
  }

  @Mutation(() => SessionType, {
    description:
      'Admins, or the assigned agent: set a support session aside until `until` (in the future, at most 365 days ahead). It is SNOOZED, keeps its agent, leaves the mine/unassigned inbox tabs, and wakes (ACTIVE, one SESSION_UPDATED with action WOKE) when `until` passes or the customer writes, whichever comes first. Again on a snoozed session: moves `until`. A closed one: SESSION_CLOSED',
  })
  async snoozeSession(@Arg('sessionId', () => ID) sessionId: string, @Arg('until', () => Date) until: Date, @Ctx() ctx: RequestContext): Promise<SessionType> {
    return SessionType.from(await ctx.sessions.snooze(sessionId, until), ctx.viewer);
  }

  @Mutation(() => SessionType, { description: 'Admins, or the assigned agent: wake a snoozed session now (ACTIVE again; SESSION_NOT_SNOOZED when it is not snoozed)' })
  async unsnoozeSession(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: RequestContext): Promise<SessionType> {
    return SessionType.from(await ctx.sessions.unsnooze(sessionId), ctx.viewer);
  }

  @Mutation(() => GuestSessionPayload, { description: 'No auth. Idempotent on sessionKey; returns a token scoped to the session' })
  async createGuestSession(
    @Arg('sessionKey', () => String) sessionKey: string,
    @Ctx() ctx: RequestContext,
    @Arg('guestName', () => String, { nullable: true }) guestName?: string | null,
    @Arg('guestEmail', () => String, { nullable: true }) guestEmail?: string | null,
    @Arg('guestPhone', () => String, { nullable: true }) guestPhone?: string | null,
  ): Promise<GuestSessionPayload> {
    const result = await ctx.sessions.createGuest({ sessionKey, guestName, guestEmail, guestPhone });
    // From here on the caller is that session's guest, and sees it as the guest would.
    const guest = { kind: 'guest' as const, tenantId: ctx.viewer.tenantId, participantId: result.guestId, sessionId: result.session.id };
    return {
      session: SessionType.from(result.session, guest, { hideContact: !result.revealContact }),
      created: result.created,
      token: result.token,
      messages: result.history.map((view) => MessageType.from(view)),
    };
  }
}
