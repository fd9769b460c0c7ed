import { GraphQLJSONObject } from 'graphql-scalars';
import { ArgsType, Field, ID, Int, ObjectType } from 'type-graphql';
import type { AuditVerification } from '../audit/audit.service.js';
import type { AuditEntry } from '../audit/audit-log.js';
import { type Connection, mapNodes } from '../shared/connection.js';
import { AuditActorType } from './enums.js';
import { PageInfoType } from './message.types.js';

@ObjectType('AuditEntry', { description: 'One security-relevant act: who did what to what, from where, and what changed (secrets redacted)' })
export class AuditEntryType {
  @Field(() => ID)
  id!: string;

  @Field(() => Date)
  at!: Date;

  @Field(() => AuditActorType)
  actorType!: AuditActorType;

  @Field(() => ID, { nullable: true, description: 'The user (USER), the API key (API_KEY); null for SYSTEM and ANONYMOUS' })
  actorId!: string | null;

  @Field(() => String, { description: 'What was done, e.g. auth.login, webhook.secret_rotated (docs/security.md lists them all)' })
  action!: string;

  @Field(() => String, { nullable: true, description: 'What it was done to: user, webhook, api_key, sla_policy, settings, export, sign_in' })
  targetType!: string | null;

  @Field(() => ID, { nullable: true })
  targetId!: string | null;

  @Field(() => String, { nullable: true, description: "The client's address as the server saw it" })
  ip!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Each changed field as { before, after }; secret values are "[redacted]"' })
  diff!: Record<string, unknown> | null;

  static from(entry: AuditEntry): AuditEntryType {
    return Object.assign(new AuditEntryType(), {
      id: entry.id,
      at: entry.at,
      actorType: entry.actorType as AuditActorType,
      actorId: entry.actorId,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      ip: entry.ip,
      userAgent: entry.userAgent,
      diff: entry.diff,
    });
  }
}

@ArgsType()
export class AuditLogArgsType {
  @Field(() => String, { nullable: true, description: 'Only this action (one of the documented actions; anything else is BAD_USER_INPUT)' })
  action?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only entries of this actor (a user id or an API key id)' })
  actorId?: string | null;

  @Field(() => Date, { nullable: true, description: 'Entries at or after this instant' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: '… and before this one' })
  to?: Date | null;

  @Field(() => Int, { nullable: true, description: '1 to 200; default 50' })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

@ObjectType('AuditEntryEdge')
export class AuditEntryEdgeType {
  @Field(() => String, { description: 'Pass as `after` for the older entries' })
  cursor!: string;

  @Field(() => AuditEntryType)
  node!: AuditEntryType;
}

@ObjectType('AuditLogConnection', { description: "The tenant's audit log, newest first (a Relay connection)" })
export class AuditLogConnectionType {
  @Field(() => [AuditEntryEdgeType])
  edges!: AuditEntryEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  @Field(() => Int, { description: 'Entries matching the filters, over every page' })
  totalCount!: number;

  static from(page: Connection<AuditEntry> & { totalCount: number }): AuditLogConnectionType {
    return mapNodes(page, (node) => AuditEntryType.from(node));
  }
}

@ObjectType('AuditVerification', { description: "The tenant's audit chain, checked link by link" })
export class AuditVerificationType {
  @Field(() => Boolean, { description: 'Every entry is as written, and none is missing between the first and the last' })
  ok!: boolean;

  @Field(() => ID, { nullable: true, description: 'The first entry whose link is broken: changed itself, or following an entry that was removed or changed' })
  firstBrokenId!: string | null;

  @Field(() => Int, { description: 'Entries checked' })
  checked!: number;

  static from(result: AuditVerification): AuditVerificationType {
    return Object.assign(new AuditVerificationType(), result);
  }
}
