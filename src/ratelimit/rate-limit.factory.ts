import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { RateLimiter } from './rate-limiter.js';
import { MemoryRateLimitStore, RedisRateLimitStore } from './stores.js';

/** The server's rate limiter: counters in Redis when REDIS_URL is set (shared by every node), in-process otherwise. */
export function createRateLimiter(
  config: Pick<Config, 'rateLimit' | 'redisUrl' | 'redisPrefix'>,
  onRefused?: (surface: string) => void,
): { limiter: RateLimiter; close(): Promise<void> } {
  if (config.redisUrl) {
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
    return {
      limiter: new RateLimiter(config.rateLimit, new RedisRateLimitStore(redis, config.redisPrefix), onRefused),
      close: async () => {
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  }
  const store = new MemoryRateLimitStore(config.rateLimit.windowMs);
  return { limiter: new RateLimiter(config.rateLimit, store, onRefused), close: async () => store.close() };
}
