import { Migration } from '@mikro-orm/migrations';

/**
 * Out-of-hours auto-replies (docs/desk.md, "Business hours and auto-replies"): the tenant's
 * setting, automatic messages, and `automatic_messages`, one row per session and key (an auto-reply's
 * key names the closed period), whose primary key makes each happen once however often a reaction runs.
 */
export class Migration20261208110000_auto_replies extends Migration {
  override name = 'Migration20261208110000_auto_replies';

  override up(): void | Promise<void> {
    this.addSql(`alter table "chat_messages" add column "automatic" boolean not null default false;`);
    this.addSql(`alter table "tenants" add column "auto_reply_enabled" boolean not null default false, add column "auto_reply_out_of_hours" text null;`);
    this.addSql(`create table "automatic_messages" (
  "session_id" bigint not null references "chat_sessions" ("id") on delete cascade,
  "key" varchar(100) not null,
  "tenant_id" bigint not null references "tenants" ("id") on delete cascade,
  "message_id" bigint null references "chat_messages" ("id") on delete set null,
  "created_at" timestamptz not null,
  primary key ("session_id", "key")
);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "automatic_messages" cascade;`);
    this.addSql(`alter table "tenants" drop column "auto_reply_enabled", drop column "auto_reply_out_of_hours";`);
    this.addSql(`alter table "chat_messages" drop column "automatic";`);
  }
}
