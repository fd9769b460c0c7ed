import type { Logger } from 'pino';
import { AssignmentEngine } from '../assignment/assignment.service.js';
import { createPresenceStore } from '../assignment/presence.js';
import { createAttachmentStorage } from '../attachments/storage.js';
import { TokenService } from '../auth/tokens.js';
import { ViewerCache } from '../auth/viewer-cache.js';
import type { Config } from '../config/config.js';
import type { Orm } from '../db/orm.js';
import { PubSubEventBus } from '../events/event-bus.js';
import type { Metrics } from '../observability/metrics.js';
import type { DependencyState } from '../observability/readiness.js';
import { createRateLimiter } from '../ratelimit/rate-limit.factory.js';
import { SecretBox } from '../shared/secret-box.js';
import type { AppDeps } from './context.js';

/** How long start-up waits for Redis before starting degraded (streams then catch up from the outbox). */
const REDIS_START_WAIT_MS = 3_000;

export interface Infrastructure {
  deps: AppDeps;
  events: PubSubEventBus;
  rateLimits: { redisState(): DependencyState };
  /** Calls `listener` after this node publishes events (they committed): background work that reads them wakes on it. */
  onPublished(listener: () => void): void;
  /** Closes pub/sub and the rate limiter's connection. */
  close(): Promise<void>;
}

/**
 * The long-lived collaborators every request shares: pub/sub (in process, or Redis), the rate
 * limiter, tokens and attachment storage. Redis trouble is logged once per change of state.
 */
export async function createInfrastructure(config: Config, logger: Logger, metrics: Metrics, orm: Orm): Promise<Infrastructure> {
  const published = new Set<() => void>();
  const events = new PubSubEventBus({
    redisUrl: config.redisUrl,
    prefix: config.redisPrefix,
    onPublish: (type) => {
      metrics.eventsPublished.inc({ type });
      for (const listener of published) listener();
    },
    onPublishError: (error) => logger.warn({ err: error }, 'publishing to Redis failed; subscribers read the event from the outbox'),
    onStatusChange: (status) =>
      status === 'down' ? logger.warn('Redis pub/sub connection lost; streams catch up from the outbox when it is back') : logger.info('Redis pub/sub connected; streams catch up from the outbox'),
  });
  const rateLimits = createRateLimiter(config, {
    onRefused: (surface) => metrics.rateLimitRejections.inc({ surface }),
    onDegraded: (degraded) =>
      degraded ? logger.warn('Redis unreachable: rate limits are counted per node until it is back') : logger.info('Redis reachable again: rate limits are shared by every node'),
  });
  // Presence follows pub/sub: shared through Redis when there is one, in this process otherwise.
  const presence = createPresenceStore({ redisUrl: config.redisUrl, prefix: config.redisPrefix, ttlSeconds: config.assignment.presenceTtlSeconds });
  const close = async () => {
    await events.close();
    await rateLimits.close();
    await presence.close();
  };
  try {
    // Start without Redis if it is away (degraded, like an outage later on), but give it a moment.
    await events.ready(REDIS_START_WAIT_MS);
    await presence.ready(REDIS_START_WAIT_MS);
    const viewers = new ViewerCache(config.viewerCacheTtlSeconds * 1000, events);
    await viewers.listen();
    const deps: AppDeps = {
      config,
      tokens: new TokenService(config),
      viewers,
      events,
      rateLimiter: rateLimits.limiter,
      storage: await createAttachmentStorage(config.uploads.dir),
      logger,
      assignment: new AssignmentEngine(orm, events, presence, config.assignment, logger),
      secrets: new SecretBox(config.secretsKey, config.secretsPreviousKey),
    };
    return { deps, events, rateLimits, close, onPublished: (listener) => published.add(listener) };
  } catch (error) {
    await close();
    throw error;
  }
}
