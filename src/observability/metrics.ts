import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ReactionObserver } from '../reactions/reaction.js';

/** Database connections by state, as `parley_db_pool_connections{state}` reports them. */
export interface PoolCounts {
  used: number;
  free: number;
  pending: number;
  max: number;
}

/**
 * Every Prometheus metric Parley exports, in one registry per server (tests start several
 * servers in one process, so nothing lives in prom-client's global registry). Transports and
 * services receive this object; only `GET /metrics` reads the registry.
 */
export class Metrics {
  readonly registry = new Registry();

  /** HTTP request latency; `route` is the matched route pattern (never a raw path with ids or tokens). */
  readonly httpDuration = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  /** GraphQL operation latency by operation name and type (query, mutation, subscription). */
  readonly graphqlDuration = new Histogram({
    name: 'parley_graphql_operation_duration_seconds',
    help: 'GraphQL operation latency by operation name and type',
    labelNames: ['operation', 'type'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly wsConnections = new Gauge({
    name: 'parley_websocket_connections',
    help: 'Open WebSocket connections by endpoint (graphql-ws or legacy)',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });

  readonly subscriptions = new Gauge({
    name: 'parley_subscriptions',
    help: 'Active subscriptions by field',
    labelNames: ['field'] as const,
    registers: [this.registry],
  });

  readonly eventsPublished = new Counter({
    name: 'parley_events_published_total',
    help: 'Events published to pub/sub after commit, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly eventsDelivered = new Counter({
    name: 'parley_events_delivered_total',
    help: 'Events delivered to subscribers, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly rateLimitRejections = new Counter({
    name: 'parley_rate_limit_rejections_total',
    help: 'Requests refused by a rate limit, by surface (graphql, rest dialect, subscription)',
    labelNames: ['surface'] as const,
    registers: [this.registry],
  });

  /** Seed 000: staff polling GET /api/v1/chat/sessions/{id}/messages. */
  readonly staffPolls = new Counter({
    name: 'parley_staff_polling_requests_total',
    help: 'Staff polling requests for new session messages (seed 000)',
    registers: [this.registry],
  });

  /** Reactions (reactions/reaction-runner.ts): what they handled, how often they failed, how far behind they are, what they parked. */
  readonly reactionHandled = new Counter({
    name: 'parley_reaction_handled_total',
    help: 'Events and timers a reaction finished on this node',
    labelNames: ['reaction', 'kind'] as const,
    registers: [this.registry],
  });

  readonly reactionFailures = new Counter({
    name: 'parley_reaction_failures_total',
    help: 'Failed attempts of a reaction at an event or timer on this node (each is retried, then parked)',
    labelNames: ['reaction', 'kind'] as const,
    registers: [this.registry],
  });

  readonly reactionLag = new Gauge({
    name: 'parley_reaction_lag_seconds',
    help: "Seconds between an event's commit and the reaction finishing it, at the last event this node handled (0 when caught up)",
    labelNames: ['reaction'] as const,
    registers: [this.registry],
  });

  readonly reactionParked = new Gauge({
    name: 'parley_reaction_parked',
    help: 'Events and timers a reaction gave up on after its last attempt, kept in reaction_parked',
    labelNames: ['reaction'] as const,
    registers: [this.registry],
  });

  /** The runner's observer over these metrics. */
  readonly reactions: ReactionObserver = {
    handled: (reaction, kind) => this.reactionHandled.inc({ reaction, kind }),
    failed: (reaction, kind) => this.reactionFailures.inc({ reaction, kind }),
    lag: (reaction, seconds) => this.reactionLag.set({ reaction }, seconds),
    parked: (reaction, count) => this.reactionParked.set({ reaction }, count),
  };

  readonly dbPool = new Gauge({
    name: 'parley_db_pool_connections',
    help: 'Database pool connections by state (used, free, pending requests, max)',
    labelNames: ['state'] as const,
    registers: [this.registry],
    // Read at scrape time from whatever observePool() registered.
    collect: () => {
      const counts = this.poolReader?.();
      if (!counts) return;
      for (const [state, value] of Object.entries(counts)) this.dbPool.set({ state }, value);
    },
  });

  private poolReader: (() => Partial<PoolCounts>) | null = null;

  /** Registers the source of the pool gauge; called once the database is open. */
  observePool(reader: () => Partial<PoolCounts>): void {
    this.poolReader = reader;
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'parley_' });
  }
}
