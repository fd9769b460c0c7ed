import { GraphQLJSONObject } from 'graphql-scalars';
import GraphQLUpload from 'graphql-upload/GraphQLUpload.mjs';
import type { FileUpload } from 'graphql-upload/processRequest.mjs';
import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { ConnectionArgsType, MessageConnectionType, MessagePageType, MessageType, ReadStateType, SendMessagePayload } from './message.types.js';
import { fromGraphQLUpload } from './uploads.js';

@Resolver(() => MessageType)
export class MessageResolver {
  @Query(() => MessageConnectionType, { description: 'Relay cursor paging, oldest first; `last`/`before` page backwards' })
  async messages(@Arg('sessionId', () => ID) sessionId: string, @Args(() => ConnectionArgsType) paging: ConnectionArgsType, @Ctx() ctx: RequestContext): Promise<MessageConnectionType> {
    return MessageConnectionType.from(await ctx.messages.connection(sessionId, paging));
  }

  @Query(() => MessagePageType, { description: 'Offset paging ordered by (createdAt, id)' })
  async messagesPage(
    @Arg('sessionId', () => ID) sessionId: string,
    @Ctx() ctx: RequestContext,
    @Arg('offset', () => Int, { nullable: true, defaultValue: 0 }) offset?: number,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 50 }) limit?: number,
    @Arg('includeNotes', () => Boolean, { nullable: true, defaultValue: true, description: 'False leaves private notes out even for staff (the REST dialects, whose shapes cannot mark them)' })
    includeNotes?: boolean | null,
  ): Promise<MessagePageType> {
    const result = await ctx.messages.page(sessionId, offset, limit, includeNotes !== false);
    return { ...result, items: result.items.map((view) => MessageType.from(view)) };
  }

  @Query(() => [MessageType], { description: 'Messages with id greater than afterId, oldest first' })
  async messagesSince(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('afterId', () => ID) afterId: string,
    @Ctx() ctx: RequestContext,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 50 }) limit?: number,
    @Arg('includeNotes', () => Boolean, { nullable: true, defaultValue: true, description: 'False leaves private notes out even for staff (the REST dialects, whose shapes cannot mark them)' })
    includeNotes?: boolean | null,
  ): Promise<MessageType[]> {
    return (await ctx.messages.since(sessionId, afterId, limit, includeNotes !== false)).map((view) => MessageType.from(view));
  }

  @Mutation(() => SendMessagePayload)
  async sendMessage(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('content', () => String) content: string,
    @Ctx() ctx: RequestContext,
    @Arg('clientMessageId', () => String, { nullable: true, description: 'Idempotency key, unique per sender' })
    clientMessageId?: string | null,
    @Arg('metadata', () => GraphQLJSONObject, { nullable: true }) metadata?: Record<string, unknown> | null,
    @Arg('attachments', () => [GraphQLUpload], {
      nullable: true,
      description: 'Files (GraphQL multipart request; send an Apollo-Require-Preflight header). With files, content may be blank',
    })
    attachments?: Promise<FileUpload>[] | null,
    @Arg('private', () => Boolean, {
      nullable: true,
      defaultValue: false,
      description: 'A private note: support staff, admins and bots only, in support sessions; customers, guests and widget visitors never see it',
    })
    isPrivate?: boolean | null,
  ): Promise<SendMessagePayload> {
    const uploads = (attachments ?? []).map((upload) => fromGraphQLUpload(upload, ctx.deps.config.uploads.maxFileBytes));
    const result = await ctx.messages.send(sessionId, { content, clientMessageId, metadata, attachments: uploads, private: isPrivate });
    return { message: MessageType.from(result.message), created: result.created };
  }

  @Mutation(() => ReadStateType, { description: "Advances the caller's read watermark to the highest of messageIds" })
  async markRead(@Arg('sessionId', () => ID) sessionId: string, @Arg('messageIds', () => [ID]) messageIds: string[], @Ctx() ctx: RequestContext): Promise<ReadStateType> {
    const state = await ctx.messages.markRead(sessionId, messageIds);
    return { ...state, id: state.participantId };
  }

  @Mutation(() => MessageType, { description: "Changes the content of the caller's own message (message.updated)" })
  async editMessage(@Arg('messageId', () => ID) messageId: string, @Arg('content', () => String) content: string, @Ctx() ctx: RequestContext): Promise<MessageType> {
    return MessageType.from(await ctx.messages.edit(messageId, content));
  }

  @Mutation(() => MessageType, { description: "Soft-deletes the caller's own message: it keeps its id, its content becomes '' (message.deleted)" })
  async deleteMessage(@Arg('messageId', () => ID) messageId: string, @Ctx() ctx: RequestContext): Promise<MessageType> {
    return MessageType.from(await ctx.messages.delete(messageId));
  }
}

const LAST_EVENT_ID = {
  description: "The id of the session's last event as of this page: subscribe to sessionEvents `since` it to continue with no gap and no repeat",
};

/** `lastEventId` on the cursor connection: one query, only when selected. */
@Resolver(() => MessageConnectionType)
export class MessageConnectionPositionResolver {
  @FieldResolver(() => ID, LAST_EVENT_ID)
  lastEventId(@Root() connection: MessageConnectionType): Promise<string> {
    return connection.position();
  }
}

/** `lastEventId` on the offset page: one query, only when selected. */
@Resolver(() => MessagePageType)
export class MessagePagePositionResolver {
  @FieldResolver(() => ID, LAST_EVENT_ID)
  lastEventId(@Root() page: MessagePageType): Promise<string> {
    return page.position();
  }
}
