import { type EventBus, REVOCATIONS_TOPIC, type Revocation } from '../events/event-bus.js';
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
 * Checking revocation reads the caller's users row: read on every request, that one database
 * round trip would be most of what an empty query costs (bench/NOTES.md). This node remembers
 * those rows for `ttlMs`. Guest tokens are still checked against their participant row
 * on every request: a conversation that vanished must answer `conversation_not_found` at once
 * (seed 002), and no event says so.
 *
 * It also remembers whether a sign-in (a refresh-token family, the `fam` claim of its access
 * tokens) was revoked: refresh-token reuse ends one sign-in, not the user's others.
 *
 * Revocation stays immediate on this node and near-immediate on the others: whatever revokes
 * credentials (a token version bumped, a family or an API key revoked) calls `revoked` after its
 * commit, which drops the entry here and tells every node over the event bus (events/event-bus.ts,
 * `revocations`). Each node then also tells the streams watching those credentials (`watch`),
 * so they check their caller again before delivering anything more. A node that may have missed
 * such a message (pub/sub interrupted) forgets everything (`clear`), and serves nothing from
 * memory while pub/sub is down. The TTL is the backstop for what no bus carries: `admin
 * set-password` run as a separate process against PostgreSQL.
 *
 * Reads race with revocations: a request that read the row before a logout committed must not
 * store the old version after `apply` ran. Every `apply` and `clear` moves `generation`; a read
 * stores its result only if no generation passed since it started.
 */
export class ViewerCache {
  private readonly users = new Map<string, Entry<CachedUser>>();
  /** Whether a sign-in (tenant and refresh-token family) is revoked. */
  private readonly families = new Map<string, Entry<boolean>>();
  /** The streams of this node, by the revocation that ends their credentials (`revocationKey`). */
  private readonly watchers = new Map<string, Set<() => void>>();
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
      if (message.kind === 'revoked') this.apply(message.revocation);
      else if (message.kind === 'resync') this.clear();
    });
  }

  /**
   * Credentials were revoked and the revocation committed (logout, password change, invitation
   * accepted, a refresh token reused, an API key revoked): forget them here at once, so this node
   * refuses them from the next request on, tell this node's streams, and tell every other node.
   * Resolves once the notice is on its way to every node (see `EventBus.publishRevocation`).
   */
  async revoked(revocation: Revocation): Promise<void> {
    this.apply(revocation);
    await this.bus?.publishRevocation(revocation);
  }

  /**
   * Calls `onNotice` whenever one of `revocations` is announced, on this node or another, until
   * the returned function is called. A notice means "check again": the revocation may concern
   * other credentials of the same user (logout names the user, not a token).
   */
  watch(revocations: readonly Revocation[], onNotice: () => void): () => void {
    const keys = revocations.map(revocationKey);
    for (const key of keys) {
      const set = this.watchers.get(key) ?? new Set();
      set.add(onNotice);
      this.watchers.set(key, set);
    }
    return () => {
      for (const key of keys) {
        const set = this.watchers.get(key);
        set?.delete(onNotice);
        if (set?.size === 0) this.watchers.delete(key);
      }
    };
  }

  /** Pass to `rememberUser`/`rememberFamily` the value read before the database was asked. */
  generation(): number {
    return this.current;
  }

  user(tenantId: string, userId: string): CachedUser | null {
    return this.read(this.users, `${tenantId}:${userId}`);
  }

  rememberUser(tenantId: string, userId: string, value: CachedUser, since: number): void {
    if (since === this.current) this.write(this.users, `${tenantId}:${userId}`, value);
  }

  /** Whether the sign-in is revoked, if remembered (null: ask the database). */
  familyRevoked(tenantId: string, family: string): boolean | null {
    return this.read(this.families, `${tenantId}:${family}`);
  }

  rememberFamily(tenantId: string, family: string, revoked: boolean, since: number): void {
    if (since === this.current) this.write(this.families, `${tenantId}:${family}`, revoked);
  }

  /** Read the revoked credentials afresh next time, and wake the streams that hold them. */
  private apply(revocation: Revocation): void {
    this.current += 1;
    if ('userId' in revocation) this.users.delete(`${revocation.tenantId}:${revocation.userId}`);
    else if ('family' in revocation) this.families.delete(`${revocation.tenantId}:${revocation.family}`);
    const watching = this.watchers.get(revocationKey(revocation));
    if (watching) for (const onNotice of [...watching]) onNotice();
  }

  /** Revocations may have been missed (pub/sub was interrupted): read every row afresh. */
  private clear(): void {
    this.current += 1;
    this.users.clear();
    this.families.clear();
  }

  private read<T>(map: Map<string, Entry<T>>, key: string): T | null {
    // Pub/sub down: revocations from other nodes cannot reach this one, so memory is not trusted.
    if (this.bus?.status() === 'down') return null;
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

/** One string per revoked thing; the kinds cannot collide. */
function revocationKey(revocation: Revocation): string {
  if ('userId' in revocation) return `user:${revocation.tenantId}:${revocation.userId}`;
  if ('family' in revocation) return `family:${revocation.tenantId}:${revocation.family}`;
  return `apiKey:${revocation.tenantId}:${revocation.apiKeyId}`;
}
