import { Migration } from '@mikro-orm/migrations';

/**
 * Reactions and durable timers (docs/architecture.md, "Reactions and timers").
 *
 * - `session_events.tx`: the id of the transaction that wrote the event. Reactions read the outbox
 *   in (tx, id) order up to the oldest transaction still running (`pg_snapshot_xmin`): an event
 *   below that horizon is committed (or rolled back) and nothing can appear beneath it later, so a
 *   checkpoint never skips an event whose transaction committed late. Rows written before this
 *   migration have none and are never read by reactions.
 * - `reaction_checkpoints`: per reaction, the last (tx, id) it finished, and the lease of the node
 *   working on it (lease times are the database's clock). `attempts`/`retry_at`/`last_error` are
 *   the current event's failures.
 * - `reaction_parked`: events and timers (with their payload) a reaction gave up on after its
 *   attempts, kept to be seen and retried (`npm run admin -- reactions`).
 * - `timers`: work due at a time, one row per (reaction, key); scheduling the same key again moves
 *   it (and bumps `version`, so a run of the old schedule does not delete the new one).
 */
export class Migration20261207180000_reactions_timers extends Migration {
  override name = 'Migration20261207180000_reactions_timers';

  override up(): void | Promise<void> {
    this.addSql(`alter table "session_events" add column "tx" xid8 null;`);
    this.addSql(`alter table "session_events" alter column "tx" set default pg_current_xact_id();`);
    this.addSql(`create index "session_events_tx_id_index" on "session_events" ("tx", "id") where "tx" is not null;`);
    this.addSql(
      `create table "reaction_checkpoints" ("name" varchar(64) primary key, "tx" xid8 not null, "event_id" bigint not null, "lease_owner" varchar(64) null, "lease_until" timestamptz null, "attempts" int not null default 0, "retry_at" timestamptz null, "last_error" varchar(1000) null, "updated_at" timestamptz not null default now());`,
    );
    this.addSql(
      `create table "reaction_parked" ("id" bigserial primary key, "reaction" varchar(64) not null, "event_id" bigint null, "timer_key" varchar(200) null, "tenant_id" bigint null, "payload" jsonb null, "attempts" int not null, "error" varchar(1000) null, "parked_at" timestamptz not null default now());`,
    );
    this.addSql(`create index "reaction_parked_reaction_index" on "reaction_parked" ("reaction", "id");`);
    this.addSql(
      `create table "timers" ("id" bigserial primary key, "reaction" varchar(64) not null, "key" varchar(200) not null, "tenant_id" bigint null references "tenants" ("id") on delete cascade, "due_at" timestamptz not null, "payload" jsonb not null default '{}', "version" int not null default 1, "lease_owner" varchar(64) null, "lease_until" timestamptz null, "attempts" int not null default 0, "last_error" varchar(1000) null, "created_at" timestamptz not null default now());`,
    );
    this.addSql(`alter table "timers" add constraint "timers_reaction_key_unique" unique ("reaction", "key");`);
    this.addSql(`create index "timers_due_at_index" on "timers" ("due_at");`);
  }
}
