import { Migration } from '@mikro-orm/migrations';

/** Auto-close of silent sessions (docs/desk.md, "Auto-close"): the tenant's setting. Its clocks are durable timers. */
export class Migration20261208130000_auto_close extends Migration {
  override name = 'Migration20261208130000_auto_close';

  override up(): void | Promise<void> {
    this.addSql(`alter table "tenants" add column "auto_close_seconds" int null, add column "auto_close_message" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "tenants" drop column "auto_close_seconds", drop column "auto_close_message";`);
  }
}
