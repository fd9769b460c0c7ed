import type { PageOrigin } from '../shared/origin.js';
import { AttachmentService } from '../attachments/attachment.service.js';
import type { AttachmentStorage } from '../attachments/storage.js';
import { AuthService } from '../auth/auth.service.js';
import { ApiKeyService } from '../auth/api-key.service.js';
import type { TokenService } from '../auth/tokens.js';
import type { ViewerCache } from '../auth/viewer-cache.js';
import type { Viewer } from '../shared/viewer.js';
import type { Config } from '../config/config.js';
import type { Logger } from 'pino';
import type { Db, Orm } from '../db/orm.js';
import type { EventBus } from '../events/event-bus.js';
import { rateLimitIdentity, type RateLimitDecision, type RateLimiter } from '../ratelimit/rate-limiter.js';
import { MessageService } from '../messages/message.service.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { SessionService } from '../sessions/session.service.js';
import { InboxService } from '../sessions/inbox.service.js';
import type { AgentReleasedHook } from '../sessions/agent-release.js';
import { RoomService } from '../rooms/room.service.js';
import { SearchService } from '../search/search.service.js';
import { StatsService } from '../stats/stats.service.js';
import { RatingService } from '../stats/rating.service.js';
import type { Scope } from '../db/scope.js';
import { TENANT_FILTER } from '../shared/tenant-filter.js';
import { UserService } from '../users/user.service.js';
import { WidgetService } from '../widget/widget.service.js';
import { WebhookService } from '../webhooks/webhook.service.js';
import { CannedResponseService } from '../canned/canned-response.service.js';
import { AssignmentService, type AssignmentEngine } from '../assignment/assignment.service.js';

/** Long-lived collaborators, created once per server. */
export interface AppDeps {
  config: Config;
  tokens: TokenService;
  /** What this node remembers of callers for the revocation check, kept true across nodes over `events`. */
  viewers: ViewerCache;
  events: EventBus;
  rateLimiter: RateLimiter;
  /** Where attachment bytes live (local disk by default). */
  storage: AttachmentStorage;
  /** For failures of background work that has no caller to answer (stream catch-ups, receipts). */
  logger: Logger;
  /** Told after commit whenever an agent lets go of a session (close, unassign, transfer): auto-assignment hooks in here. */
  onAgentReleased?: AgentReleasedHook;
  /** Presence and auto-assignment (assignment/), shared by every request of this node. */
  assignment: AssignmentEngine;
}

/**
 * The request scope, per operation, for every transport (GraphQL over HTTP and WebSocket, REST
 * dialects, downloads): the viewer, a fresh EntityManager fork scoped to the viewer's tenant, and
 * the services over it. This is the composition root: transports use it without importing
 * anything of graphql/, and services are built on first use only (most operations touch one).
 */
export interface RequestContext {
  readonly viewer: Viewer;
  readonly auth: AuthService;
  readonly sessions: SessionService;
  readonly messages: MessageService;
  readonly attachments: AttachmentService;
  readonly stats: StatsService;
  readonly ratings: RatingService;
  readonly users: UserService;
  readonly rooms: RoomService;
  readonly search: SearchService;
  readonly widget: WidgetService;
  readonly realtime: RealtimeService;
  readonly webhooks: WebhookService;
  readonly apiKeys: ApiKeyService;
  /** Unread counts and the staff/admin inbox. */
  readonly inbox: InboxService;
  readonly cannedResponses: CannedResponseService;
  readonly assignment: AssignmentService;
  readonly deps: AppDeps;
  /** Who rate limits count this caller as (user, guest, or client IP). */
  readonly rateLimitIdentity: string;
  /** The browser page an HTTP request came from (its Origin), when it said; null elsewhere. */
  readonly page: PageOrigin | null;
  /** False when the transport already counted the request (REST counts per route). */
  countRootFieldsForRateLimit: boolean;
  /** Decisions taken while serving this operation; the transport turns them into RateLimit headers. */
  readonly rateLimits: RateLimitDecision[];
  /**
   * A fresh context for the same caller: re-verifies the credentials (an expired token or a
   * deleted user now fails) on a new EntityManager fork. Long-lived operations (subscriptions)
   * call it whenever they touch the database, instead of keeping one fork open for hours.
   */
  renew(): Promise<RequestContext>;
  /**
   * The credentials this context was verified from (the Authorization value, '' without one):
   * two contexts with the same `caller` are the same caller with the same access. Kept in memory
   * only, as a key (streams of one caller share their periodic access check); never logged.
   */
  readonly caller: string;
}

