import { auditContextOf, audited, created } from '../audit/audit-log.js';
import type { Scope } from '../db/scope.js';
import { ApiKey } from '../model/api-key.entity.js';
import { Tenant } from '../model/tenant.entity.js';
import { User } from '../model/user.entity.js';
import { UserRole } from '../shared/enums.js';
import { notFound } from '../shared/errors.js';
import { requireUser } from '../shared/guards.js';
import { MAX_API_KEY_NAME_LENGTH } from '../shared/limits.js';
import { parseId, requireName } from '../shared/validate.js';
import { generateApiKey } from './api-key-format.js';
import type { ViewerCache } from './viewer-cache.js';

export interface IssuedApiKey {
  apiKey: ApiKey;
  /** Shown once, here: only its hash is stored. */
  key: string;
}

/** Admins issue, list and revoke their tenant's API keys (bearer credentials for bots and integrations). */
export class ApiKeyService {
  constructor(
    private readonly scope: Scope,
    /** Told of a revocation, so every node refuses the key and ends its streams. */
    private readonly viewers: ViewerCache,
  ) {}

  private admin() {
    return requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
  }

  async list(): Promise<ApiKey[]> {
    this.admin();
    return this.scope.em.find(ApiKey, {}, { orderBy: { id: 'asc' }, populate: ['user'] });
  }

  /** A key acting as `userId` (a user of the admin's tenant, usually a BOT) with that user's role. */
  async create(name: string, userId: string): Promise<IssuedApiKey> {
    const admin = this.admin();
    const label = requireName(name, 'name', MAX_API_KEY_NAME_LENGTH);
    const user = await this.scope.em.findOne(User, { id: parseId(userId, 'userId') });
    if (!user) throw notFound('USER_NOT_FOUND');
    const { key, hash, prefix } = generateApiKey();
    const apiKey = await audited(
      this.scope.em,
      auditContextOf(this.scope),
      async () => this.scope.em.create(ApiKey, { tenant: this.scope.em.getReference(Tenant, admin.tenantId), user, name: label, prefix, keyHash: hash }),
      (apiKey) => ({ action: 'api_key.created', target: { type: 'api_key', id: apiKey.id }, diff: created({ name: label, prefix, userId: user.id }) }),
    );
    return { apiKey, key };
  }

  /**
   * Revoked at once: the next request with the key is refused (401), and its live streams end,
   * on every node, before this answers.
   */
  async revoke(id: string): Promise<ApiKey> {
    const admin = this.admin();
    const apiKey = await this.scope.em.findOne(ApiKey, { id: parseId(id, 'id') }, { populate: ['user'] });
    if (!apiKey) throw notFound('API_KEY_NOT_FOUND');
    const revoking = apiKey.revokedAt === null;
    await audited(
      this.scope.em,
      auditContextOf(this.scope),
      async () => {
        apiKey.revokedAt ??= new Date();
      },
      () => (revoking ? { action: 'api_key.revoked', target: { type: 'api_key', id: apiKey.id }, diff: { revokedAt: { before: null, after: apiKey.revokedAt!.toISOString() } } } : null),
    );
    await this.viewers.revoked({ tenantId: admin.tenantId, apiKeyId: apiKey.id });
    return apiKey;
  }
}
