import { Migration } from '@mikro-orm/migrations';

/**
 * Snooze (docs/desk.md, "Snooze"): the SNOOZED status, the session's wake time, and every snooze
 * as history (`session_snoozes`), so SLA clocks stay a pure function of what happened: each
 * snooze interval [snoozed_at, woke_at) is cut out of them. The wake itself is a durable timer.
 * A snoozed session still holds its agent's seat: the per-agent index of open sessions, which
 * auto-assignment counts, now covers every status but CLOSED.
 */
export class Migration20261208160000_snooze extends Migration {
  override name = 'Migration20261208160000_snooze';

  override up(): void | Promise<void> {
    this.addSql(`alter type "session_status" add value if not exists 'SNOOZED';`);
    this.addSql(`alter table "chat_sessions" add column "snoozed_until" timestamptz null;`);
    this.addSql(
      `create table "session_snoozes" ("id" bigserial primary key, "tenant_id" bigint not null, "session_id" bigint not null, "snoozed_at" timestamptz not null, "until" timestamptz not null, "woke_at" timestamptz null, "woken_by" varchar(16) null,
        constraint "session_snoozes_session_fk" foreign key ("session_id") references "chat_sessions" ("id") on delete cascade,
        constraint "session_snoozes_tenant_fk" foreign key ("tenant_id") references "tenants" ("id") on delete cascade);`,
    );
    this.addSql(`create index "session_snoozes_session_index" on "session_snoozes" ("session_id", "snoozed_at");`);
    // At most one open snooze per session: snoozing again moves its `until`.
    this.addSql(`create unique index "session_snoozes_open_unique" on "session_snoozes" ("session_id") where "woke_at" is null;`);
    this.addSql(`drop index "chat_sessions_agent_active_index";`);
    this.addSql(`create index "chat_sessions_agent_active_index" on "chat_sessions" ("tenant_id", "agent_id") where "status" <> 'CLOSED' and "kind" = 'SUPPORT';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "chat_sessions_agent_active_index";`);
    this.addSql(`update "chat_sessions" set "status" = 'ACTIVE' where "status" = 'SNOOZED';`);
    this.addSql(`create index "chat_sessions_agent_active_index" on "chat_sessions" ("tenant_id", "agent_id") where "status" = 'ACTIVE' and "kind" = 'SUPPORT';`);
    this.addSql(`drop table "session_snoozes";`);
    this.addSql(`alter table "chat_sessions" drop column "snoozed_until";`);
    // PostgreSQL cannot drop an enum value; SNOOZED stays in the type, unused.
  }
}
