import { Migration } from '@mikro-orm/migrations';

export class Migration20261121144730_initial extends Migration {
  override name = 'Migration20261121144730_initial';

  override up(): void | Promise<void> {
    this.addSql(`create type "user_role" as enum ('ADMIN', 'STAFF', 'USER', 'BOT');`);
    this.addSql(`create type "session_kind" as enum ('SUPPORT', 'ROOM');`);
    this.addSql(`create type "session_status" as enum ('ACTIVE', 'CLOSED');`);
    this.addSql(`create type "session_priority" as enum ('LOW', 'MEDIUM', 'HIGH');`);
    this.addSql(`create type "participant_role" as enum ('CUSTOMER', 'AGENT', 'MEMBER', 'BOT');`);
    this.addSql(`create type "sender_type" as enum ('USER', 'SUPPORT', 'ASSISTANT', 'SYSTEM');`);
    this.addSql(
      `create table "tenants" ("id" bigserial primary key, "slug" varchar(64) not null, "name" varchar(200) not null, "widget_key" varchar(64) not null, "allowed_origins" text[] not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "tenants" add constraint "tenants_slug_unique" unique ("slug");`);
    this.addSql(`alter table "tenants" add constraint "tenants_widget_key_unique" unique ("widget_key");`);

    this.addSql(
      `create table "users" ("id" bigserial primary key, "tenant_id" bigint not null, "role" "user_role" not null, "username" varchar(64) not null, "display_name" varchar(200) not null, "email" varchar(320) null, "password_hash" varchar(255) null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "users" add constraint "users_tenant_id_username_unique" unique ("tenant_id", "username");`);

    this.addSql(
      `create table "chat_sessions" ("id" bigserial primary key, "uuid" uuid not null, "tenant_id" bigint not null, "session_key" varchar(128) null, "kind" "session_kind" not null default 'SUPPORT', "status" "session_status" not null default 'ACTIVE', "priority" "session_priority" not null default 'MEDIUM', "subject" varchar(500) null, "tags" text[] not null, "customer_id" bigint null, "guest_name" varchar(200) null, "guest_email" varchar(320) null, "guest_phone" varchar(64) null, "agent_id" bigint null, "started_at" timestamptz not null, "ended_at" timestamptz null, "waiting_since" timestamptz null, "first_response_at" timestamptz null, "last_message_at" timestamptz null, "message_count" int not null default 0, "response_count" int not null default 0, "response_ms_total" bigint not null default '0', "updated_at" timestamptz not null);`,
    );
    this.addSql(`alter table "chat_sessions" add constraint "chat_sessions_uuid_unique" unique ("uuid");`);
    this.addSql(`create index "chat_sessions_tenant_id_customer_id_index" on "chat_sessions" ("tenant_id", "customer_id");`);
    this.addSql(`create index "chat_sessions_tenant_id_agent_id_index" on "chat_sessions" ("tenant_id", "agent_id");`);
    this.addSql(`create index "chat_sessions_tenant_id_status_index" on "chat_sessions" ("tenant_id", "status");`);
    this.addSql(`alter table "chat_sessions" add constraint "chat_sessions_tenant_id_session_key_unique" unique ("tenant_id", "session_key");`);

    this.addSql(
      `create table "session_events" ("id" bigserial primary key, "tenant_id" bigint not null, "session_id" bigint not null, "type" varchar(32) not null, "payload" jsonb not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`create index "session_events_created_at_index" on "session_events" ("created_at");`);
    this.addSql(`create index "session_events_session_id_id_index" on "session_events" ("session_id", "id");`);

    this.addSql(
      `create table "participants" ("id" bigserial primary key, "tenant_id" bigint not null, "session_id" bigint not null, "user_id" bigint null, "role" "participant_role" not null, "guest_name" varchar(200) null, "last_read_message_id" bigint not null default '0', "last_delivered_message_id" bigint not null default '0', "joined_at" timestamptz not null);`,
    );
    this.addSql(`create index "participants_user_id_index" on "participants" ("user_id");`);
    this.addSql(`alter table "participants" add constraint "participants_session_id_user_id_unique" unique ("session_id", "user_id");`);

    this.addSql(
      `create table "chat_messages" ("id" bigserial primary key, "uuid" uuid not null, "tenant_id" bigint not null, "session_id" bigint not null, "sender_id" bigint null, "sender_type" "sender_type" not null, "content" text not null, "metadata" jsonb not null, "client_message_id" varchar(128) null, "created_at" timestamptz not null, "edited_at" timestamptz null, "deleted_at" timestamptz null, "response_ms" int null);`,
    );
    this.addSql(`alter table "chat_messages" add constraint "chat_messages_uuid_unique" unique ("uuid");`);
    this.addSql(`create index "chat_messages_session_id_created_at_id_index" on "chat_messages" ("session_id", "created_at", "id");`);
    this.addSql(`create index "chat_messages_session_id_id_index" on "chat_messages" ("session_id", "id");`);
    this.addSql(`alter table "chat_messages" add constraint "chat_messages_sender_id_client_message_id_unique" unique ("sender_id", "client_message_id");`);

    this.addSql(`alter table "users" add constraint "users_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade;`);

    this.addSql(`alter table "chat_sessions" add constraint "chat_sessions_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade;`);
    this.addSql(`alter table "chat_sessions" add constraint "chat_sessions_customer_id_foreign" foreign key ("customer_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "chat_sessions" add constraint "chat_sessions_agent_id_foreign" foreign key ("agent_id") references "users" ("id") on delete set null;`);

    this.addSql(`alter table "session_events" add constraint "session_events_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade;`);
    this.addSql(`alter table "session_events" add constraint "session_events_session_id_foreign" foreign key ("session_id") references "chat_sessions" ("id") on delete cascade;`);

    this.addSql(`alter table "participants" add constraint "participants_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade;`);
    this.addSql(`alter table "participants" add constraint "participants_session_id_foreign" foreign key ("session_id") references "chat_sessions" ("id") on delete cascade;`);
    this.addSql(`alter table "participants" add constraint "participants_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "chat_messages" add constraint "chat_messages_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade;`);
    this.addSql(`alter table "chat_messages" add constraint "chat_messages_session_id_foreign" foreign key ("session_id") references "chat_sessions" ("id") on delete cascade;`);
    this.addSql(`alter table "chat_messages" add constraint "chat_messages_sender_id_foreign" foreign key ("sender_id") references "participants" ("id") on delete set null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "users" drop constraint "users_tenant_id_foreign";`);
    this.addSql(`alter table "chat_sessions" drop constraint "chat_sessions_tenant_id_foreign";`);
    this.addSql(`alter table "session_events" drop constraint "session_events_tenant_id_foreign";`);
    this.addSql(`alter table "participants" drop constraint "participants_tenant_id_foreign";`);
    this.addSql(`alter table "chat_messages" drop constraint "chat_messages_tenant_id_foreign";`);
    this.addSql(`alter table "chat_sessions" drop constraint "chat_sessions_customer_id_foreign";`);
    this.addSql(`alter table "chat_sessions" drop constraint "chat_sessions_agent_id_foreign";`);
    this.addSql(`alter table "participants" drop constraint "participants_user_id_foreign";`);
    this.addSql(`alter table "session_events" drop constraint "session_events_session_id_foreign";`);
    this.addSql(`alter table "participants" drop constraint "participants_session_id_foreign";`);
    this.addSql(`alter table "chat_messages" drop constraint "chat_messages_session_id_foreign";`);
    this.addSql(`alter table "chat_messages" drop constraint "chat_messages_sender_id_foreign";`);

    this.addSql(`drop table if exists "tenants" cascade;`);
    this.addSql(`drop table if exists "users" cascade;`);
    this.addSql(`drop table if exists "chat_sessions" cascade;`);
    this.addSql(`drop table if exists "session_events" cascade;`);
    this.addSql(`drop table if exists "participants" cascade;`);
    this.addSql(`drop table if exists "chat_messages" cascade;`);

    this.addSql(`drop type "user_role";`);
    this.addSql(`drop type "session_kind";`);
    this.addSql(`drop type "session_status";`);
    this.addSql(`drop type "session_priority";`);
    this.addSql(`drop type "participant_role";`);
    this.addSql(`drop type "sender_type";`);
  }
}
