import { Arg, Ctx, ID, Mutation, Resolver, Root, type SubscribeResolverData, Subscription } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { streamSourceFor } from '../app/stream-source.js';
import { isLifecycleEvent } from '../model/event-contract.js';
import { type InboxItem, only, openInboxStream, openSessionStream, type StreamItem } from '../realtime/session-stream.js';
import { InboxFilterInput } from './inbox.types.js';
import { MessageType } from './message.types.js';
import { messageFromDto, SessionEventUnion, type SessionEventValue, SessionUpdateEventType, TypingEventType, toSessionEventValue } from './realtime.types.js';

interface SessionArgs {
  sessionId: string;
  since?: string | null;
}

type Data = SubscribeResolverData<unknown, SessionArgs, RequestContext>;

interface InboxArgs {
  since?: string | null;
  activity?: boolean | null;
  filter?: InboxFilterInput | null;
}

const sessionStream = ({ args, context }: Data) => openSessionStream(streamSourceFor(context), { sessionId: args.sessionId, since: args.since });
const isType =
  (...types: string[]) =>
  (item: StreamItem) =>
    item.kind === 'event' && types.includes(item.event.type);

@Resolver()
export class RealtimeResolver {
  @Subscription(() => SessionEventUnion, {
    description: 'Every event of one session in server order. `since`: the last event id seen; missed events are replayed first (RESYNC_REQUIRED past retention)',
    subscribe: sessionStream,
  })
  sessionEvents(@Root() item: StreamItem, @Arg('sessionId', () => ID) _sessionId: string, @Arg('since', () => ID, { nullable: true }) _since?: string | null): SessionEventValue {
    return toSessionEventValue(item);
  }

  @Subscription(() => MessageType, {
    description: 'New messages of one session (message.created only); `since` as in sessionEvents',
    subscribe: async (data: Data) => only(await sessionStream(data), isType('message.created')),
  })
  messageAdded(@Root() item: StreamItem, @Arg('sessionId', () => ID) _sessionId: string, @Arg('since', () => ID, { nullable: true }) _since?: string | null): MessageType {
    if (item.kind !== 'event' || item.event.type !== 'message.created') throw new TypeError('messageAdded received another event');
    return messageFromDto(item.event.payload.message);
  }

  @Subscription(() => TypingEventType, {
    description: 'Typing indicators of one session (ephemeral, live only)',
    subscribe: async (data: Data) => only(await sessionStream({ ...data, args: { sessionId: data.args.sessionId } }), (item) => item.kind === 'typing'),
  })
  typing(@Root() item: StreamItem, @Arg('sessionId', () => ID) _sessionId: string): TypingEventType {
    if (item.kind !== 'typing') throw new TypeError('typing received a persisted event');
    return TypingEventType.from(item.typing);
  }

  @Subscription(() => SessionUpdateEventType, {
    description: 'Changes of one session (status, agent, room members, rating, SLA alerts for staff: see `changed`); `since` as in sessionEvents',
    subscribe: async (data: Data) => only(await sessionStream(data), isType('session.updated', 'sla.warning', 'sla.breached')),
  })
  sessionUpdated(@Root() item: StreamItem, @Arg('sessionId', () => ID) _sessionId: string, @Arg('since', () => ID, { nullable: true }) _since?: string | null): SessionUpdateEventType {
    if (item.kind !== 'event' || !isLifecycleEvent(item.event)) throw new TypeError('sessionUpdated received another event');
    return SessionUpdateEventType.from(item.event);
  }

  @Subscription(() => SessionUpdateEventType, {
    description:
      "Staff: their sessions; admins: every session of the tenant (created, assigned, closed), in the tenant's inbox order, each with the subscriber's inboxRow and inboxTabs. `since`: the id of the last item seen (every item's id is its outbox event id); missed events are replayed first. `activity`: also new, edited and deleted messages and the subscriber's read marks in those sessions (type MESSAGE_*/READ_UPDATED; replayed after `since` too). `filter`: the conditions inboxTabs respects",
    subscribe: ({ context, args }: SubscribeResolverData<unknown, InboxArgs, RequestContext>) =>
      openInboxStream(streamSourceFor(context), { since: args.since, activity: args.activity, filter: args.filter }),
  })
  inbox(
    @Root() item: InboxItem,
    @Ctx() ctx: RequestContext,
    @Arg('since', () => ID, { nullable: true }) _since?: string | null,
    @Arg('activity', () => Boolean, { nullable: true, defaultValue: false }) _activity?: boolean | null,
    @Arg('filter', () => InboxFilterInput, { nullable: true }) _filter?: InboxFilterInput | null,
  ): SessionUpdateEventType {
    if (item.kind !== 'event') throw new TypeError('inbox received a typing signal');
    return SessionUpdateEventType.forInbox(item.event, item.inbox, ctx.viewer);
  }

  @Mutation(() => TypingEventType, { description: 'Publishes a typing indicator (never stored); it expires after 6 s without a refresh' })
  async setTyping(@Arg('sessionId', () => ID) sessionId: string, @Arg('isTyping', () => Boolean) isTyping: boolean, @Ctx() ctx: RequestContext): Promise<TypingEventType> {
    return TypingEventType.from(await ctx.realtime.setTyping(sessionId, isTyping));
  }
}
