import type { Request, RequestHandler, Response } from 'express';
import type { TokenService } from '../../auth/tokens.js';
import { identityFromAuthorization, type RateLimiter, rateLimitHeaders } from '../../ratelimit/rate-limiter.js';

/**
 * Path segments that name a route rather than a resource. Every other segment is an id, a key
 * or a UUID, and is counted as `:id`, so `/sessions/55/messages` and `/sessions/56/messages`
 * share one limit.
 */
const LITERAL_SEGMENTS = new Set(['api', 'v1', 'chat', 'guest', 'session', 'sessions', 'messages', 'rooms', 'attachments', 'close', 'assign', 'read', 'typing', 'stats', 'widget', 'conversations']);

export function routeKey(dialect: string, req: Request): string {
  const path = `${req.baseUrl}${req.path}`
    .split('/')
    .map((segment) => (segment === '' || LITERAL_SEGMENTS.has(segment) ? segment : ':id'))
    .join('/');
  return `${dialect} ${req.method} ${path}`;
}

/**
 * Rate limits per route and identity for one dialect; `refuse` writes the dialect's own 429 body.
 * RateLimit headers go on every counted response, Retry-After on refusals.
 */
export function restRateLimit(dialect: string, limiter: RateLimiter, tokens: TokenService, refuse: (res: Response) => void): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'OPTIONS') return next();
    (async () => {
      const identity = await identityFromAuthorization(req.headers.authorization, req.ip ?? 'unknown', tokens);
      const decision = await limiter.check(identity, routeKey(dialect, req), dialect);
      res.set(rateLimitHeaders(decision));
      if (decision.allowed) return next();
      refuse(res);
    })().catch(next);
  };
}
