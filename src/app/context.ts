import type { Logger } from 'pino';
import { type AssignmentEngine, AssignmentService } from '../assignment/assignment.service.js';
import { AttachmentService } from '../attachments/attachment.service.js';
import type { AttachmentStorage } from '../attachments/storage.js';
import { AuditService } from '../audit/audit.service.js';
import { ApiKeyService } from '../auth/api-key.service.js';
import { type Authenticated, AuthService } from '../auth/auth.service.js';
import type { ExportLinkClaims, TokenService } from '../auth/tokens.js';
import { TwoFactorService } from '../auth/two-factor.service.js';
import type { ViewerCache } from '../auth/viewer-cache.js';
import { CannedResponseService } from '../canned/canned-response.service.js';
import type { Config } from '../config/config.js';
import type { Db, Orm } from '../db/orm.js';
import type { Scope } from '../db/scope.js';
import type { EventBus, Revocation } from '../events/event-bus.js';
import { ExportService } from '../exports/export.service.js';
import { AutoCloseService } from '../hours/auto-close.service.js';
import { AutoReplyService } from '../hours/auto-reply.service.js';
import { BusinessHoursService } from '../hours/business-hours.service.js';
import { MessageService } from '../messages/message.service.js';
import { type RateLimitDecision, type RateLimiter, rateLimitIdentity } from '../ratelimit/rate-limiter.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { RoomService } from '../rooms/room.service.js';
import { SearchService } from '../search/search.service.js';
import { InboxService } from '../sessions/inbox.service.js';
import { SessionService } from '../sessions/session.service.js';
import type { PageOrigin } from '../shared/origin.js';
import { type ClientAddress, type RequestOrigin, UNKNOWN_CLIENT } from '../shared/request-origin.js';
import type { SecretBox } from '../shared/secret-box.js';
import { TENANT_FILTER } from '../shared/tenant-filter.js';
import type { Viewer } from '../shared/viewer.js';
import { SlaService } from '../sla/sla.service.js';
import { RatingService } from '../stats/rating.service.js';
import { StatsService } from '../stats/stats.service.js';
import { UserService } from '../users/user.service.js';
import { WebhookService } from '../webhooks/webhook.service.js';
import { WidgetService } from '../widget/widget.service.js';

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
  /** Presence and auto-assignment (assignment/), shared by every request of this node. */
  assignment: AssignmentEngine;
  /** Seals and opens the secrets stored in the database (SECRETS_KEY; db/stored-secrets.ts). */
  secrets: SecretBox;
}

/**
 * The request scope, per operation, for every transport (GraphQL over HTTP and WebSocket, REST
 * dialects, downloads): the viewer, a fresh EntityManager fork scoped to the viewer's tenant, and
 * the services over it. A WebSocket connection has one context of its own that holds no fork
 * (`ContextFactory.forConnection`): each service it hands out gets a fork of its own. This is the composition root: transports use it without importing
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
  readonly businessHours: BusinessHoursService;
  readonly autoReply: AutoReplyService;
  readonly twoFactor: TwoFactorService;
  readonly autoClose: AutoCloseService;
  readonly sla: SlaService;
  readonly assignment: AssignmentService;
  /** CSV report exports (admins). */
  readonly exports: ExportService;
  /** The audit log: query and chain verification (admins). */
  readonly audit: AuditService;
  readonly deps: AppDeps;
  /** Who rate limits count this caller as (user, guest, or client IP). */
  readonly rateLimitIdentity: string;
  /** Where the request came from (client address, user agent, API key): audit entries record it. */
  readonly origin: RequestOrigin;
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
  /** The revocations that end this caller's credentials: a stream watches them (auth/viewer-cache.ts `watch`). */
  readonly revokedBy: readonly Revocation[];
}

type Built = {
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
  businessHours?: BusinessHoursService;
  autoReply?: AutoReplyService;
  twoFactor?: TwoFactorService;
  autoClose?: AutoCloseService;
  sla?: SlaService;
  assignment?: AssignmentService;
  exports?: ExportService;
  audit?: AuditService;
};

/**
 * One operation's scope. Pinned to one fork (a request): each service is built the first time
 * it is asked for, then kept. Unpinned (a WebSocket connection, which lives for hours): every
 * service asked for gets a fork of its own, and nothing is kept between database touches.
 */
