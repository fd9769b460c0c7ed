import type { ApolloServer } from '@apollo/server';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { ContextFactory, GraphQLContext } from '../graphql/context.js';
import { chatApiRouter } from './chat-api/chat-api.router.js';
import { docsRouter } from './openapi/docs.js';
import { OperationRunner } from './operation-runner.js';
import type { RestDeps } from './rest.types.js';
import { roomsRouter } from './rooms/rooms.router.js';
import { v1Router } from './v1/v1.router.js';
import { widgetRouter } from './widget/widget.router.js';

export interface RestMountOptions {
  apollo: ApolloServer<GraphQLContext>;
  contexts: ContextFactory;
  logger: Logger;
}

/**
 * Mounts the four REST dialects, /openapi.json and /docs. Call after `apollo.start()` and
 * before the server's 404 handler. Rooms go before the chat API: both live under /api/chat.
 */
export function mountRestDialects(app: Express, { apollo, contexts, logger }: RestMountOptions): void {
  const deps: RestDeps = { runner: new OperationRunner(apollo, contexts), logger };
  app.use('/api/v1/chat', v1Router(deps));
  app.use('/api/chat/rooms', roomsRouter(deps));
  app.use('/api/chat', chatApiRouter(deps));
  app.use('/widget', widgetRouter(deps));
  app.use(docsRouter());
}
