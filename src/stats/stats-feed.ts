import { type BusMessage, type EventBus, statsTopic } from '../events/event-bus.js';

/** statsUpdated pushes at most this often per tenant (on each node; a subscriber is on one node). */
export const STATS_UPDATE_INTERVAL_MS = 1_000;

type Tick = () => void;

/**
 * One tenant's change signals, throttled: the first change after a quiet second ticks at once
 * (leading), later ones within the second are folded into one trailing tick at its end, so the
 * last change is never left unreported and a burst of N changes over D seconds ticks at most
 * ceil(D) + 1 times. One bus subscription per tenant per node, shared by its stats streams.
 */
class TenantFeed {
  readonly ticks = new Set<Tick>();
  private lastTick = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  stop: (() => void) | null = null;
  closed = false;

  changed(): void {
    if (this.timer) return;
    const wait = this.lastTick + STATS_UPDATE_INTERVAL_MS - Date.now();
    if (wait <= 0) return this.tick();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tick();
    }, wait);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stop?.();
  }

  private tick(): void {
    this.lastTick = Date.now();
    for (const tick of this.ticks) {
      try {
        tick();
      } catch {
        // A listener only flags its stream dirty; its failure is its own.
      }
    }
  }
}

/**
 * Change signals per tenant for statsUpdated. The event bus carries a bare `stats` signal for
 * every event that changes the numbers (events/event-bus.ts `statsTopic`), from every node when
 * Redis is on; this throttles them per tenant.
 */
export class StatsFeed {
  private readonly tenants = new Map<string, TenantFeed>();

  constructor(private readonly bus: EventBus) {}

  /** Calls `onTick` after changes to `tenantId`'s stats, throttled; resolves once listening (returns the stop function). */
  async watch(tenantId: string, onTick: Tick): Promise<() => void> {
    let feed = this.tenants.get(tenantId);
    if (!feed) {
      const created = new TenantFeed();
      feed = created;
      this.tenants.set(tenantId, created);
      const stop = await this.bus.subscribe(statsTopic(tenantId), (message: BusMessage) => {
        // `resync`: pub/sub was away and is back, so a change may have gone unannounced.
        if (message.kind === 'stats' || message.kind === 'resync') created.changed();
      });
      // Every stream left while the subscribe was pending: stop listening at once.
      if (created.closed) stop();
      else created.stop = stop;
    }
    const tenantFeed = feed;
    tenantFeed.ticks.add(onTick);
    return () => {
      tenantFeed.ticks.delete(onTick);
      if (tenantFeed.ticks.size === 0 && this.tenants.get(tenantId) === tenantFeed) {
        this.tenants.delete(tenantId);
        tenantFeed.close();
      }
    };
  }
}

const feeds = new WeakMap<EventBus, StatsFeed>();

/** The server's one StatsFeed (per event bus, so test servers in one process stay apart). */
export function statsFeedFor(bus: EventBus): StatsFeed {
  let feed = feeds.get(bus);
  if (!feed) {
    feed = new StatsFeed(bus);
    feeds.set(bus, feed);
  }
  return feed;
}

/**
 * The statsUpdated stream: after each (throttled) tick, one fresh computation; ticks that arrive
 * while one is computed or waiting to be read fold into one more. Hand-written rather than an
 * async generator so that `return()` (the client unsubscribed) ends it at once, even mid-wait.
 */
export class StatsUpdates<T> implements AsyncIterableIterator<T> {
  private dirty = false;
  private done = false;
  private wake: (() => void) | null = null;
  private stop: (() => void) | null = null;

  private constructor(private readonly compute: () => Promise<T>) {}

  static async open<T>(feed: StatsFeed, tenantId: string, compute: () => Promise<T>): Promise<StatsUpdates<T>> {
    const updates = new StatsUpdates(compute);
    updates.stop = await feed.watch(tenantId, () => {
      updates.dirty = true;
      updates.signal();
    });
    return updates;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    while (!this.done && !this.dirty) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.done) return { done: true, value: undefined };
    this.dirty = false;
    try {
      return { done: false, value: await this.compute() };
    } catch (error) {
      this.finish();
      throw error;
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.finish();
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<T>> {
    this.finish();
    throw error;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.stop?.();
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
