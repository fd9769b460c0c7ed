import type { ApolloServer } from '@apollo/server';
import type { Express, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { AppDeps, ContextFactory, RequestContext } from '../app/context.js';
import { chatApiRateLimited, chatApiRouter } from './chat-api/chat-api.router.js';
import { OperationRunner } from './common/operation-runner.js';
import { restRateLimit } from './common/rate-limit.js';
import type { RestDeps } from './common/rest.types.js';
import { docsRouter } from './openapi/docs.js';
import { roomsRateLimited } from './rooms/rooms.errors.js';
import { roomsRouter } from './rooms/rooms.router.js';
import { v1RateLimited } from './v1/v1.envelope.js';
import { v1Router } from './v1/v1.router.js';
import { widgetRateLimited } from './widget/widget.errors.js';
import { widgetRouter } from './widget/widget.router.js';

export interface RestMountOptions {
  apollo: ApolloServer<RequestContext>;
  contexts: ContextFactory;
  deps: Pick<AppDeps, 'rateLimiter' | 'tokens' | 'config' | 'storage'>;
  logger: Logger;
}

/**
 * Mounts the four REST dialects, /openapi.json and /docs. Call after `apollo.start()` and
 * before the server's 404 handler. Rooms go before the chat API: both live under /api/chat.
 */
export function mountRestDialects(app: Express, { apollo, contexts, deps: shared, logger }: RestMountOptions): void {
  const deps: RestDeps = { runner: new OperationRunner(apollo, contexts), logger, uploads: shared.config.uploads, storage: shared.storage, links: shared.config };
  // Each dialect counts per route (its operations are then not counted again per GraphQL field).
  const limit = (dialect: string, refuse: (res: Response) => void) => restRateLimit(dialect, shared.rateLimiter, shared.tokens, refuse);
  app.use('/api/v1/chat', limit('v1', v1RateLimited), v1Router(deps));
  app.use('/api/chat/rooms', limit('rooms', roomsRateLimited), roomsRouter(deps));
  app.use('/api/chat', chatApiRateLimit(shared), chatApiRouter(deps));
  app.use('/widget', limit('widget', widgetRateLimited), widgetRouter(deps));
  app.use(docsRouter());
}

/**
 * The chat API dialect's limiter, also for its download route (`GET /api/chat/attachments/{id}`),
 * which the attachments module mounts ahead of the dialects.
 */
export function chatApiRateLimit(shared: Pick<AppDeps, 'rateLimiter' | 'tokens'>): RequestHandler {
  return restRateLimit('chat-api', shared.rateLimiter, shared.tokens, chatApiRateLimited);
}
