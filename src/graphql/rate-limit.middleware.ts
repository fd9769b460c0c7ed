import type { MiddlewareFn } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { rateLimited } from '../ratelimit/rate-limiter.js';

/**
 * Counts every root Query and Mutation field separately, so aliases of one field each count.
 * Subscriptions are counted when they are created (in the WebSocket transport's onSubscribe).
 */
export const RateLimitMiddleware: MiddlewareFn<RequestContext> = async ({ context, info }, next) => {
  const isRootField = info.path.prev === undefined;
  if (isRootField && context.countRootFieldsForRateLimit && info.parentType.name !== 'Subscription') {
    const decision = await context.deps.rateLimiter.check(context.rateLimitIdentity, info.fieldName);
    context.rateLimits.push(decision);
    if (!decision.allowed) throw rateLimited(decision);
  }
  return next();
};
