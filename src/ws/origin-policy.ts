import type { Orm } from '../db/orm.js';
import { Tenant } from '../model/tenant.entity.js';
import { isSameOrigin, normaliseOrigin } from '../shared/origin.js';

/** How long the tenants' widget origins are trusted before they are read again. */
const REFRESH_MS = 30_000;

/**
 * Which browser pages may open a WebSocket (DESIGN §8). Browsers always send `Origin` on a
 * WebSocket upgrade and do not apply CORS to it, so it is checked here: the configured
 * CORS_ORIGINS, plus every tenant's widget origins (the widget talks to Parley from the
 * tenant's site), plus pages of this server itself (the GraphiQL IDE): an Origin whose host is
 * the Host the upgrade was sent to. Clients that are not browsers send no Origin and are let
 * through to authentication.
 */
export class OriginPolicy {
  private tenantOrigins: Set<string> | null = null;
  private loadedAt = 0;
  private loading: Promise<Set<string>> | null = null;

  constructor(
    private readonly orm: Orm,
    private readonly configured: readonly string[],
  ) {}

  async allows(origin: string | undefined, host: string | undefined): Promise<boolean> {
    if (origin === undefined) return true;
    const normalised = normaliseOrigin(origin);
    if (normalised === null) return false;
    if (this.configured.includes(normalised)) return true;
    // Same origin: a page this server served (the Host header says which name the browser used).
    if (isSameOrigin(normalised, host)) return true;
    return (await this.tenants()).has(normalised);
  }

  private async tenants(): Promise<Set<string>> {
    if (this.tenantOrigins && Date.now() - this.loadedAt < REFRESH_MS) return this.tenantOrigins;
    this.loading ??= (async () => {
      try {
        // Tenants are not tenant-scoped: every tenant's widget origins are allowed.
        const rows = await this.orm.em.fork().find(Tenant, {}, { fields: ['allowedOrigins'] });
        this.tenantOrigins = new Set(rows.flatMap((tenant) => tenant.allowedOrigins.flatMap((stored) => normaliseOrigin(stored) ?? [])));
        this.loadedAt = Date.now();
        return this.tenantOrigins;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }
}
