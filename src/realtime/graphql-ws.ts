import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import type { Context } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { TokenService } from '../auth/tokens.js';
import type { ContextFactory } from '../graphql/context.js';
import type { QueryLimits } from '../graphql/limits.js';
import { identityFromAuthorization, rateLimited, type RateLimiter } from '../ratelimit/rate-limiter.js';
import { DomainError } from '../shared/errors.js';
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
  /** The document limits HTTP applies (depth, aliases, tokens, directives, cost). */
  limits: QueryLimits;
  rateLimiter: RateLimiter;
  tokens: TokenService;
  /** Most subscriptions one connection may hold at once. */
  maxSubscriptions: number;
  /** A socket that sends no connection_init within this time is closed (4408). */
  initTimeoutMs: number;
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

/**
 * Subscription creation is counted under one name for all fields (aliases in the query text
 * must not open fresh buckets); the legacy chat socket counts under the same name.
 */
export const SUBSCRIBE_OPERATION = 'subscribe';

/** A refusal in the one error model, in the form graphql-ws accepts from onSubscribe. */
const refusal = (error: DomainError) => new GraphQLError(error.message, { originalError: error });

/** A document refused while parsing or validating: the same code HTTP gives it. */
const invalidDocument = (error: GraphQLError) =>
  new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });

/** Distinct operation texts kept parsed; clients send the same few subscription documents. */
const MAX_CACHED_DOCUMENTS = 500;

/**
 * A live subscription keeps its parsed document for its whole life. Parsed once per distinct
 * text and without token locations, thousands of subscriptions share one small AST instead of
 * each holding its own token list.
 */
function cachedParse(maxTokens: number): (source: string) => DocumentNode {
  const cache = new Map<string, DocumentNode>();
  return (source: string) => {
    const cached = cache.get(source);
    if (cached) return cached;
    const document = parse(source, { noLocation: true, maxTokens });
    if (cache.size >= MAX_CACHED_DOCUMENTS) cache.delete(cache.keys().next().value!);
    cache.set(source, document);
    return document;
  };
}

/**
 * Parses and validates a subscribe message with the HTTP limits (and, in production, without
 * introspection). Validation of a cached document is remembered with it.
 */
function documentChecker(schema: GraphQLSchema, limits: QueryLimits, isProd: boolean) {
  const parseCached = cachedParse(limits.maxTokens);
  const rules: ValidationRule[] = [...specifiedRules, ...limits.validationRules, ...(isProd ? [NoSchemaIntrospectionCustomRule] : [])];
  const checked = new WeakMap<DocumentNode, readonly GraphQLError[]>();
  return (source: unknown): { document: DocumentNode } | { errors: GraphQLError[] } => {
    if (typeof source !== 'string') return { errors: [invalidDocument(new GraphQLError('The query must be a string'))] };
    let document: DocumentNode;
    try {
      document = parseCached(source);
    } catch (error) {
      return { errors: [invalidDocument(error instanceof GraphQLError ? error : new GraphQLError('Could not parse the document'))] };
    }
    let errors = checked.get(document);
    if (!errors) {
      errors = validate(schema, document, rules);
      checked.set(document, errors);
    }
    return errors.length ? { errors: errors.map(invalidDocument) } : { document };
  };
}

/**
 * graphql-ws (graphql-transport-ws protocol) on `/graphql`. Authentication happens once in
 * onConnect (refused: 4403; anything before connection_init: 4401, by graphql-ws); each operation
 * then gets its own context from the ContextFactory, like an HTTP request.
 */
export function serveGraphQLWs(wss: WebSocketServer, options: GraphQLWsOptions): { dispose(): void | Promise<void> } {
  const { contexts, formatError, metrics, rateLimiter, tokens, maxSubscriptions } = options;
  const fieldOf = (payload: { query: string }) => /\{\s*(\w+)/.exec(payload.query)?.[1] ?? 'unknown';
  const checkDocument = documentChecker(options.schema, options.limits, options.isProd);
  return useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema: options.schema,
      isProd: options.isProd,
      connectionInitWaitTimeout: options.initTimeoutMs,
      // Every subscribe message: the per-connection cap, the rate limit on creating
      // subscriptions, then the same document limits as HTTP — all before anything executes.
      onSubscribe: async (ctx, _id, payload) => {
        // graphql-ws registers the operation before this hook, so the count includes it.
        if (Object.keys(ctx.subscriptions).length > maxSubscriptions) {
          return [refusal(new DomainError('BAD_USER_INPUT', 'TOO_MANY_SUBSCRIPTIONS', `At most ${maxSubscriptions} subscriptions per connection`))];
        }
        const identity = await identityFromAuthorization(authorizationOf(ctx), ctx.extra.request.socket.remoteAddress ?? 'unknown', tokens);
        const decision = await rateLimiter.check(identity, SUBSCRIBE_OPERATION, 'subscription');
        if (!decision.allowed) return [refusal(rateLimited(decision))];
        const checked = checkDocument(payload.query);
        if ('errors' in checked) return checked.errors;
        return { schema: options.schema, document: checked.document, operationName: payload.operationName, variableValues: payload.variables };
      },
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
