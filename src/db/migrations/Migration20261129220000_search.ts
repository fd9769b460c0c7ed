import { Migration } from '@mikro-orm/migrations';

/**
 * Full-text search over messages (docs/search.md).
 *
 * - `tenants.search_config`: the tenant's text-search configuration (`simple` unless an admin
 *   chose another; validated against pg_ts_config by the regconfig type itself).
 * - `chat_messages.search_config`: the configuration a message was indexed with, copied from its
 *   tenant by a BEFORE INSERT trigger (a column default cannot read another table). A generated
 *   column may only read its own row, so the configuration has to be on the row.
 * - `chat_messages.search_vector`: generated and stored from (search_config, content), so edits
 *   are reflected at once; deleted messages are excluded by the query (`deleted_at is null`).
 *   Stored generated columns are computed after BEFORE triggers, so the trigger's value is used.
 * - A GIN index on it. Migrations run in one transaction (allOrNothing), where CREATE INDEX
 *   CONCURRENTLY is refused, on PostgreSQL and PGlite alike; so the index is built plainly
 *   (writes to chat_messages wait while it builds) and `if not exists` lets an operator of a
 *   large PostgreSQL database build it beforehand with CONCURRENTLY under the same name.
 *   Adding the stored column rewrites chat_messages once either way.
 */
export class Migration20261129220000_search extends Migration {
  override name = 'Migration20261129220000_search';

  override up(): void | Promise<void> {
    this.addSql(`alter table "tenants" add column "search_config" regconfig not null default 'simple';`);
    this.addSql(`alter table "chat_messages" add column "search_config" regconfig not null default 'simple';`);
    this.addSql(`alter table "chat_messages" add column "search_vector" tsvector generated always as (to_tsvector("search_config", "content")) stored;`);
    this.addSql(`create index if not exists "chat_messages_search_vector_index" on "chat_messages" using gin ("search_vector");`);

    this.addSql(`
create or replace function "parley_message_search_config"() returns trigger language plpgsql as $$
begin
  select "search_config" into new."search_config" from "tenants" where "id" = new."tenant_id";
  return new;
end;
$$;`);
    this.addSql(`create trigger "chat_messages_search_config" before insert on "chat_messages" for each row execute function "parley_message_search_config"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "chat_messages_search_config" on "chat_messages";`);
    this.addSql(`drop function if exists "parley_message_search_config"();`);
    this.addSql(`drop index if exists "chat_messages_search_vector_index";`);
    this.addSql(`alter table "chat_messages" drop column "search_vector", drop column "search_config";`);
    this.addSql(`alter table "tenants" drop column "search_config";`);
  }
}
