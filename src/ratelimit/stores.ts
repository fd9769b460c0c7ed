import { type Identity, Store } from 'graphql-rate-limit';
import type { Redis } from 'ioredis';

/**
 * graphql-rate-limit's core reads an identity's timestamps, decides, then writes the whole list
 * back. A plain overwrite loses the calls another request (or node) recorded in between. These
 * stores therefore merge instead of overwrite: timestamps they hand out are marked with a half
 * millisecond, so on write every whole-millisecond value is a new call to add, and marked values
 * are already stored. Counts are never lost; expired entries are dropped on each write.
 */
const STORED_MARK = 0.5;
const isNewCall = (timestamp: number) => Number.isInteger(timestamp);

const keyOf = (identity: Identity) => `${identity.contextIdentity}|${identity.fieldIdentity}`;

/** In-process store with eviction (the library's InMemoryStore never forgets an identity). */
export class MemoryRateLimitStore extends Store {
  private readonly calls = new Map<string, number[]>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly maxWindowMs: number) {
    super();
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, maxWindowMs));
    this.sweeper.unref();
  }

  getForIdentity(identity: Identity): readonly number[] {
    return (this.calls.get(keyOf(identity)) ?? []).map((t) => t + STORED_MARK);
  }

  setForIdentity(identity: Identity, timestamps: readonly number[], windowMs = this.maxWindowMs): void {
    const key = keyOf(identity);
    const cutoff = Date.now() - windowMs;
    const kept = (this.calls.get(key) ?? []).filter((t) => t > cutoff);
    for (const t of timestamps) if (isNewCall(t)) kept.push(t);
    if (kept.length) this.calls.set(key, kept);
    else this.calls.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const cutoff = Date.now() - this.maxWindowMs;
    for (const [key, times] of this.calls) if (times.every((t) => t <= cutoff)) this.calls.delete(key);
  }
}

/**
 * Shared by every node: one sorted set per identity (score = call time), written in one MULTI,
 * so concurrent writers on different nodes add to the same count. Keys expire with the window.
 */
export class RedisRateLimitStore extends Store {
  private sequence = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    super();
  }

  async getForIdentity(identity: Identity): Promise<readonly number[]> {
    const flat = await this.redis.zrange(this.key(identity), 0, -1, 'WITHSCORES');
    const times: number[] = [];
    for (let i = 1; i < flat.length; i += 2) times.push(Number(flat[i]) + STORED_MARK);
    return times;
  }

  async setForIdentity(identity: Identity, timestamps: readonly number[], windowMs = 60_000): Promise<void> {
    const key = this.key(identity);
    const fresh = timestamps.filter(isNewCall);
    const multi = this.redis.multi();
    for (const t of fresh) multi.zadd(key, t, `${t}:${process.pid}:${(this.sequence++).toString(36)}:${Math.random().toString(36).slice(2, 8)}`);
    multi.zremrangebyscore(key, '-inf', Date.now() - windowMs);
    multi.pexpire(key, windowMs);
    await multi.exec();
  }

  private key(identity: Identity): string {
    return `${this.prefix}rl:${keyOf(identity)}`;
  }
}

/**
 * Redis while it answers, this node's memory while it does not. A call during an outage is
 * counted locally instead of failing (or waiting); the connection coming back (`reconnected`), or
 * any successful Redis command, switches back, so the store does not wait for traffic to leave
 * its degraded mode.
 */
export class FailoverRateLimitStore extends Store {
  private degraded = false;

  constructor(
    private readonly shared: RedisRateLimitStore,
    private readonly local: MemoryRateLimitStore,
    private readonly reachable: () => boolean,
    private readonly onDegraded: (degraded: boolean) => void = () => undefined,
  ) {
    super();
  }

  async getForIdentity(identity: Identity): Promise<readonly number[]> {
    return this.attempt(
      () => this.shared.getForIdentity(identity),
      () => this.local.getForIdentity(identity),
    );
  }

  async setForIdentity(identity: Identity, timestamps: readonly number[], windowMs?: number): Promise<void> {
    await this.attempt(
      () => this.shared.setForIdentity(identity, timestamps, windowMs),
      () => this.local.setForIdentity(identity, timestamps, windowMs),
    );
  }

  /** Redis's connection is ready again: the next calls count in Redis. */
  reconnected(): void {
    this.mark(false);
  }

  private async attempt<T>(remote: () => Promise<T>, fallback: () => T): Promise<T> {
    if (this.reachable()) {
      try {
        const result = await remote();
        this.mark(false);
        return result;
      } catch {
        // counted locally below
      }
    }
    this.mark(true);
    return fallback();
  }

  private mark(degraded: boolean): void {
    if (this.degraded === degraded) return;
    this.degraded = degraded;
    this.onDegraded(degraded);
  }
}
