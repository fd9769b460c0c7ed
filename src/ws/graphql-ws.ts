import type { IncomingMessage } from 'node:http';
import {
  type DocumentNode,
  type FieldNode,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  getOperationAST,
  Kind,
  NoSchemaIntrospectionCustomRule,
  type OperationDefinitionNode,
  parse,
  specifiedRules,
  type ValidationRule,
  validate,
} from 'graphql';
import type { Context, SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';
import type { ContextFactory, RequestContext } from '../app/context.js';
import type { TokenService } from '../auth/tokens.js';
import { graphqlErrorOf } from '../graphql/errors.js';
import type { QueryLimits } from '../graphql/limits.js';
import type { Metrics } from '../observability/metrics.js';
import { identityFromAuthorization, type RateLimiter, rateLimited, SUBSCRIBE_OPERATION } from '../ratelimit/rate-limiter.js';
import { DomainError, unavailable } from '../shared/errors.js';
import { clientAddress } from '../shared/request-origin.js';
import type { Viewer } from '../shared/viewer.js';
import { sharedSubscriptions } from './shared-execution.js';

type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
type Extra = { socket: WebSocket; request: IncomingMessage };

export interface GraphQLWsOptions {
  schema: GraphQLSchema;
  /** Connects, closes and refusals are logged at info (with the reason; never a token). */
  logger: Logger;
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

/** A refusal in the one error model, in the form graphql-ws accepts from onSubscribe. */
const refusal = (error: DomainError) => graphqlErrorOf(error);

/** A document refused while parsing or validating: the same code HTTP gives it. */
const invalidDocument = (error: GraphQLError, message = error.message) => graphqlErrorOf(new DomainError('GRAPHQL_VALIDATION_FAILED', message), { nodes: error.nodes });

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
 * introspection or schema hints in its errors). Validation of a cached document is remembered with it.
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
    return errors.length ? { errors: errors.map((error) => invalidDocument(error, limits.clientValidationMessage(error.message))) } : { document };
  };
}

/** Close codes of our own (PROTOCOL.md): auth refusals say why; infrastructure trouble is retryable. */
export const CLOSE_AUTH_REFUSED = 4403;
/** 1013 Try Again Later: the connection could not be checked (database away); clients retry. */
export const CLOSE_TRY_AGAIN_LATER = 1013;

/** The subscription fields a metrics label may name (never a client's alias or a made-up name). */
const subscriptionFieldsOf = (schema: GraphQLSchema): ReadonlySet<string> => new Set(Object.keys(schema.getSubscriptionType()?.getFields() ?? {}));

/** The root field (its schema name, not an alias) of a checked subscription document, for the metrics label. */
function rootFieldOf(document: DocumentNode, operationName: string | null | undefined, known: ReadonlySet<string>): string {
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION && (!operationName || definition.name?.value === operationName),
  );
  const field = operation?.selectionSet.selections.find((selection): selection is FieldNode => selection.kind === Kind.FIELD);
  return field && known.has(field.name.value) ? field.name.value : 'other';
}

/**
 * The token of one operation: `extensions.authorization` of its subscribe message when given
 * (a client multiplexing several identities over one socket), else the connection's.
 */
function operationAuthorization(ctx: Context<Record<string, unknown> | undefined, Extra>, payload: SubscribePayload): string | undefined {
  const own = payload.extensions?.authorization;
  return typeof own === 'string' ? own : authorizationOf(ctx);
}

const viewerKey = (viewer: Viewer): string => JSON.stringify(viewer);
const sameViewer = (a: Viewer, b: Viewer): boolean => viewerKey(a) === viewerKey(b);

/**
 * The viewer class of shared subscription execution: the viewer itself (tenant, kind, user or
 * guest, role, names). Field rules may depend on exactly who asks (personal data, a staff
 * member's own sessions), so only subscriptions of the same viewer share a result; a thousand
 * tabs of one agent, or every subscription over one token, do.
 */
const viewerClassOf = (contextValue: unknown): string => viewerKey((contextValue as RequestContext).viewer);

/** Anything that is not a refusal in the one error model is a dependency out of reach: retryable. */
const asRefusal = (error: unknown): DomainError => (error instanceof DomainError ? error : unavailable());

/**
 * graphql-ws (graphql-transport-ws protocol) on `/graphql`. Authentication happens in onConnect
 * (refused: 4403 with the reason; the database out of reach: 1013, retryable) and gives the
 * socket its one context (`contextOf`). Every operation's credentials are verified again in
 * onSubscribe; whatever refuses an operation (a
 * revoked token, a limit, an outage) ends that operation with an error, never the socket.
 */
