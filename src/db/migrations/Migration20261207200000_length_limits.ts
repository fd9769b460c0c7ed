import { Migration } from '@mikro-orm/migrations';

/**
 * Columns take the length limits the services enforce (src/shared/limits.ts): a guest's phone
 * (32 characters) and an attachment's name (200, longer names are shortened on upload), so no
 * value the services refuse fits a column either.
 */
export class Migration20261207200000_length_limits extends Migration {
  override name = 'Migration20261207200000_length_limits';

  override up(): void {
    this.addSql(`alter table "chat_sessions" alter column "guest_phone" type varchar(32) using left("guest_phone", 32);`);
    this.addSql(`alter table "attachments" alter column "name" type varchar(200) using left("name", 200);`);
  }

  override down(): void {
    this.addSql(`alter table "chat_sessions" alter column "guest_phone" type varchar(64);`);
    this.addSql(`alter table "attachments" alter column "name" type varchar(255);`);
  }
}
