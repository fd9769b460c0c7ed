import { Migration } from '@mikro-orm/migrations';

/**
 * SLA policies (docs/desk.md, "SLA policies"): the tenant's policies (at most one per priority,
 * and one default with priority null), a session's override, and `sla_alerts`, one row per
 * session, metric, kind and cycle: the key that makes each warning and breach one event. SLA
 * events (`sla.*`) join the inbox sequence like lifecycle events. The clocks are durable timers.
 */
export class Migration20261208140000_sla extends Migration {
  override name = 'Migration20261208140000_sla';

  override up(): void | Promise<void> {
    this.addSql(`create table "sla_policies" (
      "id" bigserial primary key,
      "tenant_id" bigint not null references "tenants" ("id") on delete cascade,
      "name" varchar(100) not null,
      "priority" text null,
      "first_response_seconds" int null,
      "next_response_seconds" int null,
      "resolution_seconds" int null,
      "business_hours_only" boolean not null default false,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now()
    );`);
    this.addSql(`create unique index "sla_policies_tenant_priority_unique" on "sla_policies" ("tenant_id", coalesce("priority", ''));`);
    this.addSql(`alter table "chat_sessions" add column "sla_policy_id" bigint null references "sla_policies" ("id") on delete set null;`);
    this.addSql(`create table "sla_alerts" (
      "session_id" bigint not null references "chat_sessions" ("id") on delete cascade,
      "metric" text not null,
      "kind" text not null,
      "cycle" text not null,
      "tenant_id" bigint not null references "tenants" ("id") on delete cascade,
      "at" timestamptz not null,
      "policy_id" bigint null,
      "created_at" timestamptz not null default now(),
      primary key ("session_id", "metric", "kind", "cycle")
    );`);
    this.addSql(`create index "sla_alerts_tenant_kind_at_index" on "sla_alerts" ("tenant_id", "kind", "at");`);
    this.addSql(numbering(`new."type" like 'session.%' or new."type" like 'sla.%'`));
  }

  override down(): void | Promise<void> {
    this.addSql(numbering(`new."type" like 'session.%'`));
    this.addSql(`drop table if exists "sla_alerts" cascade;`);
    this.addSql(`alter table "chat_sessions" drop column "sla_policy_id";`);
    this.addSql(`drop table if exists "sla_policies" cascade;`);
  }
}

/** The outbox numbering trigger's function, with `inInbox` deciding which events take an inbox number. */
function numbering(inInbox: string): string {
  return `
create or replace function "parley_number_session_event"() returns trigger language plpgsql as $$
begin
  update "chat_sessions" set "last_event_seq" = "last_event_seq" + 1 where "id" = new."session_id" returning "last_event_seq" into new."seq";
  if new."seq" is null then
    raise exception 'session % of an event does not exist', new."session_id";
  end if;
  if ${inInbox} then
    update "tenants" set "last_inbox_seq" = "last_inbox_seq" + 1 where "id" = new."tenant_id" returning "last_inbox_seq" into new."inbox_seq";
  else
    new."inbox_seq" := null;
  end if;
  new."id" := nextval('session_events_id_seq');
  return new;
end;
$$;`;
}