class RequestScope implements RequestContext {
  countRootFieldsForRateLimit = true;
  readonly viewer: Viewer;
  readonly revokedBy: readonly Revocation[];
  readonly rateLimits: RateLimitDecision[] = [];
  readonly rateLimitIdentity: string;
  readonly origin: RequestOrigin;
  /** The request's one fork and viewer; null for an unpinned (connection) context. */
  private readonly pinned: Scope | null;
  private readonly pinnedAuth: AuthService | null;
  private readonly built: Built = {};

  constructor(
    fork: { em: () => Db; auth: AuthService } | { fresh: () => Db },
    { viewer, revokedBy }: Authenticated,
    readonly deps: AppDeps,
    readonly renew: () => Promise<RequestContext>,
    readonly caller: string,
    client: ClientAddress,
    readonly page: PageOrigin | null,
  ) {
    this.viewer = viewer;
    this.revokedBy = revokedBy;
    const apiKey = revokedBy.find((revocation) => 'apiKeyId' in revocation);
    const origin: RequestOrigin = { ip: client.ip, userAgent: client.userAgent, apiKeyId: apiKey && 'apiKeyId' in apiKey ? apiKey.apiKeyId : null };
    this.origin = origin;
    if ('em' in fork) {
      const em = fork.em;
      this.pinned = {
        get em() {
          return em();
        },
        viewer,
        origin,
      };
      this.pinnedAuth = fork.auth;
      this.freshEm = em;
    } else {
      this.pinned = null;
      this.pinnedAuth = null;
      this.freshEm = fork.fresh;
    }
    this.rateLimitIdentity = rateLimitIdentity(viewer, client.ip);
  }

  private readonly freshEm: () => Db;

  /** A fork of its own, made on first use, for one service of an unpinned context. */
  private ownFork(): () => Db {
    let em: Db | null = null;
    return () => (em ??= this.freshEm());
  }

  get auth(): AuthService {
    return this.pinnedAuth ?? new AuthService(this.ownFork(), this.deps.tokens, this.deps.config.refreshTokenTtlSeconds, this.deps.viewers, this.deps.secrets, this.origin);
  }

  /** The pinned scope's service (built once), or a new one on a fork of its own. */
  private service<K extends keyof Built>(key: K, make: (scope: Scope) => NonNullable<Built[K]>): NonNullable<Built[K]> {
    if (!this.pinned) {
      const em = this.ownFork();
      return make({
        get em() {
          return em();
        },
        viewer: this.viewer,
        origin: this.origin,
      });
    }
    this.built[key] ??= make(this.pinned);
    return this.built[key]!;
  }

