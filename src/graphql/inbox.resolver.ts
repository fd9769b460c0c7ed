import { Args, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { InboxArgsType, InboxConnectionType, InboxPageType, InboxTabsType, UnreadSummaryType } from './inbox.types.js';
import { MessageType } from './message.types.js';
import { SessionType } from './session.types.js';
import { UserType } from './user.types.js';

const TAB_COUNTS = { description: 'Tab counts under the same filter, assignee aside' };

@Resolver(() => InboxConnectionType)
export class InboxResolver {
  @Query(() => InboxConnectionType, {
    description: 'Staff and admins: support sessions by last activity, newest first (or by SLA due time: order), with per-viewer unread counts and tab counts; forward paging with first/after',
  })
  async inboxConnection(@Args(() => InboxArgsType) args: InboxArgsType, @Ctx() ctx: RequestContext): Promise<InboxConnectionType> {
    return InboxConnectionType.from(await ctx.inbox.page(args.filter, args.first, args.after, args.order), ctx.viewer);
  }

  @Query(() => InboxPageType, {
    description: 'Staff and admins: support sessions by last activity, newest first (or by SLA due time: order), with per-viewer unread counts and tab counts',
    deprecationReason: 'Use inboxConnection, a Relay connection',
  })
  async inbox(@Args(() => InboxArgsType) args: InboxArgsType, @Ctx() ctx: RequestContext): Promise<InboxPageType> {
    return InboxPageType.from(await ctx.inbox.page(args.filter, args.first, args.after, args.order), ctx.viewer);
  }

  @FieldResolver(() => InboxTabsType, TAB_COUNTS)
  async tabs(@Root() page: InboxConnectionType): Promise<InboxTabsType> {
    return InboxTabsType.from(await page.tabs());
  }

  @Query(() => UnreadSummaryType, { description: "The caller's unread messages across their sessions (any signed-in role, guests included)" })
  unread(@Ctx() ctx: RequestContext): Promise<UnreadSummaryType> {
    return ctx.inbox.unreadSummary();
  }
}

/** `tabs` on the deprecated inbox page, as on the connection. */
@Resolver(() => InboxPageType)
export class InboxPageTabsResolver {
  @FieldResolver(() => InboxTabsType, TAB_COUNTS)
  async tabs(@Root() page: InboxPageType): Promise<InboxTabsType> {
    return InboxTabsType.from(await page.tabs());
  }
}

@Resolver(() => SessionType)
export class SessionUnreadResolver {
  @FieldResolver(() => Int, { description: "Messages after the viewer's read watermark that the viewer did not send and may see; deleted ones do not count" })
  unreadCount(@Root() session: SessionType, @Ctx() ctx: RequestContext): Promise<number> {
    return ctx.inbox.unreadCount(session.id);
  }

  @FieldResolver(() => MessageType, {
    nullable: true,
    description:
      'The newest message the viewer may see (as InboxRow.lastMessage): a private note, marked, for staff, admins and bots; customers, guests and members get the newest message that is no note',
  })
  async lastMessage(@Root() session: SessionType, @Ctx() ctx: RequestContext): Promise<MessageType | null> {
    const view = await ctx.inbox.lastMessage(session.id);
    return view ? MessageType.from(view) : null;
  }
}

@Resolver(() => UserType)
export class UserUnreadResolver {
  @FieldResolver(() => Int, { nullable: true, description: 'Only on the caller themself (`me`): unread messages across their sessions' })
  async unreadTotal(@Root() user: UserType, @Ctx() ctx: RequestContext): Promise<number | null> {
    return (await this.own(user, ctx))?.total ?? null;
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Only on the caller themself (`me`): how many of their sessions have unread messages' })
  async unreadSessions(@Root() user: UserType, @Ctx() ctx: RequestContext): Promise<number | null> {
    return (await this.own(user, ctx))?.sessions ?? null;
  }

  private own(user: UserType, ctx: RequestContext) {
    return ctx.viewer.kind === 'user' && ctx.viewer.userId === user.id ? ctx.inbox.unreadSummary() : Promise.resolve(null);
  }
}
