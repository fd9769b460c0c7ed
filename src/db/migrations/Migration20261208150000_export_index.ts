import { Migration } from '@mikro-orm/migrations';

/**
 * Report exports (exports/reports.ts) read a tenant's messages of a time range in keyset
 * batches on (created_at, id): this index serves each batch as one range scan, whatever the
 * tenant's size. Every other message read starts from a session.
 */
export class Migration20261208150000_export_index extends Migration {
  override name = 'Migration20261208150000_export_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "chat_messages_tenant_id_created_at_id_index" on "chat_messages" ("tenant_id", "created_at", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "chat_messages_tenant_id_created_at_id_index";`);
  }
}
