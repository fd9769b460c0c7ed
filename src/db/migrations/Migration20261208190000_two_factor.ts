import { Migration } from '@mikro-orm/migrations';

/**
 * Two-factor sign-in (docs/security.md, "Two-factor sign-in"): a user's TOTP secret (pending until
 * confirmed with a code), the last time step accepted (a code is good once), the failed attempts
 * of the current window, single-use recovery codes kept as SHA-256 hashes, and the roles a
 * tenant requires it of.
 */
export class Migration20261208190000_two_factor extends Migration {
  override name = 'Migration20261208190000_two_factor';

  override up(): void | Promise<void> {
    this.addSql(`create table "user_two_factor" (
      "user_id" bigint primary key references "users" ("id") on delete cascade,
      "tenant_id" bigint not null references "tenants" ("id") on delete cascade,
      "secret" varchar(64) null,
      "pending_secret" varchar(64) null,
      "enabled_at" timestamptz null,
      "last_step" bigint null,
      "failed_attempts" int not null default 0,
      "failures_since" timestamptz null
    );`);
    this.addSql(`create table "recovery_codes" (
      "id" bigserial primary key,
      "user_id" bigint not null references "users" ("id") on delete cascade,
      "code_hash" varchar(64) not null,
      "used_at" timestamptz null,
      unique ("user_id", "code_hash")
    );`);
    this.addSql(`alter table "tenants" add column "two_factor_roles" text[] not null default '{}';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "tenants" drop column "two_factor_roles";`);
    this.addSql(`drop table "recovery_codes";`);
    this.addSql(`drop table "user_two_factor";`);
  }
}
