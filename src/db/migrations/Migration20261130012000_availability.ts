import { Migration } from '@mikro-orm/migrations';

/**
 * Agent availability and auto-assignment: each user's availability, own capacity (null: the
 * configured default) and when auto-assignment last gave them a session (round-robin among
 * ties); the tenant's auto-assignment switch; and a session's place in the tenant's queue
 * (`queued_at`, set while it waits for a free agent, cleared when it is assigned or closed).
 */
export class Migration20261130012000_availability extends Migration {
  override name = 'Migration20261130012000_availability';

  override up(): void | Promise<void> {
    this.addSql(`create type "agent_availability" as enum ('ONLINE', 'BUSY', 'OFFLINE');`);
    this.addSql(`alter table "users" add column "availability" "agent_availability" not null default 'OFFLINE', add column "capacity" int null, add column "last_assigned_at" timestamptz null;`);
    this.addSql(`alter table "tenants" add column "auto_assign" boolean not null default false;`);
    this.addSql(`alter table "chat_sessions" add column "queued_at" timestamptz null;`);
    this.addSql(`create index "chat_sessions_queue_index" on "chat_sessions" ("tenant_id", "queued_at", "id") where "queued_at" is not null;`);
    this.addSql(`create index "chat_sessions_agent_active_index" on "chat_sessions" ("tenant_id", "agent_id") where "status" = 'ACTIVE' and "kind" = 'SUPPORT';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "chat_sessions_agent_active_index";`);
    this.addSql(`drop index "chat_sessions_queue_index";`);
    this.addSql(`alter table "chat_sessions" drop column "queued_at";`);
    this.addSql(`alter table "tenants" drop column "auto_assign";`);
    this.addSql(`alter table "users" drop column "availability", drop column "capacity", drop column "last_assigned_at";`);
    this.addSql(`drop type "agent_availability";`);
  }
}
