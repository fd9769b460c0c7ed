import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { ConnectionArgsType, MessageConnectionType, MessageType, SendMessagePayload } from './message.types.js';
import { SessionType } from './session.types.js';

/** Group rooms (sessions of kind ROOM) and their messages; see RoomService for the rules. */
@Resolver()
export class RoomResolver {
  @Query(() => SessionType, { description: 'A room the caller belongs to (admins: any room of the tenant)' })
  async room(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<SessionType> {
    return SessionType.from(await ctx.rooms.get(id), ctx.viewer);
  }

  @Query(() => MessageConnectionType, { description: "A room's messages with Relay cursors, oldest first; `last`/`before` page backwards" })
  async roomMessages(@Arg('roomId', () => ID) roomId: string, @Args(() => ConnectionArgsType) paging: ConnectionArgsType, @Ctx() ctx: RequestContext): Promise<MessageConnectionType> {
    return MessageConnectionType.from(await ctx.rooms.messages(roomId, paging));
  }

  @Mutation(() => SessionType, { description: 'Opens a room owned by the caller, with the caller and memberIds as members' })
  async createRoom(@Arg('name', () => String) name: string, @Ctx() ctx: RequestContext, @Arg('memberIds', () => [ID], { nullable: true }) memberIds?: string[] | null): Promise<SessionType> {
    return SessionType.from(await ctx.rooms.create(name, memberIds), ctx.viewer);
  }

  @Mutation(() => SessionType, { description: 'Room owner or admin: adds a user of the tenant (no-op when already a member)' })
  async addRoomMember(@Arg('roomId', () => ID) roomId: string, @Arg('userId', () => ID) userId: string, @Ctx() ctx: RequestContext): Promise<SessionType> {
    return SessionType.from(await ctx.rooms.addMember(roomId, userId), ctx.viewer);
  }

  @Mutation(() => SessionType, { description: 'Room owner or admin removes a member; any member may remove themself' })
  async removeRoomMember(@Arg('roomId', () => ID) roomId: string, @Arg('userId', () => ID) userId: string, @Ctx() ctx: RequestContext): Promise<SessionType> {
    return SessionType.from(await ctx.rooms.removeMember(roomId, userId), ctx.viewer);
  }

  @Mutation(() => SendMessagePayload, { description: 'Posts to a room the caller belongs to' })
  async sendRoomMessage(
    @Arg('roomId', () => ID) roomId: string,
    @Arg('content', () => String) content: string,
    @Ctx() ctx: RequestContext,
    @Arg('clientMessageId', () => String, { nullable: true }) clientMessageId?: string | null,
    @Arg('senderId', () => ID, {
      nullable: true,
      description: "Checked only (seed 004's write-only sender_id): must name an existing user; the sender is always the caller",
    })
    senderId?: string | null,
  ): Promise<SendMessagePayload> {
    const result = await ctx.rooms.send(roomId, { content, clientMessageId, senderId });
    return { message: MessageType.from(result.message), created: result.created };
  }
}
