import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface SubscriptionError {
  message: string;
  extensions?: { code?: string; reason?: string };
}

/** Collects what one subscription receives; `until` waits for a condition on what arrived so far. */
export class Collected<T> {
  readonly items: T[] = [];
  errors: SubscriptionError[] | null = null;
  completed = false;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly unsubscribe: () => void) {}

  push(item: T): void {
    this.items.push(item);
    this.notify();
  }

  fail(errors: SubscriptionError[]): void {
    this.errors = errors;
    this.notify();
  }

  complete(): void {
    this.completed = true;
    this.notify();
  }

  /**
   * Resolves once `condition` holds (checked on every arrival); fails when the stream ends first,
   * or, given `limitMs`, when the condition still does not hold after that long.
   */
  until(condition: (items: T[]) => boolean, what = 'condition', limitMs?: number): Promise<T[]> {
    return this.wait<T[]>(
      () => {
        if (condition(this.items)) return { value: this.items };
        if (this.errors || this.completed) return { error: `subscription ended before ${what}: ${JSON.stringify(this.errors)} after ${JSON.stringify(this.items)}` };
        return null;
      },
      limitMs,
      () => `${what} not reached within ${limitMs} ms; received ${JSON.stringify(this.items)}`,
    );
  }

  count(n: number): Promise<T[]> {
    return this.until((items) => items.length >= n, `${n} items`);
  }

  /** Resolves with the errors the subscription ended with; fails when it has not ended after `limitMs`. */
  ended(limitMs = 10_000): Promise<SubscriptionError[] | null> {
    return this.wait(
      () => (this.errors || this.completed ? { value: this.errors } : null),
      limitMs,
      () => `subscription did not end within ${limitMs} ms; received ${JSON.stringify(this.items)}`,
    );
  }

  stop(): void {
    this.unsubscribe();
  }

  /** Settles with what `settled` says once it says anything (checked now and on every change), or fails after `limitMs`. */
  private wait<R>(settled: () => { value: R } | { error: string } | null, limitMs: number | undefined, late: () => string): Promise<R> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        this.waiters.delete(check);
        clearTimeout(timer);
      };
      const check = () => {
        const outcome = settled();
        if (outcome === null) return;
        finish();
        if ('error' in outcome) reject(new Error(outcome.error));
        else resolve(outcome.value);
      };
      if (limitMs !== undefined) {
        timer = setTimeout(() => {
          finish();
          reject(new Error(late()));
        }, limitMs);
      }
      this.waiters.add(check);
      check();
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** `promise`, or a failure saying `late()` when it has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, late: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(late())), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function wsUrl(httpUrl: string, path = '/graphql'): string {
  return httpUrl.replace(/^http/, 'ws') + path;
}

/** graphql-ws's own client, authenticated through connectionParams, never retrying (tests see every close). */
export function wsClient(httpUrl: string, token: string | null, onClose?: (code: number) => void): Client {
  return createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
    on: onClose ? { closed: (event) => onClose((event as { code: number }).code) } : undefined,
  });
}

export function subscribe<TData, TVars extends Record<string, unknown>>(client: Client, document: TypedDocumentNode<TData, TVars>, variables: TVars): Collected<TData> {
  let dispose = () => {};
  const collected: Collected<TData> = new Collected<TData>(() => dispose());
  dispose = client.subscribe<TData>(
    { query: print(document), variables },
    {
      next: (result) => {
        if (result.errors?.length) collected.fail(result.errors as SubscriptionError[]);
        else if (result.data) collected.push(result.data as TData);
      },
      error: (error) => collected.fail(Array.isArray(error) ? error : [{ message: String((error as { code?: number }).code ?? error) }]),
      complete: () => collected.complete(),
    },
  );
  return collected;
}

/**
 * Runs one operation over graphql-ws and resolves with its data or errors (a refusal included);
 * fails when no answer comes within `timeoutMs`.
 */
export function run(client: Client, query: string, variables: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<{ data?: unknown; errors?: SubscriptionError[] }> {
  return new Promise((resolve, reject) => {
    let data: unknown;
    const timer = setTimeout(() => {
      dispose();
      reject(new Error(`no answer over graphql-ws within ${timeoutMs} ms to ${query}`));
    }, timeoutMs);
    const settle = (outcome: { data?: unknown; errors?: SubscriptionError[] }) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    const dispose = client.subscribe(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) {
            dispose();
            settle({ errors: result.errors as SubscriptionError[] });
          } else data = result.data;
        },
        error: (error) => settle({ errors: Array.isArray(error) ? (error as SubscriptionError[]) : [{ message: String((error as { code?: number }).code ?? error) }] }),
        complete: () => settle({ data }),
      },
    );
  });
}

/**
 * Waits until a subscription is live on the server: pings with `ping` (e.g. setTyping) until
 * `seen` reports the echo, then forgets what arrived so far. Without `since` there is no other
 * way for a client to know that its subscribe message has been processed.
 */
export async function untilLive<T>(collected: Collected<T>, ping: () => Promise<unknown>, seen: (item: T) => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    await ping();
    const arrived = await Promise.race([collected.until((items) => items.some(seen), 'the ping').then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 50))]);
    if (arrived) {
      collected.items.length = 0;
      return;
    }
  }
  throw new Error('subscription never became live');
}

/** How a WebSocket upgrade on `path` is answered: 101 when it opens (then closed again), else the refusal's HTTP status. */
export function upgradeStatus(httpUrl: string, path: string, options: { origin?: string; token?: string; protocol?: string } = {}): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(wsUrl(httpUrl, path), options.protocol ?? [], {
      ...(options.origin ? { origin: options.origin } : {}),
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.on('error', () => undefined);
  });
}
