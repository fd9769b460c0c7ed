import { Migration } from '@mikro-orm/migrations';

/** Business hours per tenant (docs/desk.md, "Business hours"): one row a tenant, none meaning always open. */
export class Migration20261208100000_business_hours extends Migration {
  override name = 'Migration20261208100000_business_hours';

  override up(): void | Promise<void> {
    this.addSql(`create table "business_hours" (
  "id" bigserial primary key,
  "tenant_id" bigint not null references "tenants" ("id") on delete cascade,
  "time_zone" varchar(64) not null,
  "openings" jsonb not null,
  "holidays" jsonb not null,
  "updated_at" timestamptz not null
);`);
    this.addSql(`alter table "business_hours" add constraint "business_hours_tenant_id_unique" unique ("tenant_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "business_hours" cascade;`);
  }
}
