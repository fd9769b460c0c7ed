import type { AuthService } from '../auth/auth.service.js';
import type { TokenService } from '../auth/tokens.js';
import type { Viewer } from '../auth/viewer.js';
import type { Db } from '../db/orm.js';
import type { EventBus } from '../events/event-bus.js';
import { MessageService } from '../messages/message.service.js';
import { SessionService } from '../sessions/session.service.js';
import { StatsService } from '../stats/stats.service.js';
import { UserService } from '../users/user.service.js';

/** Long-lived collaborators, created once per server. */
export interface AppDeps {
  tokens: TokenService;
  events: EventBus;
}

/** Per operation: a fresh EntityManager fork scoped to the viewer's tenant, and the services over it. */
export interface GraphQLContext {
  viewer: Viewer;
  auth: AuthService;
  sessions: SessionService;
  messages: MessageService;
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
    stats: new StatsService(scope),
    users: new UserService(scope),
  };
}
