import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GraphQLError } from 'graphql';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { attachmentRoutes } from './attachments/attachment.routes.js';
import { createAttachmentStorage } from './attachments/storage.js';
import { TokenService } from './auth/tokens.js';
import type { Config } from './config.js';
import { bootstrap } from './db/bootstrap.js';
import { migrate, openOrm, type Orm } from './db/orm.js';
import { PubSubEventBus } from './events/event-bus.js';
import { ContextFactory, type AppDeps, type GraphQLContext } from './graphql/context.js';
import { createFormatError } from './graphql/errors.js';
import { refuseLargeGraphQLJson } from './graphql/http-body.js';
import { queryLimits } from './graphql/limits.js';
import { httpHardening } from './observability/http-hardening.js';
import { createRateLimiter } from './ratelimit/rate-limit.factory.js';
import { rateLimitHeadersPlugin } from './ratelimit/rate-limit.plugin.js';
import { buildParleySchema } from './graphql/schema.js';
import { graphqlMetricsPlugin } from './observability/graphql-metrics.js';
import { metricsEndpoint, recordHttpMetrics } from './observability/http-metrics.js';
import { createLogger } from './observability/logger.js';
import { InFlightRequests } from './observability/in-flight.js';
import { Metrics } from './observability/metrics.js';
import { observeDatabasePool } from './observability/pool-metrics.js';
import { traceRequests } from './observability/trace.js';
import { startPruning } from './realtime/retention.js';
import { OriginPolicy } from './realtime/origin-policy.js';
import { attachWebSockets } from './realtime/websockets.js';
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

/** Bodies larger than this are refused before parsing (GraphQL documents and variables are small). */
const JSON_BODY_LIMIT_BYTES = 1024 * 1024;

/** Builds and starts the whole server. Nothing starts on import: main.ts and the tests call this. */
export async function startServer(config: Config, options: { logger?: Logger } = {}): Promise<ParleyServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  // ORM chatter (migrator progress, discovery) goes to the structured log at debug level.
  const orm = await openOrm(config.database, { logger: (message: string) => logger.debug({ orm: message }, 'orm') });
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
      onPublishError: (error) => logger.error({ err: error }, 'publishing to Redis failed'),
    });
    const rateLimits = createRateLimiter(config, (surface) => metrics.rateLimitRejections.inc({ surface }));
    closers.push(rateLimits.close);
    const deps: AppDeps = {
      config,
      tokens: new TokenService(config),
      events,
      rateLimiter: rateLimits.limiter,
      storage: await createAttachmentStorage(config.uploads.dir),
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
    const apollo = new ApolloServer<GraphQLContext>({
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
        graphqlMetricsPlugin<GraphQLContext>(metrics),
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
    app.get('/metrics', metricsEndpoint(metrics));
    app.get('/healthz', (_req, res) => {
      res.json({ status: 'ok' });
    });
    app.get('/readyz', async (_req, res) => {
      try {
        await orm.em.fork().getConnection().execute('select 1');
        res.json({ status: 'ready' });
      } catch {
        res.status(503).json({ status: 'unavailable' });
      }
    });
    app.use(attachmentRoutes(contexts, config.uploads, logger, chatApiRateLimit(deps)));
    app.use(
      '/graphql',
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
    // Body-parser and other middleware errors: always JSON, never an HTML page or a stack.
    app.use((error: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
      const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
      if (status === 500) logger.error({ err: error }, 'unhandled HTTP error');
      res.status(status).json({
        errors: [{ message: status === 500 ? 'Internal server error' : error.message, extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST', reason: error.type ?? 'BAD_REQUEST' } }],
      });
    });

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => resolve());
    });
    const { port } = httpServer.address() as AddressInfo;
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
        })()),
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => undefined);
    await events?.close();
    await orm.close();
    throw error;
  }
}
