import { Migration } from '@mikro-orm/migrations';

/**
 * `chat_messages.version`: 1 when sent, one more with each edit or delete. Events carry it, so of
 * two copies of a message (a page read now and an event replayed from before an edit) a client
 * keeps the one with the higher version and never goes backwards.
 */
export class Migration20261129234500_message_version extends Migration {
  override up(): void | Promise<void> {
    this.addSql(`alter table "chat_messages" add column "version" int not null default 1;`);
    this.addSql(
      `update "chat_messages" set "version" = 1 + (case when "edited_at" is not null then 1 else 0 end) + (case when "deleted_at" is not null then 1 else 0 end) where "edited_at" is not null or "deleted_at" is not null;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "chat_messages" drop column "version";`);
  }
}
