import { Migration } from '@mikro-orm/migrations';

export class Migration20261122130500_attachments extends Migration {
  override name = 'Migration20261122130500_attachments';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "attachments" ("id" uuid not null, "tenant_id" bigint not null, "message_id" bigint not null, "position" smallint not null, "storage_key" varchar(255) not null, "name" varchar(255) not null, "content_type" varchar(255) not null, "size" bigint not null, "sha256" varchar(64) not null, "metadata" jsonb not null, "created_at" timestamptz not null, constraint "attachments_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "attachments" add constraint "attachments_storage_key_unique" unique ("storage_key");`);
    this.addSql(`create index "attachments_message_id_index" on "attachments" ("message_id");`);

    this.addSql(`alter table "attachments" add constraint "attachments_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade;`);
    this.addSql(`alter table "attachments" add constraint "attachments_message_id_foreign" foreign key ("message_id") references "chat_messages" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "attachments" cascade;`);
  }
}
