import { type ClientOptions, createClient } from 'graphql-ws';
import { isTokenProblem, isTransient, ParleyError, ParleyNetworkError } from './errors.js';
import {
  SdkHistoryDocument,
  SdkInboxDocument,
  type SdkInboxSubscription,
  type SdkMessageFragment,
  SdkSendDocument,
  type SdkSendMutation,
  SdkSessionEventsDocument,
  type SdkSessionEventsSubscription,
} from './generated/graphql.js';
import { httpPoster, type Operation, type Uploads } from './http.js';
import { backoff, resumableStream, sleep } from './stream.js';
import { type Credentials, type GetToken, TokenKeeper } from './tokens.js';

export type Message = SdkMessageFragment;
/** Everything `sessionEvents` delivers: MessageEvent, ReadEvent, SessionUpdateEvent, TypingEvent (discriminate on `__typename`). */
export type SessionEvent = SdkSessionEventsSubscription['sessionEvents'];
export type InboxEvent = SdkInboxSubscription['inbox'];

export interface ParleyClientOptions {
  /** The GraphQL endpoint, e.g. `http://localhost:4000/graphql`. */
  url: string;
  /** Sign in with these and keep the session alive with refresh tokens. */
  credentials?: Credentials;
  /** Or supply tokens yourself (called before each request; `forceRefresh` after a refusal). */
  getToken?: GetToken;
  /** The WebSocket endpoint; default: `url` with http(s) → ws(s). */
  wsUrl?: string;
  /** A WebSocket implementation for Node (`ws`); browsers and Node 22+ have a global one. */
  webSocketImpl?: unknown;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** graphql-ws connection events (`connected`, `closed`, …), e.g. to show a connection indicator. */
  on?: ClientOptions['on'];
}

export interface WatchSessionHandlers {
  /** The latest messages, oldest first: at start, and again after a resync (replace what you show). */
  onHistory?(messages: Message[], lastEventId: string): void;
  /** Every event after the history, exactly once and in the session's order (typing is live only). */
  onEvent?(event: SessionEvent): void;
  /** The watch stopped for good (access lost, session gone); nothing more will arrive. */
  onError?(error: Error): void;
}

export interface WatchInboxHandlers {
  /** Each inbox event once, in the tenant's inbox order. */
  onEvent?(event: InboxEvent): void;
  /** The position was too old (RESYNC_REQUIRED): reload the session list; events continue live. */
  onResync?(): void;
  onError?(error: Error): void;
}

export interface SendOptions {
  /** Idempotency key (unique per sender); generated when omitted. Retries reuse it, so a message is stored once. */
  clientMessageId?: string;
  metadata?: Record<string, unknown>;
  /** Files to attach (a File keeps its name); sent as a GraphQL multipart request. */
  attachments?: (Blob | File)[];
  /** Attempts after the first on network failures and transient refusals (default 6). */
  retries?: number;
}

export interface ParleyClient {
  /** One GraphQL operation over HTTP, with the current token (renewed and retried once if refused). */
  request<TResult, TVariables>(document: Operation<TResult, TVariables>, variables: TVariables): Promise<TResult>;
  /** Loads the latest `history` messages (default 50), then follows the session live with no gap and no repeat. Returns stop. */
  watchSession(sessionId: string, handlers: WatchSessionHandlers, options?: { history?: number }): () => void;
  /** Follows the caller's inbox (staff: their sessions; admins: the tenant) from now on. Returns stop. */
  watchInbox(handlers: WatchInboxHandlers, options?: { activity?: boolean }): () => void;
  /** Sends a message; network failures are retried with the same clientMessageId. */
  send(sessionId: string, content: string, options?: SendOptions): Promise<SdkSendMutation['sendMessage']>;
  /** A token to use now (for your own requests); null when anonymous. */
  token(): Promise<string | null>;
  /** Stops every watch and closes the WebSocket. */
  close(): Promise<void>;
}

