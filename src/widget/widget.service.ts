import { originAllowed } from '../shared/origin.js';
import type { TokenService } from '../auth/tokens.js';
import type { EventBus } from '../events/event-bus.js';
import type { ChatSession } from '../model/session.entity.js';
import { insertGuestSession } from '../sessions/session.service.js';
import type { AssignmentTrigger } from '../sessions/assignment-queue.js';
import { forbidden, unauthenticated } from '../shared/errors.js';
import type { Scope } from '../db/scope.js';
import { Tenant } from '../model/tenant.entity.js';

export interface WidgetSessionResult {
  token: string;
  session: ChatSession;
}

/**
 * Website widgets (seed 002). A page presents its tenant's public widget key; the request's
 * Origin must be one of the tenant's allowed origins (a tenant with none accepts no widget).
 * The result is a fresh guest conversation in that tenant and a token scoped to exactly it
 * (a guest token: tenant + conversation), so every later call goes through the ordinary
 * access rules.
 */
const WIDGET_KEY = /^wk_[A-Za-z0-9_-]{8,61}$/;

export class WidgetService {
  constructor(
    private readonly scope: Scope,
    private readonly deps: { events: EventBus; tokens: TokenService; config: { demo: boolean }; assignment?: AssignmentTrigger },
  ) {}

  /**
   * `fromOwnPage`: the request came from a page this server served (the demo console): allowed
   * for every tenant while the demo is on, since those pages are ours, not a third party's.
   */
  async start(widgetKey: string, origin: string | null | undefined, fromOwnPage = false): Promise<WidgetSessionResult> {
    const { em } = this.scope;
    // Tenants are not tenant-filtered: the key is how the caller names theirs.
    const key = typeof widgetKey === 'string' ? widgetKey.trim() : '';
    // Keys are generated as `wk_` + base64url; anything else cannot match (and never reaches SQL).
    const tenant = WIDGET_KEY.test(key) ? await em.findOne(Tenant, { widgetKey: key }) : null;
    if (!tenant) throw unauthenticated('INVALID_WIDGET_KEY', 'The widget key is not valid');
    const demoPage = fromOwnPage && this.deps.config.demo;
    if (!demoPage && !originAllowed(origin, tenant.allowedOrigins)) throw forbidden('ORIGIN_NOT_ALLOWED', 'This origin may not use the widget');
    const { session, guest, event } = await insertGuestSession(em.fork(), tenant.id, { sessionKey: null, guestName: 'Visitor' });
    this.deps.events.publish([event]);
    if (session.queuedAt) await this.deps.assignment?.drain(tenant.id);
    const token = await this.deps.tokens.issueGuestToken(guest.id, tenant.id, session.id);
    return { token, session };
  }
}
