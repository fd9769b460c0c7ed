import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** One open connection of a user, as registered with the presence store. */
export interface PresenceHandle {
  readonly tenantId: string;
  readonly userId: string;
  readonly id: string;
}

/**
 * Who is connected right now, across nodes: a user is online while at least one of their
 * WebSocket connections (graphql-ws or the legacy chat socket) is open on any node.
 */
export interface PresenceStore {
  /** Registers an open connection; resolves whether it is the user's first on this node. */
  connect(tenantId: string, userId: string): Promise<{ handle: PresenceHandle; first: boolean }>;
  /** The connection closed. */
  disconnect(handle: PresenceHandle): Promise<void>;
  /** Which of `userIds` (of `tenantId`) have a live connection on some node. */
  online(tenantId: string, userIds: readonly string[]): Promise<Set<string>>;
  /** Resolves when the store can answer for every node (at once without Redis), or after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** This node's own connections, by tenant and user. */
class LocalConnections {
  private readonly byUser = new Map<string, Set<string>>();

  static key(tenantId: string, userId: string): string {
    return `${tenantId}:${userId}`;
  }

  add(handle: PresenceHandle): boolean {
    const key = LocalConnections.key(handle.tenantId, handle.userId);
    const set = this.byUser.get(key) ?? new Set<string>();
    this.byUser.set(key, set);
    set.add(handle.id);
    return set.size === 1;
  }

  remove(handle: PresenceHandle): void {
    const key = LocalConnections.key(handle.tenantId, handle.userId);
    const set = this.byUser.get(key);
    if (!set) return;
    set.delete(handle.id);
    if (set.size === 0) this.byUser.delete(key);
  }

  has(tenantId: string, userId: string): boolean {
    return this.byUser.has(LocalConnections.key(tenantId, userId));
  }

  *all(): Iterable<{ tenantId: string; userId: string; ids: Set<string> }> {
    for (const [key, ids] of this.byUser) {
      const [tenantId, userId] = key.split(':') as [string, string];
      yield { tenantId, userId, ids };
    }
  }
}

/** Without Redis: one process, so this node's connections are everyone's. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly local = new LocalConnections();

  async connect(tenantId: string, userId: string) {
    const handle = { tenantId, userId, id: randomUUID() };
    return { handle, first: this.local.add(handle) };
  }

  async disconnect(handle: PresenceHandle): Promise<void> {
    this.local.remove(handle);
  }

  async online(tenantId: string, userIds: readonly string[]): Promise<Set<string>> {
    return new Set(userIds.filter((userId) => this.local.has(tenantId, userId)));
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {}
}

/**
 * With Redis: one sorted set per user under REDIS_PREFIX (`presence:<tenant>:<user>`), one member
 * per connection, scored with the time it expires. Each node refreshes its own connections every
 * third of the TTL; a node that dies stops refreshing, so its connections stop counting within
 * the TTL (and the key itself expires once nothing refreshes it). While Redis is out of reach,
 * this node answers from its own connections (degraded: other nodes' agents look offline).
 */
export class RedisPresenceStore implements PresenceStore {
  private readonly local = new LocalConnections();
  private readonly redis: Redis;
  private readonly timer: NodeJS.Timeout;
  private readonly node = randomUUID();

  constructor(
    redisUrl: string,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {
    this.redis = new Redis(redisUrl, { enableOfflineQueue: false, commandTimeout: 2_000, maxRetriesPerRequest: 1, retryStrategy: (attempt) => Math.min(attempt * 100, 1_000) });
    this.redis.on('error', () => undefined);
    this.timer = setInterval(
      () => {
        this.refresh().catch(() => undefined);
      },
      Math.max(200, Math.floor(ttlMs / 3)),
    );
    this.timer.unref();
  }

  private key(tenantId: string, userId: string): string {
    return `${this.prefix}presence:${tenantId}:${userId}`;
  }

  private member(handle: PresenceHandle): string {
    return `${this.node}:${handle.id}`;
  }

  /** Pushes every local connection's expiry forward (and the keys' own TTL with it). */
  private async refresh(): Promise<void> {
    if (this.redis.status !== 'ready') return;
    const expires = Date.now() + this.ttlMs;
    const pipeline = this.redis.pipeline();
    for (const { tenantId, userId, ids } of this.local.all()) {
      const key = this.key(tenantId, userId);
      for (const id of ids) pipeline.zadd(key, expires, `${this.node}:${id}`);
      pipeline.zremrangebyscore(key, '-inf', Date.now());
      pipeline.pexpire(key, this.ttlMs);
    }
    if (pipeline.length) await pipeline.exec().catch(() => undefined);
  }

  async ready(timeoutMs: number): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async connect(tenantId: string, userId: string) {
    const handle = { tenantId, userId, id: randomUUID() };
    const first = this.local.add(handle);
    const key = this.key(tenantId, userId);
    await this.redis
      .multi()
      .zadd(key, Date.now() + this.ttlMs, this.member(handle))
      .pexpire(key, this.ttlMs)
      .exec()
      .catch(() => undefined);
    return { handle, first };
  }

  async disconnect(handle: PresenceHandle): Promise<void> {
    this.local.remove(handle);
    await this.redis.zrem(this.key(handle.tenantId, handle.userId), this.member(handle)).catch(() => undefined);
  }

  async online(tenantId: string, userIds: readonly string[]): Promise<Set<string>> {
    const online = new Set(userIds.filter((userId) => this.local.has(tenantId, userId)));
    const others = userIds.filter((userId) => !online.has(userId));
    if (others.length === 0 || this.redis.status !== 'ready') return online;
    const now = Date.now();
    const pipeline = this.redis.pipeline();
    for (const userId of others) pipeline.zcount(this.key(tenantId, userId), `(${now}`, '+inf');
    const results = await pipeline.exec().catch(() => null);
    results?.forEach(([error, count], index) => {
      if (!error && Number(count) > 0) online.add(others[index]!);
    });
    return online;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    // This node's connections stop counting at once, not a TTL later.
    const pipeline = this.redis.pipeline();
    for (const { tenantId, userId, ids } of this.local.all()) for (const id of ids) pipeline.zrem(this.key(tenantId, userId), `${this.node}:${id}`);
    if (pipeline.length && this.redis.status === 'ready') await pipeline.exec().catch(() => undefined);
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

export function createPresenceStore(options: { redisUrl: string | null; prefix: string; ttlSeconds: number }): PresenceStore {
  return options.redisUrl ? new RedisPresenceStore(options.redisUrl, options.prefix, options.ttlSeconds * 1000) : new MemoryPresenceStore();
}