export function serveGraphQLWs(wss: WebSocketServer, options: GraphQLWsOptions): { dispose(): void | Promise<void> } {
  const { contexts, formatError, logger, metrics, rateLimiter, tokens, maxSubscriptions } = options;
  const checkDocument = documentChecker(options.schema, options.limits, options.isProd);
  const subscriptionFields = subscriptionFieldsOf(options.schema);
  /** The metrics label of each live operation, by socket and operation id, so onComplete decrements the same series. */
  const labels = new WeakMap<object, Map<string, string>>();
  /** Each acknowledged socket's presence registration (assignment/presence.ts), released when it closes. */
  const presence = new WeakMap<object, () => Promise<void>>();
  const releasePresence = (ctx: object) => {
    const release = presence.get(ctx);
    presence.delete(ctx);
    release?.().catch((error: unknown) => logger.warn({ err: error }, 'presence release failed'));
  };
  /** Each acknowledged socket's context (one per connection, holding no fork), for the subscriptions made with its credentials. */
  const connections = new WeakMap<object, RequestContext>();
  /**
   * An operation's context, its credentials verified again (a token revoked since the connect
   * refuses it). Subscriptions made with the connection's credentials share the connection's
   * context; a subscription with a token of its own gets a fork-free one of its own; queries and
   * mutations get a request context, as over HTTP.
   */
  const contextOf = async (
    ctx: Context<Record<string, unknown> | undefined, Extra>,
    authorization: string | undefined,
    document: DocumentNode,
    operationName: string | null | undefined,
  ): Promise<RequestContext> => {
    const peer = clientAddress(ctx.extra.request.socket.remoteAddress, ctx.extra.request.headers['user-agent']);
    if (getOperationAST(document, operationName)?.operation !== 'subscription') return contexts.forAuthorization(authorization, peer);
    const connection = connections.get(ctx);
    if (!connection || authorization !== authorizationOf(ctx)) return contexts.forConnection(authorization, peer);
    const verified = await connection.renew();
    if (sameViewer(verified.viewer, connection.viewer)) return connection;
    // The caller changed since the connect (a role, a name): later subscriptions see them as they are now.
    const renewed = await contexts.forConnection(authorization, peer);
    connections.set(ctx, renewed);
    return renewed;
  };
  const labelsOf = (ctx: object) => {
    const map = labels.get(ctx) ?? new Map<string, string>();
    labels.set(ctx, map);
    return map;
  };
  return useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema: options.schema,
      isProd: options.isProd,
      subscribe: sharedSubscriptions(viewerClassOf),
      connectionInitWaitTimeout: options.initTimeoutMs,
      // Every subscribe message: the per-connection cap, the rate limit on creating
      // subscriptions, the same document limits as HTTP, then the operation's own context —
      // all before anything executes. Nothing here may throw: graphql-ws would close the socket.
      onSubscribe: async (ctx, id, payload) => {
        try {
          // graphql-ws registers the operation before this hook, so the count includes it.
          if (Object.keys(ctx.subscriptions).length > maxSubscriptions) {
            return [refusal(new DomainError('TOO_MANY_SUBSCRIPTIONS', `At most ${maxSubscriptions} subscriptions per connection`))];
          }
          const authorization = operationAuthorization(ctx, payload);
          const identity = await identityFromAuthorization(authorization, ctx.extra.request.socket.remoteAddress ?? 'unknown', tokens);
          const decision = await rateLimiter.check(identity, SUBSCRIBE_OPERATION, 'subscription');
          if (!decision.allowed) return [refusal(rateLimited(decision))];
          const checked = checkDocument(payload.query);
          if ('errors' in checked) return checked.errors;
          const contextValue = await contextOf(ctx, authorization, checked.document, payload.operationName);
          labelsOf(ctx).set(id, rootFieldOf(checked.document, payload.operationName, subscriptionFields));
          return { schema: options.schema, document: checked.document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
        } catch (error) {
          return [refusal(asRefusal(error))];
        }
      },
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra;
        const peer = request.socket.remoteAddress;
        const refuse = (code: number, reason: string, error?: unknown) => {
          logger.info({ endpoint: 'graphql-ws', peer, code, reason, ...(error ? { err: error } : {}) }, 'websocket refused');
          socket.close(code, reason);
          return false;
        };
        let viewer: Viewer;
        let context: RequestContext;
        try {
          context = await contexts.forConnection(authorizationOf(ctx), clientAddress(peer, request.headers['user-agent']));
          viewer = context.viewer;
        } catch (error) {
          return error instanceof DomainError ? refuse(CLOSE_AUTH_REFUSED, error.reason) : refuse(CLOSE_TRY_AGAIN_LATER, 'SERVICE_UNAVAILABLE', error);
        }
        if (viewer.kind === 'anonymous') return refuse(CLOSE_AUTH_REFUSED, 'AUTHENTICATION_REQUIRED');
        connections.set(ctx, context);
        // A signed-in user is online while this socket is open (on any node).
        try {
          presence.set(ctx, await context.assignment.connected());
        } catch (error) {
          logger.warn({ err: error }, 'presence registration failed');
        }
        // Closed while registering: onClose may already have run.
        if (socket.readyState !== socket.OPEN) releasePresence(ctx);
        logger.info({ endpoint: 'graphql-ws', peer, viewer: viewer.kind, tenantId: viewer.tenantId }, 'websocket connected');
        metrics?.wsConnections.inc({ endpoint: 'graphql-ws' });
        return true;
      },
      onClose: (ctx, code, reason) => {
        releasePresence(ctx);
        if (!ctx.acknowledged) return;
        logger.info({ endpoint: 'graphql-ws', peer: ctx.extra.request.socket.remoteAddress, code, reason }, 'websocket closed');
        metrics?.wsConnections.dec({ endpoint: 'graphql-ws' });
      },
      onOperation: (ctx, id) => {
        const field = labelsOf(ctx).get(id);
        if (field) metrics?.subscriptions.inc({ field });
      },
      onComplete: (ctx, id) => {
        const map = labelsOf(ctx);
        const field = map.get(id);
        map.delete(id);
        if (field) metrics?.subscriptions.dec({ field });
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
