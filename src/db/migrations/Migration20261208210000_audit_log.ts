import { Migration } from '@mikro-orm/migrations';

/**
 * The audit log (audit/audit-log.ts): one row per security-relevant act, hash-chained per tenant
 * (each row's `hash` covers its fields and the tenant's previous `hash`). Append-only: a trigger
 * refuses UPDATE and DELETE, so only someone who can disable triggers (the table owner or a
 * superuser) can change history, and `verifyAuditLog` then names the first broken link.
 * Retention would prune from the head of a chain with the trigger disabled in that one
 * transaction, keeping the hash of the last pruned row as the chain's new anchor (not built).
 */
export class Migration20261208210000_audit_log extends Migration {
  override name = 'Migration20261208210000_audit_log';

  override up(): void | Promise<void> {
    this.addSql(`create table "audit_log" (
      "id" bigserial primary key,
      "tenant_id" bigint not null references "tenants" ("id") on delete cascade,
      "at" timestamptz not null,
      "actor_type" varchar(16) not null,
      "actor_id" varchar(64) null,
      "action" varchar(64) not null,
      "target_type" varchar(32) null,
      "target_id" varchar(64) null,
      "ip" varchar(64) null,
      "user_agent" varchar(512) null,
      "diff" jsonb null,
      "prev_hash" char(64) null,
      "hash" char(64) not null
    );`);
    this.addSql(`create index "audit_log_tenant_id_index" on "audit_log" ("tenant_id", "id");`);
    this.addSql(`create index "audit_log_tenant_at_index" on "audit_log" ("tenant_id", "at", "id");`);
    this.addSql(`create function "audit_log_append_only"() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_log is append-only' using errcode = 'insufficient_privilege';
      end $$;`);
    this.addSql(`create trigger "audit_log_append_only" before update or delete on "audit_log"
      for each row execute function "audit_log_append_only"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table "audit_log";`);
    this.addSql(`drop function "audit_log_append_only"();`);
  }
}
