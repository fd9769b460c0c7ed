import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Db } from '../db/orm.js';
import { Tenant } from '../model/tenant.entity.js';
import { badInput, conflict } from '../shared/errors.js';
import { MAX_TENANT_NAME_LENGTH, MAX_TENANT_SLUG_LENGTH } from '../shared/limits.js';
import { optionalName, requireText } from '../shared/validate.js';

export const DEFAULT_TENANT_SLUG = 'default';

/** What a tenant slug may be: lowercase letters, digits and "-", not starting with "-". */
const SLUG = /^[a-z0-9][a-z0-9-]*$/;

export async function createTenant(em: Db, slugArg: string, nameArg?: string | null): Promise<Tenant> {
  const slug = requireText(slugArg, 'slug', MAX_TENANT_SLUG_LENGTH).toLowerCase();
  if (!SLUG.test(slug)) throw badInput('slug', 'slug may contain only letters, digits and "-"');
  const tenant = em.create(Tenant, { slug, name: optionalName(nameArg, 'name', MAX_TENANT_NAME_LENGTH) ?? slug });
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw conflict('TENANT_EXISTS', `tenant ${slug} exists`);
    throw error;
  }
  return tenant;
}

/** A slug that cannot exist (wrong shape, control characters) is simply not found, without a query. */
export async function findTenantBySlug(em: Db, slug: string): Promise<Tenant | null> {
  const normalised = typeof slug === 'string' ? slug.toLowerCase() : '';
  return SLUG.test(normalised) ? em.findOne(Tenant, { slug: normalised }) : null;
}
