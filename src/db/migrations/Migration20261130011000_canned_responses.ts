import { Migration } from '@mikro-orm/migrations';

/**
 * Canned responses (docs/desk.md, "Workflow and canned responses").
 *
 * - `short_code` uses the "C" collation: codes are [a-z0-9_-], so byte order is their natural
 *   order, and the unique (tenant_id, short_code) btree then serves `short_code like 'pre%'`
 *   prefix search and keyset paging by code without a second index.
 * - `search_vector`: generated from the content with the `simple` configuration (no stemming,
 *   any language), GIN-indexed for the content search.
 */
export class Migration20261130011000_canned_responses extends Migration {
  override name = 'Migration20261130011000_canned_responses';

  override up(): void | Promise<void> {
    this.addSql(`create table "canned_responses" (
  "id" bigserial primary key,
  "tenant_id" bigint not null references "tenants" ("id") on delete cascade,
  "short_code" varchar(32) collate "C" not null,
  "content" text not null,
  "created_by_id" bigint null references "users" ("id") on delete set null,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "search_vector" tsvector generated always as (to_tsvector('simple'::regconfig, "content")) stored
);`);
    this.addSql(`alter table "canned_responses" add constraint "canned_responses_tenant_id_short_code_unique" unique ("tenant_id", "short_code");`);
    this.addSql(`create index "canned_responses_search_vector_index" on "canned_responses" using gin ("search_vector");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "canned_responses" cascade;`);
  }
}