  get sessions(): SessionService {
    return this.service('sessions', (scope) => new SessionService(scope, this.deps));
  }
  get messages(): MessageService {
    return this.service('messages', (scope) => new MessageService(scope, this.deps));
  }
  get attachments(): AttachmentService {
    return this.service('attachments', (scope) => new AttachmentService(scope, this.deps));
  }
  get stats(): StatsService {
    return this.service('stats', (scope) => new StatsService(scope));
  }
  get ratings(): RatingService {
    return this.service('ratings', (scope) => new RatingService(scope, this.deps));
  }
  get users(): UserService {
    return this.service('users', (scope) => new UserService(scope));
  }
  get rooms(): RoomService {
    return this.service('rooms', (scope) => new RoomService(scope, this.deps, scope === this.pinned ? this.messages : new MessageService(scope, this.deps)));
  }
  get search(): SearchService {
    return this.service('search', (scope) => new SearchService(scope));
  }
  get widget(): WidgetService {
    return this.service('widget', (scope) => new WidgetService(scope, this.deps));
  }
  get inbox(): InboxService {
    return this.service('inbox', (scope) => new InboxService(scope));
  }
  get realtime(): RealtimeService {
    return this.service('realtime', (scope) => new RealtimeService(scope, this.deps));
  }
  get webhooks(): WebhookService {
    return this.service('webhooks', (scope) => new WebhookService(scope, this.deps));
  }
  get apiKeys(): ApiKeyService {
    return this.service('apiKeys', (scope) => new ApiKeyService(scope, this.deps.viewers));
  }
  get cannedResponses(): CannedResponseService {
    return this.service('cannedResponses', (scope) => new CannedResponseService(scope, this.deps));
  }
  get businessHours(): BusinessHoursService {
    return this.service('businessHours', (scope) => new BusinessHoursService(scope));
  }
  get autoReply(): AutoReplyService {
    return this.service('autoReply', (scope) => new AutoReplyService(scope));
  }
  get twoFactor(): TwoFactorService {
    return this.service('twoFactor', (scope) => new TwoFactorService(scope, this.deps.viewers, this.deps.secrets));
  }
  get autoClose(): AutoCloseService {
    return this.service('autoClose', (scope) => new AutoCloseService(scope));
  }
  get sla(): SlaService {
    return this.service('sla', (scope) => new SlaService(scope));
  }
  get assignment(): AssignmentService {
    return this.service('assignment', (scope) => new AssignmentService(scope, this.deps.assignment, this.deps.config.assignment));
  }
  get exports(): ExportService {
    return this.service('exports', (scope) => new ExportService(scope, this.deps));
  }
  get audit(): AuditService {
    return this.service('audit', (scope) => new AuditService(scope));
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
   * A fresh EntityManager fork scoped to the caller's tenant; the client's address keys the rate
   * limits of anonymous callers, and with its user agent goes into audit entries. Throws DomainError
   * UNAUTHENTICATED when an Authorization value is present but not valid.
   */
  async forAuthorization(authorization: string | undefined, client: ClientAddress = UNKNOWN_CLIENT, page: PageOrigin | null = null, fresh = false): Promise<RequestContext> {
    // The fork is made on first use: a request answered from caches (a remembered viewer, a
    // rate-limit refusal, `{ __typename }`) never builds a unit of work (bench/NOTES.md).
    const lazy = new LazyFork(this.orm);
    const fork = () => lazy.em();
    const auth = new AuthService(fork, this.deps.tokens, this.deps.config.refreshTokenTtlSeconds, this.deps.viewers, this.deps.secrets, { ...client, apiKeyId: null });
    const authenticated = await auth.authenticate(authorization, this.defaultTenantId, { fresh });
    lazy.scopeTo(authenticated.viewer.tenantId);
    return new RequestScope({ em: fork, auth }, authenticated, this.deps, () => this.forAuthorization(authorization, client, page), authorization ?? '', client, page);
  }

  /**
   * The scope of a signed export link (exports/): no Authorization header, the link names its
   * admin. Its signature and expiry are checked, then the admin is read from the database
   * (never this node's memory of them). Throws DomainError INVALID_EXPORT_LINK or EXPORT_LINK_EXPIRED.
   */
  async forExportLink(token: string, client: ClientAddress = UNKNOWN_CLIENT): Promise<{ ctx: RequestContext; claims: ExportLinkClaims }> {
    const claims = await this.deps.tokens.verifyExport(token);
    const lazy = new LazyFork(this.orm);
    lazy.scopeTo(claims.tid);
    const fork = () => lazy.em();
    const auth = new AuthService(fork, this.deps.tokens, this.deps.config.refreshTokenTtlSeconds, this.deps.viewers, this.deps.secrets, { ...client, apiKeyId: null });
    const authenticated = await auth.authenticateExportLink(claims);
    const renew = async () => (await this.forExportLink(token, client)).ctx;
    return { ctx: new RequestScope({ em: fork, auth }, authenticated, this.deps, renew, '', client, null), claims };
  }

  /**
   * The context of a long-lived connection (a WebSocket's subscriptions): verified like
   * `forAuthorization`, but it holds no fork. Every service it is asked for gets a fork of its
   * own (made on first use), so a connection idle for hours keeps no EntityManager (and no
   * identity map) alive.
   */
  async forConnection(authorization: string | undefined, client: ClientAddress = UNKNOWN_CLIENT): Promise<RequestContext> {
    // Checked against the database, not this node's memory of the caller: a socket opened while
    // the database is away is refused as retryable (1013) instead of acknowledged and then failing.
    const verified = await this.forAuthorization(authorization, client, null, true);
    const { tenantId } = verified.viewer;
    const fresh = () => {
      const em = this.orm.em.fork() as Db;
      em.setFilterParams(TENANT_FILTER, { tenantId });
      return em;
    };
    return new RequestScope({ fresh }, verified, this.deps, () => this.forAuthorization(authorization, client), authorization ?? '', client, null);
  }
}
