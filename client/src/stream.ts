import type { Client as WsClient } from 'graphql-ws';
import { hasReason, isCloseEvent, isTokenClose, isTokenProblem, isTransient, ParleyError, type ParleyGraphQLError, ParleyNetworkError } from './errors.js';
import type { Operation } from './http.js';
import type { TokenKeeper } from './tokens.js';

/** Event ids are the outbox's bigint ids, sent as decimal strings: compare them as numbers. */
export function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Randomised exponential backoff: about 150 ms, 300 ms, 600 ms … up to 5 s. */
export const backoff = (attempt: number) => Math.min(150 * 2 ** attempt, 5000) * (0.5 + Math.random());

export interface StreamParts {
  ws: WsClient;
  tokens: TokenKeeper;
  /** The token the current WebSocket connection was opened with (to renew it when refused). */
  connectionToken(): string | null;
}

export interface StreamSpec<TData, TVariables extends Record<string, unknown>, TEvent> {
  document: Operation<TData, TVariables>;
  variables(since: string | null): TVariables;
  pick(data: TData): TEvent;
  /** The event's position, or null for ephemeral events (typing) that are never replayed. */
  idOf(event: TEvent): string | null;
  /**
   * True when ids of different sessions may arrive out of id order (inbox activity): every event
   * is delivered (the server sends each once) and a resume starts from the highest id. Otherwise
   * ids arrive in order and anything at or below the last one is a repeat.
   */
  interleaved?: boolean;
  /**
   * Where to start: called first, and again after RESYNC_REQUIRED (`resync` true). Returns the
   * `since` to subscribe with (a history load's lastEventId, or null for "live from now").
   */
  start(resync: boolean): Promise<string | null>;
  onEvent(event: TEvent): void;
  /** The stream stopped for good (access lost, an invalid operation): nothing more will arrive. */
  onError?(error: Error): void;
}

type Ending = { kind: 'stopped' } | { kind: 'complete' } | { kind: 'errors'; errors: readonly ParleyGraphQLError[] } | { kind: 'closed'; reason: unknown };

/**
 * A subscription that survives anything short of losing access: after every disconnect it
 * subscribes again with `since` = the last event it delivered (graphql-ws's own retry would
 * re-send the first `since`), drops what it already delivered, renews a refused token, and starts
 * over from `start(true)` when the server says the position is too old. Returns the stop function.
 */
export function resumableStream<TData, TVariables extends Record<string, unknown>, TEvent>(parts: StreamParts, spec: StreamSpec<TData, TVariables, TEvent>): () => void {
  let stopped = false;
  let last: string | null = null;
  let attempt = 0;
  let cancel: (() => void) | null = null;
  let wake: (() => void) | null = null;
  let refusedBefore = false; // a token was refused and nothing was delivered since
  /** A pause that ends early when the stream is stopped (so no timer outlives it). */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });
  const offConnected = parts.ws.on('connected', () => {
    attempt = 0;
  });

  const deliver = (event: TEvent) => {
    const id = spec.idOf(event);
    if (id !== null) {
      const behind = last !== null && compareIds(id, last) <= 0;
      if (behind && !spec.interleaved) return; // replayed after a resume: already delivered
      if (!behind) last = id;
    }
    spec.onEvent(event);
  };

  const once = (token: string | null) =>
    new Promise<Ending>((resolve) => {
      let ended = false;
      const end = (ending: Ending) => {
        if (ended) return;
        ended = true;
        cancel = null;
        resolve(ending);
      };
      const dispose = parts.ws.subscribe<TData>(
        {
          query: spec.document.toString(),
          variables: spec.variables(last),
          // Each subscription carries its own current token, so a connection opened with a token
          // that has since expired still serves subscriptions made after the renewal.
          ...(token ? { extensions: { authorization: `Bearer ${token}` } } : {}),
        },
        {
          next: (result) => {
            if (ended || stopped) return;
            if (result.errors?.length) {
              end({ kind: 'errors', errors: result.errors });
              dispose();
              return;
            }
            if (result.data) {
              refusedBefore = false;
              deliver(spec.pick(result.data));
            }
          },
          error: (error) => {
            if (Array.isArray(error)) end({ kind: 'errors', errors: error });
            else end({ kind: 'closed', reason: error });
          },
          complete: () => end({ kind: 'complete' }),
        },
      );
      cancel = () => {
        end({ kind: 'stopped' });
        dispose();
      };
    });

  /** Renews a refused token; straight back the first time, with backoff if the renewed one was refused too with nothing delivered in between. */
  const renewed = async (stale: string | null) => {
    await parts.tokens.renew(stale);
    if (refusedBefore) await pause(backoff(attempt++));
    refusedBefore = true;
  };

  const fail = (error: Error) => {
    stopped = true;
    offConnected();
    spec.onError?.(error);
  };

  const run = async () => {
    let resync: boolean | null = false; // null: started
    while (!stopped) {
      try {
        if (resync !== null) {
          const since = await spec.start(resync);
          if (stopped) return;
          last = since;
          resync = null;
        }
        const token = await parts.tokens.current();
        if (stopped) return;
        const ending = await once(token);
        if (ending.kind === 'stopped' || stopped) return;
        if (ending.kind === 'errors') {
          if (hasReason(ending.errors, 'RESYNC_REQUIRED')) {
            resync = true;
            continue;
          }
          if (isTokenProblem(ending.errors)) {
            await renewed(token);
            continue;
          }
          if (!isTransient(ending.errors)) return fail(new ParleyError(ending.errors));
        } else if (ending.kind === 'closed' && isCloseEvent(ending.reason)) {
          if (isTokenClose(ending.reason)) {
            await renewed(parts.connectionToken());
            continue;
          }
          if (ending.reason.code === 4403) return fail(new ParleyError([{ message: `connection refused: ${ending.reason.reason}`, extensions: { code: 'FORBIDDEN', reason: ending.reason.reason } }]));
        }
      } catch (error) {
        // A history load or a token renewal that could not reach the server: try again. Anything else is final.
        if (!(error instanceof ParleyNetworkError) && !(error instanceof ParleyError && isTransient(error.errors))) {
          return fail(error instanceof Error ? error : new Error(String(error)));
        }
      }
      await pause(backoff(attempt++));
    }
  };

  run().catch((error: unknown) => fail(error instanceof Error ? error : new Error(String(error))));

  return () => {
    if (stopped) return;
    stopped = true;
    offConnected();
    cancel?.();
    wake?.();
  };
}
