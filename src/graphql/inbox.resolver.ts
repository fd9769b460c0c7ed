import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { InboxFilterInput, InboxPageType, InboxRowType, InboxTabsType, UnreadSummaryType } from './inbox.types.js';
import { MessageType } from './message.types.js';
import { SessionType } from './session.types.js';
import { UserType } from './user.types.js';

@Resolver(() => InboxPageType)
export class InboxResolver {
  @Query(() => InboxPageType, { description: 'Staff and admins: support sessions by last activity, newest first, with per-viewer unread counts and tab counts' })
  async inbox(
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => InboxFilterInput, { nullable: true }) filter?: InboxFilterInput | null,
    @Arg('first', () => Int, { nullable: true }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<InboxPageType> {
    const page = await ctx.inbox.page(filter, first, after);
    return Object.assign(new InboxPageType(), {
      edges: page.rows.map((row, i) => ({ cursor: page.cursors[i]!, node: InboxRowType.from(row, ctx.viewer) })),
      hasNextPage: page.hasNextPage,
      endCursor: page.endCursor,
      tabs: page.tabs,
    });
  }

  @FieldResolver(() => InboxTabsType, { description: 'Tab counts under the same filter, assignee aside' })
  async tabs(@Root() page: InboxPageType): Promise<InboxTabsType> {
    return InboxTabsType.from(await page.tabs());
  }

  @Query(() => UnreadSummaryType, { description: "The caller's unread messages across their sessions (any signed-in role, guests included)" })
  unread(@Ctx() ctx: RequestContext): Promise<UnreadSummaryType> {
    return ctx.inbox.unreadSummary();
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
