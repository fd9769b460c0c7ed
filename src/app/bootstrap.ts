import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Orm } from '../db/orm.js';
import type { Tenant } from '../model/tenant.entity.js';
import { User } from '../model/user.entity.js';
import { UserRole } from '../shared/enums.js';
import { DomainError } from '../shared/errors.js';
import { TENANT_FILTER } from '../shared/tenant-filter.js';
import { createTenant, DEFAULT_TENANT_SLUG, findTenantBySlug } from '../tenants/tenant.service.js';
import { createUser } from '../users/user.service.js';

/**
 * First start on an empty database: the default tenant and its `admin`. A generated password
 * is printed once to stdout (never to the log stream) and never stored in clear.
 */
export async function bootstrap(orm: Orm, adminPassword: string | null, logger: Logger): Promise<Tenant> {
  const em = orm.em.fork();
  const tenant = (await findTenantBySlug(em, DEFAULT_TENANT_SLUG)) ?? (await ignoreConflict(() => createTenant(em.fork(), DEFAULT_TENANT_SLUG, 'Default workspace')));
  const defaultTenant = tenant ?? (await findTenantBySlug(em, DEFAULT_TENANT_SLUG));
  if (!defaultTenant) throw new Error('default tenant could not be created');
  em.setFilterParams(TENANT_FILTER, { tenantId: defaultTenant.id });
  if ((await em.count(User, { username: 'admin' })) === 0) {
    const password = adminPassword ?? randomBytes(12).toString('base64url');
    const created = await ignoreConflict(() => createUser(em.fork(), defaultTenant.id, { role: UserRole.ADMIN, username: 'admin', displayName: 'Administrator', password }));
    // Another node starting at the same moment may have created it first.
    if (!created) return defaultTenant;
    if (!adminPassword) process.stdout.write(`\nCreated user "admin" with generated password: ${password}\n(shown once; set ADMIN_PASSWORD to choose it)\n\n`);
    logger.info({ tenant: defaultTenant.slug }, 'created default admin user');
  }
  return defaultTenant;
}

/** Two nodes starting at once race to create the same rows; the unique index decides, the loser carries on. */
async function ignoreConflict<T>(create: () => Promise<T>): Promise<T | null> {
  try {
    return await create();
  } catch (error) {
    if (error instanceof DomainError && error.code === 'CONFLICT') return null;
    throw error;
  }
}
