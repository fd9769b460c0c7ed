/**
 * Periodic access checks, shared per node. A stream re-checks its caller's access (and compares
 * the outbox head with its position) every ACCESS_RECHECK_MS, so a subscriber who lost access
 * stops within 5 s. Streams with the same credentials on the same sequence (a user with many
 * tabs, a thousand subscriptions over one token) get the same answer, so the node runs the check
 * once per tick for all of them instead of once per stream.
 */

/** Access (and the token behind it) is re-checked this often, so a subscriber who lost it stops within 5 s. */
export const ACCESS_RECHECK_MS = 4_000;

/**
 * Periodic checks run at most this many at a time per process. With thousands of idle
 * subscriptions of distinct callers they would otherwise take every database connection and
 * starve requests; capped, they queue and stretch out instead.
 */
export const MAX_CONCURRENT_RECHECKS = 4;

export class Semaphore {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.running += 1;
    try {
      return await task();
    } finally {
      this.running -= 1;
      this.queue.shift()?.();
    }
  }
}

/**
 * Process-wide: a process is one node, and the cap protects its one connection pool. Periodic
 * checks and catch-ups after a pub/sub reconnect both run under it.
 */
export const periodicRechecks = new Semaphore(MAX_CONCURRENT_RECHECKS);

/** One member of a check group: how to run the check, and where its answer goes. */
interface Member<T> {
  check: () => Promise<T>;
  /** The check's answer, or its failure (an access error ends the stream; anything else is retried next tick). */
  settle: (outcome: { value: T } | { error: unknown }) => void;
}

/** The streams sharing one check: one timer, one query per tick, every member told the answer. */
class Group<T> {
  readonly members = new Set<Member<T>>();
  private pending = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    /** Kept once here rather than in every member's leave closure (thousands of idle streams). */
    readonly key: string,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Skips a tick while the previous check still queues, so slow checks never pile up. */
  private tick(): void {
    const first = this.members.values().next().value;
    if (this.pending || !first) return;
    this.pending = true;
    const settleAll = (outcome: { value: T } | { error: unknown }) => {
      this.pending = false;
      for (const member of [...this.members]) member.settle(outcome);
    };
    periodicRechecks.run(first.check).then(
      (value) => settleAll({ value }),
      (error: unknown) => settleAll({ error }),
    );
  }
}

/**
 * Check groups by key: the caller's credentials and the sequence checked (a session, a tenant's
 * inbox). A key must only be shared by streams whose checks answer the same.
 */
export class PeriodicChecks {
  private readonly groups = new Map<string, Group<unknown>>();

  constructor(private readonly intervalMs: number = ACCESS_RECHECK_MS) {}

  /** Joins (or starts) the key's group; returns the function that leaves it. */
  join<T>(key: string, check: () => Promise<T>, settle: Member<T>['settle']): () => void {
    let group = this.groups.get(key) as Group<T> | undefined;
    if (!group) {
      group = new Group<T>(key, this.intervalMs);
      this.groups.set(key, group as Group<unknown>);
    }
    const member: Member<T> = { check, settle };
    group.members.add(member);
    return this.leaver(group as Group<unknown>, member as Member<unknown>);
  }

  /** Not a closure inside `join`: that would keep `key` (a token) per member. */
  private leaver(group: Group<unknown>, member: Member<unknown>): () => void {
    return () => {
      if (!group.members.delete(member) || group.members.size > 0) return;
      group.stop();
      if (this.groups.get(group.key) === group) this.groups.delete(group.key);
    };
  }

  /** How many distinct checks run per tick (for tests and metrics). */
  get size(): number {
    return this.groups.size;
  }
}

/** The node's groups: every stream of this process joins here. */
export const periodicChecks = new PeriodicChecks();
