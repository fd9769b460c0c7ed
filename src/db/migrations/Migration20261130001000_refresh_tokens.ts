import { Migration } from '@mikro-orm/migrations';

/** Rotating refresh tokens (model/refresh-token.entity.ts): one row per token, hashed, grouped by sign-in family. */
export class Migration20261130001000_refresh_tokens extends Migration {
  override name = 'Migration20261130001000_refresh_tokens';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "refresh_tokens" ("id" bigserial primary key, "tenant_id" bigint not null references "tenants" ("id") on delete cascade, "user_id" bigint not null references "users" ("id") on delete cascade, "family" uuid not null, "token_hash" varchar(64) not null, "token_version" int not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "revoked_at" timestamptz null);`,
    );
    this.addSql(`create unique index "refresh_tokens_token_hash_unique" on "refresh_tokens" ("token_hash");`);
    this.addSql(`create index "refresh_tokens_family_index" on "refresh_tokens" ("family");`);
    this.addSql(`create index "refresh_tokens_user_id_index" on "refresh_tokens" ("user_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "refresh_tokens";`);
  }
}
