import { Migration } from '@mikro-orm/migrations';

/**
 * Private notes: messages only support staff, admins and bots see. `chat_sessions.note_count`
 * counts them apart from `message_count`, so totals and stats a customer sees never include them.
 */
export class Migration20261130002000_private_notes extends Migration {
  override name = 'Migration20261130002000_private_notes';

  override up(): void | Promise<void> {
    this.addSql(`alter table "chat_messages" add column "private" boolean not null default false;`);
    this.addSql(`alter table "chat_sessions" add column "note_count" int not null default 0;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "chat_sessions" drop column "note_count";`);
    this.addSql(`alter table "chat_messages" drop column "private";`);
  }
}
