import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApolloServer } from '@apollo/server';
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { claimDataDir } from './admin/admin.channel.js';
import { bootstrap } from './app/bootstrap.js';
import { type AppDeps, ContextFactory, type RequestContext } from './app/context.js';
import { createInfrastructure, type Infrastructure } from './app/infrastructure.js';
import { registeredReactions } from './app/reactions.js';
import type { Config } from './config/config.js';
import { migrate, type Orm, openOrm } from './db/orm.js';
import { sealStoredSecretsAtStart } from './db/stored-secrets.js';
import { graphqlEndpoint, startApollo } from './graphql/endpoint.js';
import { createFormatError } from './graphql/errors.js';
import { httpErrorHandler } from './graphql/http-guards.js';
import { graphiqlRouter } from './graphql/ide.js';
import { queryLimits } from './graphql/limits.js';
import { buildParleySchema } from './graphql/schema.js';
import { graphqlUploads } from './graphql/uploads.js';
import { demoRouter } from './http/demo.js';
import { exportDownloadRoute } from './http/export-download.js';
import { faviconRouter } from './http/favicon.js';
import { testClockRoute } from './http/test-clock.js';
import { httpHardening } from './observability/http-hardening.js';
import { metricsEndpoint, recordHttpMetrics } from './observability/http-metrics.js';
import { InFlightRequests } from './observability/in-flight.js';
import { createLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { observeDatabasePool } from './observability/pool-metrics.js';
import { readiness } from './observability/readiness.js';
import { traceRequests } from './observability/trace.js';
import { ReactionRunner } from './reactions/reaction-runner.js';
import { startPruning } from './realtime/retention.js';
import { chatApiDownloadRoute } from './rest/chat-api/chat-api.download.js';
import { chatApiRateLimit, mountRestDialects } from './rest/mount.js';
import { DEFAULT_TENANT_SLUG, findTenantBySlug } from './tenants/tenant.service.js';
import { DeliveryWorker } from './webhooks/delivery-worker.js';
import { OriginPolicy } from './ws/origin-policy.js';
import { attachWebSockets } from './ws/websockets.js';

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

export interface HttpAppParts {
  config: Config;
  logger: Logger;
  orm: Orm;
  metrics: Metrics;
  infrastructure: Infrastructure;
  contexts: ContextFactory;
  apollo: ApolloServer<RequestContext>;
  inFlight: InFlightRequests;
  ownership: ReturnType<typeof claimDataDir>;
}

/**
 * Every HTTP route, in order: request bookkeeping (in-flight, metrics, trace, hardening), probes
 * and metrics, the admin channel, the chat API download, report exports, GraphQL (multipart, then JSON), the
 * REST dialects, and JSON answers for anything else.
 */
export function buildHttpApp(app: express.Express, parts: HttpAppParts): void {
  const { config, logger, orm, metrics, infrastructure, contexts, apollo, inFlight, ownership } = parts;
  const { deps } = infrastructure;
  app.use(inFlight.middleware);
  app.use(recordHttpMetrics(metrics));
  app.use(traceRequests(logger));
  app.use(httpHardening(config));
  app.get('/metrics', metricsEndpoint(metrics, config.metricsToken));
  if (ownership) app.use(ownership.routes({ orm, tokens: deps.tokens, secrets: deps.secrets, revoked: (tenantId, userId) => deps.viewers.revoked({ tenantId, userId }) }, logger));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', readiness(orm, infrastructure.events, infrastructure.rateLimits));
  app.use(faviconRouter());
  // Mounted ahead of the dialects (whose limiter it would miss), so counted here like every chat API route.
  app.use(chatApiDownloadRoute(contexts, logger, chatApiRateLimit(deps)));
  // Report exports' signed links (exportReport); counted per admin by the route itself.
  app.use(exportDownloadRoute(contexts, deps.rateLimiter, logger));
  if (config.testClock) app.use(testClockRoute(contexts));
  // GraphQL multipart requests are parsed before Apollo runs them like any operation.
  if (config.graphiql) app.use(graphiqlRouter());
  if (config.demo) app.use(demoRouter({ defaultWidgetKey: async () => (await findTenantBySlug(orm.em.fork(), DEFAULT_TENANT_SLUG))?.widgetKey ?? null }));
  app.use('/graphql', graphqlUploads(config.uploads));
  app.use('/graphql', ...graphqlEndpoint(apollo, contexts));
  mountRestDialects(app, { apollo, contexts, deps, logger });
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such route' } });
  });
  app.use(httpErrorHandler(logger));
}

/**
 * Starts the whole server and owns its lifecycle: open and migrate the database, build the
 * infrastructure, the HTTP app and the WebSocket endpoints, listen; `close` takes it all down
 * in the reverse order. Nothing starts on import: main.ts and the tests call this.
 */
export async function startServer(config: Config, options: { logger?: Logger } = {}): Promise<ParleyServer> {
  const logger = options.logger ?? createLogger(config.logLevel, undefined, config.logFormat);
  // The embedded database on disk is this process's alone until close (refused if another holds it).
  const ownership = claimDataDir(config);
  // ORM chatter (migrator progress, discovery) goes to the structured log at debug level.
  const orm = await openOrm(config.database, { logger: (message: string) => logger.debug({ orm: message }, 'orm') }).catch((error: unknown) => {
    ownership?.release();
    throw error;
  });
  let infrastructure: Infrastructure | null = null;
  try {
    await migrate(orm, config.database);
    const defaultTenant = await bootstrap(orm, config.adminPassword, logger);
    const metrics = new Metrics();
    infrastructure = await createInfrastructure(config, logger, metrics, orm);
    const { deps } = infrastructure;
    // Secrets stored in the clear (before sealing existed) are sealed before anything reads them.
    await sealStoredSecretsAtStart(orm.em.fork(), deps.secrets, logger);
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
    const apollo = await startApollo({ schema, httpServer, config, limits, formatError, metrics });
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
    // Webhook deliveries: any node delivers; this node's own commits wake it at once.
    const webhooks = new DeliveryWorker(orm, config.webhooks, config.eventRetentionDays, logger, deps.secrets);
    infrastructure.onPublished(() => webhooks.wake());
    // Reactions (app/reactions.ts): any node runs them; this node's own commits wake it at once.
    const reactions = new ReactionRunner(orm, registeredReactions(deps, orm), config.reactions, logger, metrics.reactions);
    await reactions.prepare();
    infrastructure.onPublished(() => reactions.wake());
    const inFlight = new InFlightRequests();
    buildHttpApp(app, { config, logger, orm, metrics, infrastructure, contexts, apollo, inFlight, ownership });

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => resolve());
    });
    const { port } = httpServer.address() as AddressInfo;
    ownership?.publish(port);
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const url = `http://${host}:${port}`;
    logger.info({ url, database: config.database.kind, redis: config.redisUrl !== null }, 'parley listening');
    // Started once listening, so a failed start leaves no background work behind.
    webhooks.start();
    reactions.start();

    const running = infrastructure;
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
          await webhooks.stop();
          await reactions.stop();
          await running.close();
          await orm.close();
          ownership?.release();
        })()),
    };
  } catch (error) {
    await infrastructure?.close().catch(() => undefined);
    await orm.close();
    ownership?.release();
    throw error;
  }
}
