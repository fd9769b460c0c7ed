import { Migration } from '@mikro-orm/migrations';

/**
 * Per-session (and per-tenant inbox) event sequence numbers, the basis of ordered, gap-free
 * delivery (src/realtime/PROTOCOL.md).
 *
 * A row trigger numbers every outbox row as it is inserted, so no code path can forget it:
 * - it increments `chat_sessions.last_event_seq`, which takes the session's row lock until the
 *   transaction ends: a session's `seq`s are contiguous (a rolled-back transaction takes its
 *   increment with it) and commit in seq order;
 * - lifecycle events (`session.*`, the inbox's) also increment `tenants.last_inbox_seq` the same
 *   way (session row first, then tenant row: one lock order everywhere);
 * - only then does it draw the row's `id`, so within a session (and within a tenant's inbox) ids
 *   increase in seq order too, and `since = <event id>` keeps meaning "everything after it".
 */
export class Migration20261129200000_event_sequences extends Migration {
  override name = 'Migration20261129200000_event_sequences';

  override up(): void | Promise<void> {
    this.addSql(`alter table "chat_sessions" add column "last_event_seq" bigint not null default 0;`);
    this.addSql(`alter table "tenants" add column "last_inbox_seq" bigint not null default 0;`);
    this.addSql(`alter table "session_events" add column "seq" bigint null, add column "inbox_seq" bigint null;`);

    // Existing rows, numbered in id order (the order they were delivered in).
    this.addSql(`update "session_events" e set "seq" = n.seq from (select "id", row_number() over (partition by "session_id" order by "id") as seq from "session_events") n where e."id" = n."id";`);
    this.addSql(
      `update "session_events" e set "inbox_seq" = n.seq from (select "id", row_number() over (partition by "tenant_id" order by "id") as seq from "session_events" where "type" like 'session.%') n where e."id" = n."id";`,
    );
    this.addSql(`update "chat_sessions" s set "last_event_seq" = m.seq from (select "session_id", max("seq") as seq from "session_events" group by "session_id") m where s."id" = m."session_id";`);
    this.addSql(`update "tenants" t set "last_inbox_seq" = m.seq from (select "tenant_id", max("inbox_seq") as seq from "session_events" group by "tenant_id") m where t."id" = m."tenant_id";`);

    this.addSql(`alter table "session_events" alter column "seq" set not null;`);
    this.addSql(`create unique index "session_events_session_id_seq_unique" on "session_events" ("session_id", "seq");`);
    this.addSql(`create unique index "session_events_tenant_id_inbox_seq_unique" on "session_events" ("tenant_id", "inbox_seq") where "inbox_seq" is not null;`);
    // The inbox resumes from an event id: its lifecycle events by id, without reading message events.
    this.addSql(`create index "session_events_tenant_id_inbox_id_index" on "session_events" ("tenant_id", "id") where "inbox_seq" is not null;`);

    this.addSql(`
create or replace function "parley_number_session_event"() returns trigger language plpgsql as $$
begin
  update "chat_sessions" set "last_event_seq" = "last_event_seq" + 1 where "id" = new."session_id" returning "last_event_seq" into new."seq";
  if new."seq" is null then
    raise exception 'session % of an event does not exist', new."session_id";
  end if;
  if new."type" like 'session.%' then
    update "tenants" set "last_inbox_seq" = "last_inbox_seq" + 1 where "id" = new."tenant_id" returning "last_inbox_seq" into new."inbox_seq";
  else
    new."inbox_seq" := null;
  end if;
  new."id" := nextval('session_events_id_seq');
  return new;
end;
$$;`);
    this.addSql(`create trigger "session_events_number" before insert on "session_events" for each row execute function "parley_number_session_event"();`);
    // The trigger draws the id; a column default would draw one more before it, for nothing.
    this.addSql(`alter table "session_events" alter column "id" drop default;`);

    // How far pruning went: resuming from an id below it may have lost events (RESYNC_REQUIRED).
    // Exact where "the oldest retained id" was not (ids have gaps: rolled-back inserts draw them too).
    this.addSql(`create table "outbox_retention" ("id" smallint primary key check ("id" = 1), "pruned_through" bigint not null default 0);`);
    this.addSql(`insert into "outbox_retention" ("id", "pruned_through") select 1, coalesce(min("id") - 1, 0) from "session_events";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "outbox_retention";`);
    this.addSql(`alter table "session_events" alter column "id" set default nextval('session_events_id_seq');`);
    this.addSql(`drop trigger if exists "session_events_number" on "session_events";`);
    this.addSql(`drop function if exists "parley_number_session_event"();`);
    this.addSql(`drop index if exists "session_events_tenant_id_inbox_id_index";`);
    this.addSql(`drop index if exists "session_events_tenant_id_inbox_seq_unique";`);
    this.addSql(`drop index if exists "session_events_session_id_seq_unique";`);
    this.addSql(`alter table "session_events" drop column "seq", drop column "inbox_seq";`);
    this.addSql(`alter table "tenants" drop column "last_inbox_seq";`);
    this.addSql(`alter table "chat_sessions" drop column "last_event_seq";`);
  }
}