/** One operation's scope; each service is built the first time it is asked for, then kept. */
class RequestScope implements RequestContext {
  countRootFieldsForRateLimit = true;
  readonly rateLimits: RateLimitDecision[] = [];
  readonly rateLimitIdentity: string;
  private readonly scope: Scope;
  private built: {
    sessions?: SessionService;
    messages?: MessageService;
    attachments?: AttachmentService;
    stats?: StatsService;
    ratings?: RatingService;
    users?: UserService;
    rooms?: RoomService;
    search?: SearchService;
    widget?: WidgetService;
    realtime?: RealtimeService;
    webhooks?: WebhookService;
    apiKeys?: ApiKeyService;
    inbox?: InboxService;
    cannedResponses?: CannedResponseService;
    assignment?: AssignmentService;
  } = {};

  constructor(
    em: () => Db,
    readonly viewer: Viewer,
    readonly auth: AuthService,
    readonly deps: AppDeps,
    readonly renew: () => Promise<RequestContext>,
    readonly caller: string,
    clientIp: string,
    readonly page: PageOrigin | null,
  ) {
    this.scope = {
      get em() {
        return em();
      },
      viewer,
    };
    this.rateLimitIdentity = rateLimitIdentity(viewer, clientIp);
  }

  get sessions(): SessionService {
    this.built.sessions ??= new SessionService(this.scope, this.deps);
    return this.built.sessions;
  }
  get messages(): MessageService {
    this.built.messages ??= new MessageService(this.scope, this.deps);
    return this.built.messages;
  }
  get attachments(): AttachmentService {
    this.built.attachments ??= new AttachmentService(this.scope, this.deps);
    return this.built.attachments;
  }
  get stats(): StatsService {
    this.built.stats ??= new StatsService(this.scope);
    return this.built.stats;
  }
  get ratings(): RatingService {
    this.built.ratings ??= new RatingService(this.scope, this.deps);
    return this.built.ratings;
  }
  get users(): UserService {
    this.built.users ??= new UserService(this.scope);
    return this.built.users;
  }
  get rooms(): RoomService {
    this.built.rooms ??= new RoomService(this.scope, this.deps, this.messages);
    return this.built.rooms;
  }
  get search(): SearchService {
    this.built.search ??= new SearchService(this.scope);
    return this.built.search;
  }
  get widget(): WidgetService {
    this.built.widget ??= new WidgetService(this.scope, this.deps);
    return this.built.widget;
  }
  get inbox(): InboxService {
    this.built.inbox ??= new InboxService(this.scope);
    return this.built.inbox;
  }
  get realtime(): RealtimeService {
    this.built.realtime ??= new RealtimeService(this.scope, this.deps);
    return this.built.realtime;
  }
  get webhooks(): WebhookService {
    this.built.webhooks ??= new WebhookService(this.scope, this.deps);
    return this.built.webhooks;
  }
  get apiKeys(): ApiKeyService {
    this.built.apiKeys ??= new ApiKeyService(this.scope);
    return this.built.apiKeys;
  }
  get cannedResponses(): CannedResponseService {
    this.built.cannedResponses ??= new CannedResponseService(this.scope, this.deps);
    return this.built.cannedResponses;
  }
  get assignment(): AssignmentService {
    this.built.assignment ??= new AssignmentService(this.scope, this.deps.assignment, this.deps.config.assignment);
    return this.built.assignment;
  }
}

/** An EntityManager fork made when first asked for, scoped to the caller's tenant once that is known. */
class LazyFork {
  private fork: Db | null = null;
  private tenantId: string | null = null;

  constructor(private readonly orm: Orm) {}

  em(): Db {
    if (this.fork === null) {
      this.fork = this.orm.em.fork() as Db;
      if (this.tenantId !== null) this.fork.setFilterParams(TENANT_FILTER, { tenantId: this.tenantId });
    }
    return this.fork;
  }

  scopeTo(tenantId: string): void {
    this.tenantId = tenantId;
    this.fork?.setFilterParams(TENANT_FILTER, { tenantId });
  }
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
  async forAuthorization(authorization: string | undefined, clientIp = 'unknown', page: PageOrigin | null = null): Promise<RequestContext> {
    // The fork is made on first use: a request answered from caches (a remembered viewer, a
    // rate-limit refusal, `{ __typename }`) never builds a unit of work (bench/NOTES.md).
    const lazy = new LazyFork(this.orm);
    const fork = () => lazy.em();
    const auth = new AuthService(fork, this.deps.tokens, this.deps.config.refreshTokenTtlSeconds, this.deps.viewers);
    const viewer = await auth.viewerFor(authorization, this.defaultTenantId);
    lazy.scopeTo(viewer.tenantId);
    return new RequestScope(fork, viewer, auth, this.deps, () => this.forAuthorization(authorization, clientIp, page), authorization ?? '', clientIp, page);
  }
}
