import { AttachmentService } from '../attachments/attachment.service.js';
import type { AttachmentStorage } from '../attachments/storage.js';
import { AuthService } from '../auth/auth.service.js';
import type { TokenService } from '../auth/tokens.js';
import type { Viewer } from '../auth/viewer.js';
import type { Config } from '../config.js';
import type { Db, Orm } from '../db/orm.js';
import type { EventBus } from '../events/event-bus.js';
import { MessageService } from '../messages/message.service.js';
import { SessionService } from '../sessions/session.service.js';
import { StatsService } from '../stats/stats.service.js';
import { TENANT_FILTER } from '../shared/tenant-filter.js';
import { UserService } from '../users/user.service.js';

/** Long-lived collaborators, created once per server. */
export interface AppDeps {
  config: Config;
  tokens: TokenService;
  events: EventBus;
  /** Where attachment bytes live (local disk by default). */
  storage: AttachmentStorage;
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
  deps: AppDeps;
}

export function buildContext(em: Db, viewer: Viewer, auth: AuthService, deps: AppDeps): GraphQLContext {
  const scope = { em, viewer };
  return {
    viewer,
    auth,
    deps,
    sessions: new SessionService(scope, deps),
    messages: new MessageService(scope, deps),
    attachments: new AttachmentService(scope, deps),
    stats: new StatsService(scope),
    users: new UserService(scope),
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
   * A fresh EntityManager fork scoped to the caller's tenant. Throws DomainError
   * UNAUTHENTICATED when an Authorization value is present but not valid.
   */
  async forAuthorization(authorization: string | undefined): Promise<GraphQLContext> {
    const em = this.orm.em.fork() as Db;
    const auth = new AuthService(em, this.deps.tokens);
    const viewer = await auth.viewerFor(authorization, this.defaultTenantId);
    em.setFilterParams(TENANT_FILTER, { tenantId: viewer.tenantId });
    return buildContext(em, viewer, auth, this.deps);
  }
}
