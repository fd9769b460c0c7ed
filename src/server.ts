import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GraphQLError } from 'graphql';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { TokenService } from './auth/tokens.js';
import type { Config } from './config.js';
import { bootstrap } from './db/bootstrap.js';
import { migrate, openOrm, type Orm } from './db/orm.js';
import { LocalEventBus } from './events/event-bus.js';
import { ContextFactory, type AppDeps, type GraphQLContext } from './graphql/context.js';
import { createFormatError } from './graphql/errors.js';
import { buildParleySchema } from './graphql/schema.js';
import { graphqlMetricsPlugin } from './observability/graphql-metrics.js';
import { metricsEndpoint, recordHttpMetrics } from './observability/http-metrics.js';
import { createLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { observeDatabasePool } from './observability/pool-metrics.js';
import { traceRequests } from './observability/trace.js';
import { DomainError } from './shared/errors.js';

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
  /** Stops accepting, lets in-flight requests finish, then closes the database. */
  close(): Promise<void>;
}

/** Bodies larger than this are refused before parsing (GraphQL documents and variables are small). */
const JSON_BODY_LIMIT = '1mb';

/** Builds and starts the whole server. Nothing starts on import: main.ts and the tests call this. */
export async function startServer(config: Config, options: { logger?: Logger } = {}): Promise<ParleyServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  // ORM chatter (migrator progress, discovery) goes to the structured log at debug level.
  const orm = await openOrm(config.database, { logger: (message: string) => logger.debug({ orm: message }, 'orm') });
  try {
    await migrate(orm, config.database);
    const defaultTenant = await bootstrap(orm, config.adminPassword, logger);
    const deps: AppDeps = { config, tokens: new TokenService(config), events: new LocalEventBus() };
    const contexts = new ContextFactory(orm, deps, defaultTenant.id);
    const schema = await buildParleySchema();
    const metrics = new Metrics();
    await observeDatabasePool(metrics, orm, config.database);

    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', false);
    const httpServer: Server = createServer(app);
    const apollo = new ApolloServer<GraphQLContext>({
      schema,
      formatError: createFormatError(logger, config.env === 'development'),
      includeStacktraceInErrorResponses: false,
      introspection: config.env !== 'production',
      plugins: [
        ApolloServerPluginDrainHttpServer({ httpServer }),
        // No cache hints are used (POSTed, per-viewer data); the default plugin would still wrap every field resolver.
        ApolloServerPluginCacheControlDisabled(),
        graphqlMetricsPlugin<GraphQLContext>(metrics),
      ],
    });
    await apollo.start();

    app.use(recordHttpMetrics(metrics));
    app.use(traceRequests(logger));
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
    app.use(
      '/graphql',
      express.json({ limit: JSON_BODY_LIMIT }),
      expressMiddleware(apollo, {
        context: async ({ req }) => {
          try {
            return await contexts.forAuthorization(req.headers.authorization);
          } catch (error) {
            if (error instanceof DomainError) {
              throw new GraphQLError(error.message, { extensions: { code: error.code, reason: error.reason, http: { status: 401 } } });
            }
            throw error;
          }
        },
      }),
    );
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
          await apollo.stop();
          await orm.close();
        })()),
    };
  } catch (error) {
    await orm.close();
    throw error;
  }
}
