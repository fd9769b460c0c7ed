import type { RequestHandler } from 'express';
import type { Orm } from '../db/orm.js';
import type { EventBus } from '../events/event-bus.js';

/** A dependency's state as /readyz reports it; `disabled`: not configured (no REDIS_URL). */
export type DependencyState = 'up' | 'down' | 'disabled';

/** A readiness probe answers within this time even when the database hangs. */
const PROBE_TIMEOUT_MS = 1_000;

async function databaseState(orm: Orm): Promise<DependencyState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DependencyState>((resolve) => (timer = setTimeout(resolve, PROBE_TIMEOUT_MS, 'down')));
  const probe = orm.em
    .fork()
    .getConnection()
    .execute('select 1')
    .then(
      (): DependencyState => 'up',
      (): DependencyState => 'down',
    );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GET /readyz: 200 when the node can do everything, 503 otherwise, with each dependency named:
 * `{status, checks: {database, redis}}`. With Redis down a node still serves (rate limits per
 * node, streams catching up from the outbox), but it is not fully ready: an operator must see it.
 */
export function readiness(orm: Orm, events: EventBus, rateLimits: { redisState(): DependencyState }): RequestHandler {
  return async (_req, res) => {
    const database = await databaseState(orm);
    const bus = events.status();
    const redis: DependencyState = bus === 'local' ? 'disabled' : bus === 'up' && rateLimits.redisState() !== 'down' ? 'up' : 'down';
    const ready = database === 'up' && redis !== 'down';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: { database, redis } });
  };
}
