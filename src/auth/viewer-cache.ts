import { REVOCATIONS_TOPIC, type EventBus } from '../events/event-bus.js';
import type { UserRole } from '../shared/enums.js';

/** What authentication needs of a users row: the revocation counter and the viewer's names and role. */
export interface CachedUser {
  tokenVersion: number;
  role: UserRole;
  username: string;
  displayName: string;
}

/** How many users one node remembers; the oldest entry goes first. */
export const VIEWER_CACHE_MAX_ENTRIES = 10_000;

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/**
 * Every authenticated request used to read its caller's users row to check revocation: one
 * database round trip per request, most of what an empty query cost (bench/NOTES.md). This node
 * remembers those rows for `ttlMs`. Guest tokens are still checked against their participant row
 * on every request: a conversation that vanished must answer `conversation_not_found` at once
 * (seed 002), and no event says so.
 *
 * Revocation stays immediate on this node and near-immediate on the others: whatever bumps a
 * user's token version calls `revoked` after its commit, which drops the entry here and tells
 * every node over the event bus (events/event-bus.ts, `revocations`). A node that may have missed
 * such a message (pub/sub interrupted) forgets everything (`clear`). The TTL is the backstop for
 * what no bus carries: `admin set-password` run as a separate process against PostgreSQL.
 *
 * Reads race with revocations: a request that read the row before a logout committed must not
 * store the old version after `forget` ran. Every `forget` and `clear` moves `generation`; a read
 * stores its result only if no generation passed since it started.
 */
export class ViewerCache {
  private readonly users = new Map<string, Entry<CachedUser>>();
  private current = 0;

  constructor(
    private readonly ttlMs: number,
    /** Carries revocations to the other nodes; none in a lone process (the admin CLI). */
    private readonly bus: EventBus | null,
    private readonly maxEntries = VIEWER_CACHE_MAX_ENTRIES,
  ) {}

  /** Forgets what other nodes revoke, and everything when pub/sub may have lost some of it. Resolves once listening. */
  listen(): Promise<() => void> {
    if (!this.bus) return Promise.resolve(() => undefined);
    return this.bus.subscribe(REVOCATIONS_TOPIC, (message) => {
      if (message.kind === 'revoked') this.forget(message.tenantId, message.userId);
      else if (message.kind === 'resync') this.clear();
    });
  }

  /**
   * A user's token version was bumped and committed (logout, password change, invitation
   * accepted): forget it here at once, so this node refuses the old tokens from the next request
   * on, and tell every other node.
   */
  revoked(tenantId: string, userId: string): void {
    this.forget(tenantId, userId);
    this.bus?.publishRevocation(tenantId, userId);
  }

  /** Pass to `rememberUser`/`rememberGuest` the value read before the database was asked. */
  generation(): number {
    return this.current;
  }

  user(tenantId: string, userId: string): CachedUser | null {
    return this.read(this.users, `${tenantId}:${userId}`);
  }

  rememberUser(tenantId: string, userId: string, value: CachedUser, since: number): void {
    if (since === this.current) this.write(this.users, `${tenantId}:${userId}`, value);
  }

  /** Read this user's row afresh next time (another node revoked their tokens). */
  private forget(tenantId: string, userId: string): void {
    this.current += 1;
    this.users.delete(`${tenantId}:${userId}`);
  }

  /** Revocations may have been missed (pub/sub was interrupted): read every row afresh. */
  private clear(): void {
    this.current += 1;
    this.users.clear();
  }

  private read<T>(map: Map<string, Entry<T>>, key: string): T | null {
    const entry = map.get(key);
    if (!entry) return null;
    if (entry.expiresAt > Date.now()) return entry.value;
    map.delete(key);
    return null;
  }

  private write<T>(map: Map<string, Entry<T>>, key: string, value: T): void {
    if (this.ttlMs <= 0) return;
    map.delete(key); // re-inserted last: Map order is age order
    map.set(key, { value, expiresAt: Date.now() + this.ttlMs });
    if (map.size > this.maxEntries) map.delete(map.keys().next().value!);
  }
}
