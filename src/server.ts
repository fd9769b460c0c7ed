import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Request, type Response } from 'express';
import { GraphQLError } from 'graphql';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { claimDataDir } from './admin/admin.channel.js';
import { chatApiDownloadRoute } from './rest/chat-api/chat-api.download.js';
import { graphqlUploads } from './attachments/graphql-uploads.js';
import { createAttachmentStorage } from './attachments/storage.js';
import { TokenService } from './auth/tokens.js';
import type { Config } from './config.js';
import { bootstrap } from './db/bootstrap.js';
import { migrate, openOrm, type Orm } from './db/orm.js';
import { PubSubEventBus } from './events/event-bus.js';
import { ContextFactory, type AppDeps, type RequestContext } from './app/context.js';
import { createFormatError } from './graphql/errors.js';
import { queryLimits } from './graphql/limits.js';
import { graphqlJsonOnly, httpErrorHandler, refuseLargeGraphQLJson } from './http/body.js';
import { httpHardening } from './observability/http-hardening.js';
import { createRateLimiter } from './ratelimit/rate-limit.factory.js';
import { rateLimitHeadersPlugin } from './ratelimit/rate-limit.plugin.js';
import { buildParleySchema } from './graphql/schema.js';
import { graphqlAccessPlugin } from './observability/graphql-access.js';
import { graphqlMetricsPlugin } from './observability/graphql-metrics.js';
import { metricsEndpoint, recordHttpMetrics } from './observability/http-metrics.js';
import { createLogger } from './observability/logger.js';
import { InFlightRequests } from './observability/in-flight.js';
import { Metrics } from './observability/metrics.js';
import { observeDatabasePool } from './observability/pool-metrics.js';
import { readiness } from './observability/readiness.js';
import { traceRequests } from './observability/trace.js';
import { startPruning } from './realtime/retention.js';
import { OriginPolicy } from './ws/origin-policy.js';
import { attachWebSockets } from './ws/websockets.js';
import { DomainError } from './shared/errors.js';
import { chatApiRateLimit, mountRestDialects } from './rest/mount.js';

export interface ParleyServer {
  readonly url: string;
  readonly port: number;
  readonly orm: Orm;
  readonly deps: AppDeps;
  readonly contexts: ContextFactory;
  readonly defaultTenantId: string;
  readonly logger: Logger;
  /** Prometheus metrics of this server (served at GET /metrics); transports record into it. */
  readonly metrics: Metrics;
  /** Stops accepting, closes WebSockets with 1001, lets in-flight requests finish, then closes pub/sub and the database. */
  close(): Promise<void>;
}

/** How long start-up waits for Redis before starting degraded (streams then catch up from the outbox). */
const REDIS_START_WAIT_MS = 3_000;

/** Bodies larger than this are refused before parsing (GraphQL documents and variables are small). */
const JSON_BODY_LIMIT_BYTES = 1024 * 1024;

