import { Args, Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { AuditLogArgsType, AuditLogConnectionType, AuditVerificationType } from './audit.types.js';

@Resolver()
export class AuditResolver {
  @Query(() => AuditLogConnectionType, { description: "Admins only: the tenant's audit log, newest first, by action, actor and time range" })
  async auditLog(@Args(() => AuditLogArgsType) args: AuditLogArgsType, @Ctx() ctx: RequestContext): Promise<AuditLogConnectionType> {
    return AuditLogConnectionType.from(await ctx.audit.list(args));
  }

  @Query(() => AuditVerificationType, { description: "Admins only: checks the tenant's audit log hash chain and names the first broken link" })
  async verifyAuditLog(@Ctx() ctx: RequestContext): Promise<AuditVerificationType> {
    return AuditVerificationType.from(await ctx.audit.verify());
  }
}
