import { parse, type DocumentNode, type GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Context } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { ContextFactory } from '../graphql/context.js';
import type { Metrics } from '../observability/metrics.js';

type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
type Extra = { socket: WebSocket; request: IncomingMessage };

export interface GraphQLWsOptions {
  schema: GraphQLSchema;
  contexts: ContextFactory;
  /** The one error mapper (graphql/errors.ts), so WebSocket errors carry the same codes as HTTP. */
  formatError: FormatError;
  metrics?: Metrics;
  isProd: boolean;
}

/** `connectionParams.authorization` wins over the upgrade request's Authorization header (browsers cannot set headers). */
function authorizationOf(ctx: Context<Record<string, unknown> | undefined, Extra>): string | undefined {
  const param = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
  if (typeof param === 'string') return param;
  return ctx.extra.request.headers.authorization;
}

/** graphql-ws wraps an error thrown mid-stream in a path-less GraphQLError; the mapper needs the original. */
const format = (formatError: FormatError, errors: readonly GraphQLError[]): GraphQLFormattedError[] =>
  errors.map((error) => formatError(error.toJSON(), error.path ? error : (error.originalError ?? error)));

/** Distinct operation texts kept parsed; clients send the same few subscription documents. */
const MAX_CACHED_DOCUMENTS = 500;

/**
 * A live subscription keeps its parsed document for its whole life. Parsed once per distinct
 * text and without token locations, thousands of subscriptions share one small AST instead of
 * each holding its own token list.
 */
function cachedParse(): typeof parse {
  const cache = new Map<string, DocumentNode>();
  return ((source: string) => {
    const cached = cache.get(source);
    if (cached) return cached;
    const document = parse(source, { noLocation: true });
    if (cache.size >= MAX_CACHED_DOCUMENTS) cache.delete(cache.keys().next().value!);
    cache.set(source, document);
    return document;
  }) as typeof parse;
}

/**
 * graphql-ws (graphql-transport-ws protocol) on `/graphql`. Authentication happens once in
 * onConnect (refused: 4403; anything before connection_init: 4401, by graphql-ws); each operation
 * then gets its own context from the ContextFactory, like an HTTP request.
 */
export function serveGraphQLWs(wss: WebSocketServer, options: GraphQLWsOptions): { dispose(): void | Promise<void> } {
  const { contexts, formatError, metrics } = options;
  const fieldOf = (payload: { query: string }) => /\{\s*(\w+)/.exec(payload.query)?.[1] ?? 'unknown';
  return useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema: options.schema,
      isProd: options.isProd,
      parse: cachedParse(),
      onConnect: async (ctx) => {
        try {
          const context = await contexts.forAuthorization(authorizationOf(ctx));
          if (context.viewer.kind === 'anonymous') return false;
        } catch {
          return false;
        }
        metrics?.wsConnections.inc({ endpoint: 'graphql-ws' });
        return true;
      },
      onClose: (ctx) => {
        if (ctx.acknowledged) metrics?.wsConnections.dec({ endpoint: 'graphql-ws' });
      },
      context: (ctx) => contexts.forAuthorization(authorizationOf(ctx)),
      onOperation: (_ctx, _id, payload) => {
        metrics?.subscriptions.inc({ field: fieldOf(payload) });
      },
      onComplete: (_ctx, _id, payload) => {
        metrics?.subscriptions.dec({ field: fieldOf(payload) });
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors?.length) {
          metrics?.eventsDelivered.inc({ type: 'graphql-ws' });
          return;
        }
        return { ...result, errors: format(formatError, result.errors) };
      },
      onError: (_ctx, _id, _payload, errors) => format(formatError, errors),
    },
    wss,
  );
}
