import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';

/**
 * `setTyping` as the REST chat API needs it (POST /api/chat/sessions/{id}/typing). It checks
 * access and stores nothing; the real-time transport owns delivering typing events and
 * replaces this resolver's body when it lands.
 */
@Resolver()
export class TypingResolver {
  @Mutation(() => Boolean, { description: 'Ephemeral typing indicator for a session the caller takes part in' })
  setTyping(@Arg('sessionId', () => ID) sessionId: string, @Arg('isTyping', () => Boolean) isTyping: boolean, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    return ctx.messages.setTyping(sessionId, isTyping);
  }
}
