import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../app/context.js';
import { mostRestrictive, rateLimitHeaders } from '../ratelimit/rate-limiter.js';

/** Turns the decisions taken while resolving into RateLimit headers, and 429 when a field was refused. */
export function rateLimitHeadersPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const decision = mostRestrictive(contextValue.rateLimits ?? []);
          if (!decision) return;
          for (const [name, value] of Object.entries(rateLimitHeaders(decision))) response.http.headers.set(name, value);
          if (!decision.allowed) response.http.status = 429;
        },
      };
    },
  };
}
