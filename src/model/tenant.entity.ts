import { randomBytes } from 'node:crypto';
import { BigIntType, type Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { MAX_TENANT_NAME_LENGTH, MAX_TENANT_SLUG_LENGTH } from '../shared/limits.js';
import { TextArrayType } from './text-array.type.js';

/** A workspace. Everything else belongs to exactly one tenant. */
@Entity({ tableName: 'tenants' })
export class Tenant {
  @PrimaryKey({ type: new BigIntType('string') })
  id!: string;

  @Property({ type: 'string', length: MAX_TENANT_SLUG_LENGTH, unique: true })
  slug!: string;

  @Property({ type: 'string', length: MAX_TENANT_NAME_LENGTH })
  name!: string;

  /** Public key a website widget presents to open a guest session (not a secret; origins are checked). */
  @Property({ type: 'string', length: 64, unique: true })
  widgetKey: string & Opt = `wk_${randomBytes(18).toString('base64url')}`;

  @Property({ type: TextArrayType })
  allowedOrigins: string[] & Opt = [];

  /**
   * The text-search configuration messages are indexed and searched with (docs/search.md);
   * changed only through SearchService.setLanguage, which re-indexes the tenant's messages.
   */
  @Property({ type: 'string', columnType: 'regconfig', default: 'simple' })
  searchConfig: string & Opt = 'simple';

  /** Auto-assignment of new and waiting support sessions to free agents (off by default). */
  @Property({ type: 'boolean', default: false })
  autoAssign: boolean & Opt = false;

  /** Out-of-hours auto-reply (hours/auto-reply.reaction.ts): on, and its text. */
  @Property({ type: 'boolean', default: false })
  autoReplyEnabled: boolean & Opt = false;

  @Property({ type: 'text', nullable: true })
  autoReplyOutOfHours: string | null = null;

  /** Auto-close (hours/auto-close.reaction.ts): seconds of customer silence after a reply; null: off. */
  @Property({ type: 'integer', nullable: true })
  autoCloseSeconds: number | null = null;

  /** The automatic message posted when a session is auto-closed; null: the default text. */
  @Property({ type: 'text', nullable: true })
  autoCloseMessage: string | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();
}
