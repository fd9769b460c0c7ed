import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { wsUrl } from './subscriptions.js';

const EVENTS = `subscription Ids($sessionId: ID!, $since: ID) {
  sessionEvents(sessionId: $sessionId, since: $since) {
    __typename
    ... on MessageEvent { id }
    ... on SessionUpdateEvent { id }
    ... on ReadEvent { id }
  }
}`;

/**
 * A subscriber the way a careful client is written: it remembers the id of every persisted event
 * it received and, after any disconnect, subscribes again with `since` = the last one. Everything
 * it ever received is kept, so duplicates and reordering stay visible.
 */
export class ResumingSubscriber {
  readonly received: string[] = [];
  private readonly seen = new Set<string>();
  readonly errors: unknown[] = [];
  private client: Client | null = null;
  private waiters = new Set<() => void>();

  constructor(
    private readonly sessionId: string,
    private readonly token: string,
  ) {}

  get lastId(): string | null {
    return this.received.at(-1) ?? null;
  }

  /** Subscribes on `url`, resuming after the last event received (from the start when none yet). */
  connect(url: string): void {
    const client = createClient({
      url: wsUrl(url),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.token}` },
      retryAttempts: 0,
      lazy: true,
    });
    this.client = client;
    client.subscribe<{ sessionEvents: { __typename: string; id?: string } }>(
      { query: EVENTS, variables: { sessionId: this.sessionId, since: this.lastId ?? '0' } },
      {
        next: (result) => {
          if (this.client !== client) return; // a late frame of a socket already dropped
          if (result.errors?.length) this.errors.push(result.errors);
          const id = result.data?.sessionEvents.id;
          if (id) {
            this.received.push(id);
            this.seen.add(id);
          }
          for (const waiter of [...this.waiters]) waiter();
        },
        error: (error) => {
          if (this.client === client) this.errors.push(error);
        },
        complete: () => undefined,
      },
    );
  }

  /** Drops the socket (as a network cut would) and resumes on `url`. */
  async reconnect(url: string): Promise<void> {
    const old = this.client;
    this.client = null;
    await old?.dispose();
    this.connect(url);
  }

  /** Resolves once the event `id` has arrived (or rejects after `limitMs`). */
  until(id: string, limitMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.seen.has(id)) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`event ${id} not received within ${limitMs} ms (last: ${this.lastId}, errors: ${JSON.stringify(this.errors)})`));
      }, limitMs);
      this.waiters.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.dispose();
  }
}
