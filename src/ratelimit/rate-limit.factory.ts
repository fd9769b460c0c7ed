import { Redis } from 'ioredis';
import type { Config } from '../config/config.js';
import type { DependencyState } from '../observability/readiness.js';
import { RateLimiter } from './rate-limiter.js';
import { FailoverRateLimitStore, MemoryRateLimitStore, RedisRateLimitStore } from './stores.js';

/**
 * A rate-limit command slower than this counts as Redis being away (the call is then counted per
 * node). Generous: a Redis that is down fails at once (no offline queue); this only bounds a hung
 * one, and a shorter bound would split counts between Redis and memory whenever the event loop is busy.
 */
const REDIS_COMMAND_TIMEOUT_MS = 2_000;

export interface RateLimiterHooks {
  /** Told of every refusal, with the surface that refused. */
  onRefused?: (surface: string) => void;
  /** Counting moved to this node alone (true: Redis unreachable) or back to Redis (false). */
  onDegraded?: (degraded: boolean) => void;
}

/**
 * The server's rate limiter: counters in Redis when REDIS_URL is set (shared by every node), in
 * process otherwise. While Redis is unreachable each node counts on its own rather than failing
 * calls: limits loosen by the number of nodes for the outage, and nothing waits on Redis.
 */
export function createRateLimiter(
  config: Pick<Config, 'rateLimit' | 'redisUrl' | 'redisPrefix'>,
  hooks: RateLimiterHooks = {},
): { limiter: RateLimiter; redisState(): DependencyState; close(): Promise<void> } {
  const memory = new MemoryRateLimitStore(config.rateLimit.windowMs);
  if (config.redisUrl) {
    // No offline queue and a short timeout: a command fails at once while Redis is away.
    const redis = new Redis(config.redisUrl, {
      enableOfflineQueue: false,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      lazyConnect: false,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    });
    redis.on('error', () => undefined);
    const store = new FailoverRateLimitStore(new RedisRateLimitStore(redis, config.redisPrefix), memory, () => redis.status === 'ready', hooks.onDegraded);
    redis.on('ready', () => store.reconnected());
    return {
      limiter: new RateLimiter(config.rateLimit, store, hooks.onRefused),
      // The connection's own state: a node with no rate-limited traffic must still turn ready when Redis returns.
      redisState: () => (redis.status === 'ready' ? 'up' : 'down'),
      close: async () => {
        memory.close();
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  }
  return { limiter: new RateLimiter(config.rateLimit, memory, hooks.onRefused), redisState: () => 'disabled', close: async () => memory.close() };
}
