import type { TokenService } from '../auth/tokens.js';
import type { Scope } from '../db/scope.js';
import type { EventBus } from '../events/event-bus.js';
import { loadSchedule } from '../hours/business-hours.service.js';
import { isOpenAt, openingAtOrAfter } from '../hours/schedule.js';
import type { ChatSession } from '../model/session.entity.js';
import { Tenant } from '../model/tenant.entity.js';
import type { AssignmentTrigger } from '../sessions/assignment-queue.js';
import { insertGuestSession } from '../sessions/session.service.js';
import { deskNow } from '../shared/desk-clock.js';
import { forbidden, unauthenticated } from '../shared/errors.js';
import { originAllowed } from '../shared/origin.js';

/** What a widget shows a visitor before they write: who answers, whether the team is open, how soon a reply comes. */
export interface WidgetConfig {
  tenantName: string;
  openNow: boolean;
  /** While closed: when the team opens again (null: it never does). */
  nextOpenAt: Date | null;
  /** The typical wait for a first reply (median of the last 30 days), plus the time until opening while closed; null without data. */
  expectedReplySeconds: number | null;
}

/** How far back the typical first-reply time looks. */
const EXPECTED_REPLY_WINDOW_DAYS = 30;

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
    const tenant = await this.tenantOf(widgetKey, origin, fromOwnPage);
    const { session, guest, event } = await insertGuestSession(em.fork(), tenant.id, { sessionKey: null, guestName: 'Visitor' });
    this.deps.events.publish([event]);
    if (session.queuedAt) await this.deps.assignment?.drain(tenant.id);
    const token = await this.deps.tokens.issueGuestToken(guest.id, tenant.id, session.id);
    return { token, session };
  }

  /** The widget's first call: under the same key and origin rule as `start`, what to tell the visitor (docs/desk.md). */
  async config(widgetKey: string, origin: string | null | undefined, fromOwnPage = false, now = deskNow()): Promise<WidgetConfig> {
    const tenant = await this.tenantOf(widgetKey, origin, fromOwnPage);
    const schedule = await loadSchedule(this.scope.em, tenant.id);
    const openNow = schedule === null || isOpenAt(schedule, now);
    const reopening = openNow || schedule === null ? null : openingAtOrAfter(schedule, now);
    const [typical] = await this.scope.em.execute<{ median: number | string | null }[]>(
      `select percentile_cont(0.5) within group (order by first_response_ms) as median from chat_sessions
        where tenant_id = ? and kind = 'SUPPORT' and started_at >= ?::timestamptz and first_response_ms is not null`,
      [tenant.id, new Date(now - EXPECTED_REPLY_WINDOW_DAYS * 24 * 3600_000).toISOString()],
    );
    const medianMs = typical?.median === null || typical?.median === undefined ? null : Number(typical.median);
    const untilOpen = reopening ? reopening.opensAt - now : 0;
    return {
      tenantName: tenant.name,
      openNow,
      nextOpenAt: reopening ? new Date(reopening.opensAt) : null,
      expectedReplySeconds: medianMs === null ? null : Math.round((medianMs + untilOpen) / 1000),
    };
  }

  /** The tenant a widget key names, when the page's origin may use it (the demo console's own pages may, while the demo is on). */
  private async tenantOf(widgetKey: string, origin: string | null | undefined, fromOwnPage: boolean): Promise<Tenant> {
    // Tenants are not tenant-filtered: the key is how the caller names theirs.
    const key = typeof widgetKey === 'string' ? widgetKey.trim() : '';
    // Keys are generated as `wk_` + base64url; anything else cannot match (and never reaches SQL).
    const tenant = WIDGET_KEY.test(key) ? await this.scope.em.findOne(Tenant, { widgetKey: key }) : null;
    if (!tenant) throw unauthenticated('INVALID_WIDGET_KEY', 'The widget key is not valid');
    const demoPage = fromOwnPage && this.deps.config.demo;
    if (!demoPage && !originAllowed(origin, tenant.allowedOrigins)) throw forbidden('ORIGIN_NOT_ALLOWED', 'This origin may not use the widget');
    return tenant;
  }
}
