import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type RequestHandler } from 'express';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { ContextFactory, RequestContext } from '../app/context.js';
import type { Config } from '../config/config.js';
import { graphqlAccessPlugin } from '../observability/graphql-access.js';
import { graphqlMetricsPlugin } from '../observability/graphql-metrics.js';
import type { Metrics } from '../observability/metrics.js';
import { DomainError } from '../shared/errors.js';
import { pageOriginOf } from '../shared/origin.js';
import { clientAddress } from '../shared/request-origin.js';
import { graphqlErrorOf } from './errors.js';
import { graphqlJsonOnly, refuseLargeGraphQLJson } from './http-guards.js';
import type { QueryLimits } from './limits.js';
import { rateLimitHeadersPlugin } from './rate-limit.plugin.js';

/** Bodies larger than this are refused before parsing (GraphQL documents and variables are small). */
const JSON_BODY_LIMIT_BYTES = 1024 * 1024;

type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/** Apollo Server with Parley's limits and plugins (metrics, access lines, RateLimit headers); started. */
export async function startApollo(options: {
  schema: GraphQLSchema;
  httpServer: Server;
  config: Config;
  limits: QueryLimits;
  formatError: FormatError;
  metrics: Metrics;
}): Promise<ApolloServer<RequestContext>> {
  const { schema, httpServer, config, limits, formatError, metrics } = options;
  const apollo = new ApolloServer<RequestContext>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    // The IDE needs the schema: switching it on in production (GRAPHIQL=true) allows introspection too.
    introspection: config.env !== 'production' || config.graphiql,
    hideSchemaDetailsFromClientErrors: config.env === 'production',
    allowBatchedHttpRequests: false,
    // main.ts owns SIGTERM/SIGINT: it drains and exits 0. Apollo's own handlers (on outside
    // NODE_ENV=test) would stop it and re-raise the signal, killing the process mid-drain.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: limits.validationRules,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // No cache hints are used (POSTed, per-viewer data); the default plugin would still wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      // GET /graphql in a browser is our own GraphiQL (graphql/ide.ts), not Apollo's Sandbox, which loads from a CDN.
      ApolloServerPluginLandingPageDisabled(),
      graphqlMetricsPlugin<RequestContext>(metrics),
      graphqlAccessPlugin<RequestContext>(),
      rateLimitHeadersPlugin(),
      ...limits.plugins,
    ],
  });
  await apollo.start();
  return apollo;
}

/**
 * POST /graphql (JSON): declared JSON only, the size refused before reading, then Apollo with a
 * context per request. A bad token answers 401 for the whole request.
 */
export function graphqlEndpoint(apollo: ApolloServer<RequestContext>, contexts: ContextFactory): RequestHandler[] {
  return [
    graphqlJsonOnly(),
    refuseLargeGraphQLJson(JSON_BODY_LIMIT_BYTES),
    express.json({ limit: JSON_BODY_LIMIT_BYTES }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        try {
          return await contexts.forAuthorization(req.headers.authorization, clientAddress(req.ip, req.headers['user-agent']), pageOriginOf(req.headers.origin, req.headers.host));
        } catch (error) {
          if (error instanceof DomainError) {
            throw graphqlErrorOf(error, { httpStatus: 401 });
          }
          throw error;
        }
      },
    }),
  ];
}
