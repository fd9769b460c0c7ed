import type { GraphQLResolveInfo } from 'graphql';
import { getGraphQLRateLimiter, type Store } from 'graphql-rate-limit';
import type { TokenService } from '../auth/tokens.js';
import { DomainError } from '../shared/errors.js';
import type { Viewer } from '../shared/viewer.js';

export interface RateLimitPolicy {
  /** Calls allowed per identity and operation within the window, unless overridden. */
  max: number;
  windowMs: number;
  /** Per-operation maxima, keyed by GraphQL root field or REST route name. */
  overrides: Readonly<Record<string, number>>;
}

/**
 * Subscription creation is counted under one name for all fields (aliases in the query text
 * must not open fresh buckets); the legacy chat socket counts under the same name.
 */
export const SUBSCRIBE_OPERATION = 'subscribe';

/** The outcome of one counted call, with what the RateLimit headers report. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the oldest counted call leaves the window. */
  resetSeconds: number;
  windowSeconds: number;
}

/** Who is counted: a user, a guest token's participant, or the client IP of an anonymous caller. */
export function rateLimitIdentity(viewer: Viewer, clientIp: string): string {
  switch (viewer.kind) {
    case 'user':
      return `user:${viewer.userId}`;
    case 'guest':
      return `guest:${viewer.participantId}`;
    default:
      return `ip:${clientIp}`;
  }
}

/**
 * The same identities for callers that are counted before a context exists (REST routes,
 * WebSocket subscriptions): the token is verified but not looked up, since the operation itself
 * refuses revoked or unknown callers. An invalid token is counted against its client address.
 */
export async function identityFromAuthorization(authorization: string | undefined, clientIp: string, tokens: TokenService): Promise<string> {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  if (match) {
    try {
      const claims = await tokens.verify(match[1]!);
      return claims.typ === 'guest' ? `guest:${claims.sub}` : `user:${claims.sub}`;
    } catch {
      // counted by address below
    }
  }
  return `ip:${clientIp}`;
}

export const rateLimited = (decision: RateLimitDecision) =>
  new DomainError('RATE_LIMIT_EXCEEDED', `Too many requests: at most ${decision.limit} per ${decision.windowSeconds} s; retry in ${decision.resetSeconds} s`);

/**
 * Sliding-window limits per identity and operation, with graphql-rate-limit's limiter as the
 * counting core and a store that is in-process or shared through Redis. Rejected calls are not
 * counted, so within any window at most `max` calls get through.
 */
export class RateLimiter {
  private readonly core: ReturnType<typeof getGraphQLRateLimiter>;

  constructor(
    private readonly policy: RateLimitPolicy,
    private readonly store: Store,
    /** Told of every refusal, with the surface that refused (graphql, a REST dialect, subscription). */
    private readonly onRefused: (surface: string) => void = () => undefined,
  ) {
    this.core = getGraphQLRateLimiter({ store, identifyContext: (context: { identity: string }) => context.identity });
  }

  limitFor(operation: string): number {
    return this.policy.overrides[operation] ?? this.policy.max;
  }

  /** Counts one call of `operation` by `identity` and says whether it may proceed. */
  async check(identity: string, operation: string, surface = 'graphql'): Promise<RateLimitDecision> {
    const limit = this.limitFor(operation);
    const { windowMs } = this.policy;
    // The core keys calls by the resolver's field name; REST routes and subscriptions pass their own name.
    const info = { fieldName: operation } as GraphQLResolveInfo;
    const refusal = await this.core({ parent: undefined, args: {}, context: { identity }, info }, { max: limit, window: String(windowMs), uncountRejected: true });
    const now = Date.now();
    const recent = (await this.store.getForIdentity({ contextIdentity: identity, fieldIdentity: operation })).filter((t) => t + windowMs > now).sort((a, b) => a - b);
    const oldest = recent[0] ?? now;
    if (refusal !== undefined) this.onRefused(surface);
    return {
      allowed: refusal === undefined,
      limit,
      remaining: Math.max(0, limit - recent.length),
      resetSeconds: Math.max(1, Math.ceil((oldest + windowMs - now) / 1000)),
      windowSeconds: Math.ceil(windowMs / 1000),
    };
  }
}

/**
 * Response headers for a decision (IETF RateLimit header fields, draft 7 form), plus
 * Retry-After when refused. Every transport sets the same ones.
 */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    'RateLimit-Policy': `${decision.limit};w=${decision.windowSeconds}`,
    RateLimit: `limit=${decision.limit}, remaining=${decision.remaining}, reset=${decision.resetSeconds}`,
    ...(decision.allowed ? {} : { 'Retry-After': String(decision.resetSeconds) }),
  };
}

/** Of several decisions in one request (several root fields), the one a client must heed. */
export function mostRestrictive(decisions: readonly RateLimitDecision[]): RateLimitDecision | null {
  let pick: RateLimitDecision | null = null;
  for (const d of decisions) {
    if (!pick || (!d.allowed && pick.allowed) || (d.allowed === pick.allowed && d.remaining < pick.remaining)) pick = d;
  }
  return pick;
}
