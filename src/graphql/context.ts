import { AttachmentService } from '../attachments/attachment.service.js';
import type { AttachmentStorage } from '../attachments/storage.js';
import { AuthService } from '../auth/auth.service.js';
import type { TokenService } from '../auth/tokens.js';
import type { Viewer } from '../auth/viewer.js';
import type { Config } from '../config.js';
import type { Logger } from 'pino';
import type { Db, Orm } from '../db/orm.js';
import type { EventBus } from '../events/event-bus.js';
import { rateLimitIdentity, type RateLimitDecision, type RateLimiter } from '../ratelimit/rate-limiter.js';
import { MessageService } from '../messages/message.service.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { SessionService } from '../sessions/session.service.js';
import { RoomService } from '../rooms/room.service.js';
import { StatsService } from '../stats/stats.service.js';
import { TENANT_FILTER } from '../shared/tenant-filter.js';
import { UserService } from '../users/user.service.js';
import { WidgetService } from '../widget/widget.service.js';

/** Long-lived collaborators, created once per server. */
export interface AppDeps {
  config: Config;
  tokens: TokenService;
  events: EventBus;
  rateLimiter: RateLimiter;
  /** Where attachment bytes live (local disk by default). */
  storage: AttachmentStorage;
  /** For failures of background work that has no caller to answer (stream catch-ups, receipts). */
  logger: Logger;
}

/** Per operation: a fresh EntityManager fork scoped to the viewer's tenant, and the services over it. */
export interface GraphQLContext {
  viewer: Viewer;
  auth: AuthService;
  sessions: SessionService;
  messages: MessageService;
  attachments: AttachmentService;
  stats: StatsService;
  users: UserService;
  rooms: RoomService;
  widget: WidgetService;
  realtime: RealtimeService;
  deps: AppDeps;
  /** Who rate limits count this caller as (user, guest, or client IP). */
  rateLimitIdentity: string;
  /** False when the transport already counted the request (REST counts per route). */
  countRootFieldsForRateLimit: boolean;
  /** Decisions taken while serving this operation; the transport turns them into RateLimit headers. */
  rateLimits: RateLimitDecision[];
  /**
   * A fresh context for the same caller: re-verifies the credentials (an expired token or a
   * deleted user now fails) on a new EntityManager fork. Long-lived operations (subscriptions)
   * call it whenever they touch the database, instead of keeping one fork open for hours.
   */
  renew(): Promise<GraphQLContext>;
}

export function buildContext(
  em: Db,
  viewer: Viewer,
  auth: AuthService,
  deps: AppDeps,
  renew: () => Promise<GraphQLContext>,
  clientIp = 'unknown',
): GraphQLContext {
  const scope = { em, viewer };
  const messages = new MessageService(scope, deps);
  return {
    viewer,
    auth,
    deps,
    rateLimitIdentity: rateLimitIdentity(viewer, clientIp),
    countRootFieldsForRateLimit: true,
    rateLimits: [],
    renew,
    sessions: new SessionService(scope, deps),
    messages,
    attachments: new AttachmentService(scope, deps),
    stats: new StatsService(scope),
    users: new UserService(scope),
    rooms: new RoomService(scope, deps, messages),
    widget: new WidgetService(scope, deps),
    realtime: new RealtimeService(scope, deps),
  };
}

/**
 * Builds the per-operation context for every transport (GraphQL over HTTP, WebSocket
 * subscriptions, REST dialects), so all of them resolve the caller the same way.
 */
export class ContextFactory {
  constructor(
    private readonly orm: Orm,
    private readonly deps: AppDeps,
    private readonly defaultTenantId: string,
  ) {}

  /**
   * A fresh EntityManager fork scoped to the caller's tenant; `clientIp` keys the rate limits
   * of anonymous callers. Throws DomainError
   * UNAUTHENTICATED when an Authorization value is present but not valid.
   */
  async forAuthorization(authorization: string | undefined, clientIp = 'unknown'): Promise<GraphQLContext> {
    const em = this.orm.em.fork() as Db;
    const auth = new AuthService(em, this.deps.tokens);
    const viewer = await auth.viewerFor(authorization, this.defaultTenantId);
    em.setFilterParams(TENANT_FILTER, { tenantId: viewer.tenantId });
    return buildContext(em, viewer, auth, this.deps, () => this.forAuthorization(authorization, clientIp), clientIp);
  }
}