export function createParleyClient(options: ParleyClientOptions): ParleyClient {
  const post = httpPoster(options.url, options.fetch ?? globalThis.fetch.bind(globalThis));
  const tokens = new TokenKeeper(post, options.credentials, options.getToken);
  let connectionToken: string | null = null;
  const ws = createClient({
    url: options.wsUrl ?? options.url.replace(/^http/, 'ws'),
    webSocketImpl: options.webSocketImpl,
    lazy: true,
    // Every reconnect is the watchers' own (they resubscribe with the position they reached).
    retryAttempts: 0,
    on: options.on,
    connectionParams: async () => {
      connectionToken = await tokens.current();
      return connectionToken ? { authorization: `Bearer ${connectionToken}` } : {};
    },
  });
  const stops = new Set<() => void>();
  const parts = { ws, tokens, connectionToken: () => connectionToken };

  async function request<TResult, TVariables>(document: Operation<TResult, TVariables>, variables: TVariables, uploads?: Uploads): Promise<TResult> {
    let token = await tokens.current();
    let result = await post(document, variables, token, uploads);
    if (token !== null && (result.status === 401 || isTokenProblem(result.errors))) {
      token = await tokens.renew(token);
      result = await post(document, variables, token, uploads);
    }
    if (result.errors?.length || !result.data) throw new ParleyError(result.errors ?? [{ message: `HTTP ${result.status} without data` }]);
    return result.data;
  }

  function track(stop: () => void): () => void {
    const untrack = () => {
      stops.delete(untrack);
      stop();
    };
    stops.add(untrack);
    return untrack;
  }

  return {
    request,
    token: () => tokens.current(),

    watchSession(sessionId, handlers, { history = 50 } = {}) {
      return track(
        resumableStream(parts, {
          document: SdkSessionEventsDocument,
          variables: (since) => ({ sessionId, since }),
          pick: (data) => data.sessionEvents,
          idOf: (event) => (event.__typename === 'TypingEvent' ? null : event.id),
          // History first, then events after the position that history was read at: the server
          // cuts the page and the position together, so nothing is missed or repeated in between.
          start: async () => {
            const { messages } = await request(SdkHistoryDocument, { sessionId, last: history });
            handlers.onHistory?.(
              messages.edges.map((edge) => edge.node),
              messages.lastEventId,
            );
            return messages.lastEventId;
          },
          onEvent: (event) => handlers.onEvent?.(event),
          onError: (error) => handlers.onError?.(error),
        }),
      );
    },

    watchInbox(handlers, { activity = false } = {}) {
      return track(
        resumableStream(parts, {
          document: SdkInboxDocument,
          variables: (since) => ({ since, activity }),
          pick: (data) => data.inbox,
          idOf: (event) => event.id,
          interleaved: activity,
          start: async (resync) => {
            if (resync) handlers.onResync?.();
            return null;
          },
          onEvent: (event) => handlers.onEvent?.(event),
          onError: (error) => handlers.onError?.(error),
        }),
      );
    },

    async send(sessionId, content, { clientMessageId = newClientMessageId(), metadata, attachments = [], retries = 6 } = {}) {
      const uploads = attachments.map((file, index) => ({ path: `variables.attachments.${index}`, file, name: 'name' in file ? file.name : `attachment-${index + 1}` }));
      const variables = { sessionId, content, clientMessageId, metadata: metadata ?? null, attachments: attachments.length ? attachments : null };
      for (let attempt = 0; ; attempt++) {
        try {
          return (await request(SdkSendDocument, variables, uploads)).sendMessage;
        } catch (error) {
          // A token refused again right after its renewal (a sign-out racing the sign-in) is renewed on the next attempt.
          const retriable = error instanceof ParleyNetworkError || (error instanceof ParleyError && (isTransient(error.errors) || isTokenProblem(error.errors)));
          if (!retriable || attempt >= retries) throw error;
          await sleep(backoff(attempt));
        }
      }
    },

    async close() {
      for (const stop of [...stops]) stop();
      await ws.dispose();
    },
  };
}

/**
 * A random idempotency key. `crypto.randomUUID` exists only in secure contexts (https, localhost):
 * a page served over plain http from another host falls back to getRandomValues, which exists everywhere.
 */
function newClientMessageId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