/** Builds and starts the whole server. Nothing starts on import: main.ts and the tests call this. */
export async function startServer(config: Config, options: { logger?: Logger } = {}): Promise<ParleyServer> {
  const logger = options.logger ?? createLogger(config.logLevel, undefined, config.logFormat);
  // The embedded database on disk is this process's alone until close (refused if another holds it).
  const ownership = claimDataDir(config);
  // ORM chatter (migrator progress, discovery) goes to the structured log at debug level.
  const orm = await openOrm(config.database, { logger: (message: string) => logger.debug({ orm: message }, 'orm') }).catch((error: unknown) => {
    ownership?.release();
    throw error;
  });
  /** Released on close (or on a failed start), after the HTTP server has drained. */
  const closers: (() => Promise<void>)[] = [];
  let events: PubSubEventBus | null = null;
  try {
    await migrate(orm, config.database);
    const defaultTenant = await bootstrap(orm, config.adminPassword, logger);
    const metrics = new Metrics();
    events = new PubSubEventBus({
      redisUrl: config.redisUrl,
      prefix: config.redisPrefix,
      onPublish: (type) => metrics.eventsPublished.inc({ type }),
      onPublishError: (error) => logger.warn({ err: error }, 'publishing to Redis failed; subscribers read the event from the outbox'),
      onStatusChange: (status) =>
        status === 'down'
          ? logger.warn('Redis pub/sub connection lost; streams catch up from the outbox when it is back')
          : logger.info('Redis pub/sub connected; streams catch up from the outbox'),
    });
    // Start without Redis if it is away (degraded, like an outage later on), but give it a moment.
    await events.ready(REDIS_START_WAIT_MS);
    const rateLimits = createRateLimiter(config, {
      onRefused: (surface) => metrics.rateLimitRejections.inc({ surface }),
      onDegraded: (degraded) =>
        degraded
          ? logger.warn('Redis unreachable: rate limits are counted per node until it is back')
          : logger.info('Redis reachable again: rate limits are shared by every node'),
    });
    closers.push(rateLimits.close);
    const deps: AppDeps = {
      config,
      tokens: new TokenService(config),
      events,
      rateLimiter: rateLimits.limiter,
      storage: await createAttachmentStorage(config.uploads.dir),
      logger,
    };
    const contexts = new ContextFactory(orm, deps, defaultTenant.id);
    const schema = await buildParleySchema();
    await observeDatabasePool(metrics, orm, config.database);

    const app = express();
    app.disable('x-powered-by');
    // Only the configured number of proxy hops may name the client (rate limits key anonymous callers by it).
    app.set('trust proxy', config.trustProxyHops === 0 ? false : config.trustProxyHops);
    const httpServer: Server = createServer(
      {
        headersTimeout: config.http.headersTimeoutMs,
        requestTimeout: config.http.requestTimeoutMs,
        // Node checks the two timeouts on this interval (30 s by default, which would double them).
        connectionsCheckingInterval: Math.min(5000, Math.ceil(config.http.headersTimeoutMs / 4)),
      },
      app,
    );
    const limits = queryLimits(config);
    const formatError = createFormatError(logger, config.env === 'development');
    const apollo = new ApolloServer<RequestContext>({
      schema,
      formatError,
      includeStacktraceInErrorResponses: false,
      introspection: config.env !== 'production',
      hideSchemaDetailsFromClientErrors: config.env === 'production',
      allowBatchedHttpRequests: false,
      parseOptions: { maxTokens: limits.maxTokens },
      validationRules: limits.validationRules,
      plugins: [
        ApolloServerPluginDrainHttpServer({ httpServer }),
        // No cache hints are used (POSTed, per-viewer data); the default plugin would still wrap every field resolver.
        ApolloServerPluginCacheControlDisabled(),
        graphqlMetricsPlugin<RequestContext>(metrics),
        graphqlAccessPlugin<RequestContext>(),
        rateLimitHeadersPlugin(),
        ...limits.plugins,
      ],
    });
    await apollo.start();
    const websockets = attachWebSockets(httpServer, {
      schema,
      contexts,
      formatError,
      logger,
      metrics,
      isProd: config.env === 'production',
      limits,
      rateLimiter: deps.rateLimiter,
      tokens: deps.tokens,
      websocket: config.websocket,
      origins: new OriginPolicy(orm, config.corsOrigins),
    });
    const pruning = startPruning(orm, config.eventRetentionDays, logger);

    const inFlight = new InFlightRequests();
    app.use(inFlight.middleware);
    app.use(recordHttpMetrics(metrics));
    app.use(traceRequests(logger));
    app.use(httpHardening(config));
    app.get('/metrics', metricsEndpoint(metrics, config.metricsToken));
    if (ownership) app.use(ownership.routes({ orm, tokens: deps.tokens }, logger));
    app.get('/healthz', (_req, res) => {
      res.json({ status: 'ok' });
    });
    app.get('/readyz', readiness(orm, events, rateLimits));
    // Mounted ahead of the dialects (whose limiter it would miss), so counted here like every chat API route.
    app.use(chatApiDownloadRoute(contexts, logger, chatApiRateLimit(deps)));
    // GraphQL multipart requests are parsed before Apollo runs them like any operation.
    app.use('/graphql', graphqlUploads(config.uploads));
    app.use(
      '/graphql',
      graphqlJsonOnly(),
      refuseLargeGraphQLJson(JSON_BODY_LIMIT_BYTES),
      express.json({ limit: JSON_BODY_LIMIT_BYTES }),
      expressMiddleware(apollo, {
        context: async ({ req }) => {
          try {
            return await contexts.forAuthorization(req.headers.authorization, req.ip);
          } catch (error) {
            if (error instanceof DomainError) {
              throw new GraphQLError(error.message, { extensions: { code: error.code, reason: error.reason, http: { status: 401 } } });
            }
            throw error;
          }
        },
      }),
    );
    mountRestDialects(app, { apollo, contexts, deps, logger });
    app.use((_req: Request, res: Response) => {
      res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such route' } });
    });
    app.use(httpErrorHandler(logger));

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => resolve());
    });
    const { port } = httpServer.address() as AddressInfo;
    ownership?.publish(port);
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const url = `http://${host}:${port}`;
    logger.info({ url, database: config.database.kind, redis: config.redisUrl !== null }, 'parley listening');

    let closing: Promise<void> | null = null;
    return {
      url,
      port,
      orm,
      deps,
      contexts,
      defaultTenantId: defaultTenant.id,
      logger,
      metrics,
      close: () =>
        (closing ??= (async () => {
          // Stop accepting, close WebSockets (1001: clients resume elsewhere), answer every
          // request already accepted, and only then close pub/sub and the database.
          httpServer.close();
          await websockets.close();
          await inFlight.idle();
          await apollo.stop();
          await pruning.stop();
          await events?.close();
          for (const close of closers) await close();
          await orm.close();
          ownership?.release();
        })()),
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => undefined);
    await events?.close();
    await orm.close();
    ownership?.release();
    throw error;
  }
}
