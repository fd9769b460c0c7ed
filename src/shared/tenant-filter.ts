import type { FilterDef } from '@mikro-orm/core';

/**
 * Every tenant-owned entity carries this filter, enabled by default. It has a required
 * argument, so a query run on an EntityManager whose tenant was never set fails loudly
 * instead of reading across tenants.
 */
export const TENANT_FILTER = 'tenant';

export const tenantFilter: FilterDef = {
  name: TENANT_FILTER,
  cond: (args) => ({ tenant: args.tenantId }),
  default: true,
};
