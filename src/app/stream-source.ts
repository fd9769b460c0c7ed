import type { StreamSource } from '../realtime/session-stream.js';
import type { RequestContext } from './context.js';

/**
 * A stream's view of its caller: every database touch renews the operation's context (a new
 * EntityManager fork, credentials re-verified), so a long-lived stream never holds a fork.
 */
export function streamSourceFor(
  context: RequestContext,
  onError: (error: unknown) => void = (error) => context.deps.logger.warn({ err: error }, 'subscription background work failed; it is retried'),
): StreamSource {
  return {
    bus: context.deps.events,
    fresh: async () => {
      const renewed = await context.renew();
      return { realtime: renewed.realtime, messages: renewed.messages, inbox: renewed.inbox };
    },
    onError,
    caller: context.caller,
    watchRevocations: (onNotice) => context.deps.viewers.watch(context.revokedBy, onNotice),
  };
}
