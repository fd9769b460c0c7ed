import { Migration } from '@mikro-orm/migrations';

/** Access tokens carry the user's token version; raising it (logout, password change) revokes them all. */
export class Migration20261122130000_token_version extends Migration {
  override name = 'Migration20261122130000_token_version';

  override up(): void | Promise<void> {
    this.addSql(`alter table "users" add column "token_version" int not null default 0;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "users" drop column "token_version";`);
  }
}
