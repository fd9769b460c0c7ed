import { Migration } from '@mikro-orm/migrations';

/**
 * Outbound webhooks and API keys (docs/webhooks.md).
 *
 * Deliveries are fed from the outbox by a trigger: every outbox row, as it is inserted, becomes
 * one delivery row per enabled endpoint of its tenant that subscribed to its type, in the same
 * transaction. So a delivery exists exactly when its event committed (no cursor over the outbox,
 * whose ids are in commit order only within a session), and no code path can forget it. A
 * delivery copies the event (type, payload, seq, time): outbox pruning never takes a pending
 * delivery's body with it.
 */
export class Migration20261130000000_webhooks_api_keys extends Migration {
  override name = 'Migration20261130000000_webhooks_api_keys';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "webhook_endpoints" ("id" bigserial primary key, "tenant_id" bigint not null references "tenants" ("id") on delete cascade, "url" varchar(2048) not null, "events" text[] not null default '{}', "include_private" boolean not null default false, "enabled" boolean not null default true, "disabled_reason" varchar(16) null, "secret" varchar(128) not null, "previous_secret" varchar(128) null, "previous_secret_expires_at" timestamptz null, "failing_since" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`,
    );
    this.addSql(`create index "webhook_endpoints_tenant_id_index" on "webhook_endpoints" ("tenant_id");`);

    this.addSql(
      `create table "webhook_deliveries" ("id" bigserial primary key, "tenant_id" bigint not null references "tenants" ("id") on delete cascade, "endpoint_id" bigint not null references "webhook_endpoints" ("id") on delete cascade, "message_id" varchar(64) not null, "event_id" bigint null, "session_id" bigint null, "seq" bigint null, "type" varchar(32) not null, "payload" jsonb not null, "event_created_at" timestamptz not null, "status" varchar(16) not null default 'pending', "attempts" integer not null default 0, "next_attempt_at" timestamptz not null, "retry_from" timestamptz not null, "claim_token" uuid null, "last_status_code" integer null, "last_error" varchar(64) null, "delivered_at" timestamptz null, "created_at" timestamptz not null);`,
    );
    // What the workers claim: due, pending deliveries.
    this.addSql(`create index "webhook_deliveries_due_index" on "webhook_deliveries" ("next_attempt_at") where "status" = 'pending';`);
    // Per-session order: "is an earlier delivery of this session to this endpoint still pending?"
    this.addSql(`create index "webhook_deliveries_order_index" on "webhook_deliveries" ("endpoint_id", "session_id", "seq") where "status" = 'pending';`);
    this.addSql(`create index "webhook_deliveries_endpoint_id_id_index" on "webhook_deliveries" ("endpoint_id", "id");`);
    this.addSql(`create index "webhook_deliveries_created_at_index" on "webhook_deliveries" ("created_at");`);

    this.addSql(
      `create table "webhook_attempts" ("id" bigserial primary key, "tenant_id" bigint not null references "tenants" ("id") on delete cascade, "delivery_id" bigint not null references "webhook_deliveries" ("id") on delete cascade, "attempted_at" timestamptz not null, "status_code" integer null, "ok" boolean not null, "latency_ms" integer not null, "error" varchar(64) null, "response_body" text not null default '');`,
    );
    this.addSql(`create index "webhook_attempts_delivery_id_id_index" on "webhook_attempts" ("delivery_id", "id");`);

    this.addSql(`
create or replace function "parley_fan_out_webhooks"() returns trigger language plpgsql as $$
begin
  insert into "webhook_deliveries" ("tenant_id", "endpoint_id", "message_id", "event_id", "session_id", "seq", "type", "payload", "event_created_at", "next_attempt_at", "retry_from", "created_at")
  select new."tenant_id", w."id", 'msg_' || new."id", new."id", new."session_id", new."seq", new."type", new."payload", new."created_at", now(), now(), now()
  from "webhook_endpoints" w
  where w."tenant_id" = new."tenant_id" and w."enabled" and (cardinality(w."events") = 0 or new."type" = any(w."events"));
  return null;
end;
$$;`);
    // After insert: the before-insert trigger has numbered the row (id, seq) by then.
    this.addSql(`create trigger "session_events_fan_out_webhooks" after insert on "session_events" for each row execute function "parley_fan_out_webhooks"();`);

    this.addSql(
      `create table "api_keys" ("id" bigserial primary key, "tenant_id" bigint not null references "tenants" ("id") on delete cascade, "user_id" bigint not null references "users" ("id") on delete cascade, "name" varchar(100) not null, "prefix" varchar(16) not null, "key_hash" varchar(64) not null, "created_at" timestamptz not null, "revoked_at" timestamptz null);`,
    );
    this.addSql(`create unique index "api_keys_key_hash_unique" on "api_keys" ("key_hash");`);
    this.addSql(`create index "api_keys_tenant_id_index" on "api_keys" ("tenant_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "api_keys";`);
    this.addSql(`drop trigger if exists "session_events_fan_out_webhooks" on "session_events";`);
    this.addSql(`drop function if exists "parley_fan_out_webhooks"();`);
    this.addSql(`drop table if exists "webhook_attempts";`);
    this.addSql(`drop table if exists "webhook_deliveries";`);
    this.addSql(`drop table if exists "webhook_endpoints";`);
  }
}
