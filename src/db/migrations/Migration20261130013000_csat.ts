import { Migration } from '@mikro-orm/migrations';

/**
 * CSAT and team-lead stats (docs/desk.md, "CSAT and team-lead stats").
 *
 * - `session_ratings`: one rating per session (unique `session_id`), score 1–5 and an optional
 *   comment, with the agent the session had when rated.
 * - `chat_sessions.first_response_ms`: the wait the first support reply ended, kept on write
 *   like the other stats counters, so first-response medians never read messages. Backfilled
 *   from each session's first message with a `response_ms`.
 * - `chat_sessions (tenant_id, started_at)`: stats for a date range read that range only.
 */
export class Migration20261130013000_csat extends Migration {
  override name = 'Migration20261130013000_csat';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "session_ratings" ("id" bigserial primary key, "tenant_id" bigint not null references "tenants" ("id") on delete cascade, "session_id" bigint not null references "chat_sessions" ("id") on delete cascade, "participant_id" bigint not null references "participants" ("id") on delete cascade, "agent_id" bigint null references "users" ("id") on delete set null, "score" smallint not null check ("score" between 1 and 5), "comment" varchar(1000) null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "session_ratings" add constraint "session_ratings_session_id_unique" unique ("session_id");`);
    this.addSql(`create index "session_ratings_tenant_id_agent_id_index" on "session_ratings" ("tenant_id", "agent_id");`);
    this.addSql(`alter table "chat_sessions" add column "first_response_ms" int null;`);
    this.addSql(`
update "chat_sessions" s set "first_response_ms" = (
  select m."response_ms" from "chat_messages" m
   where m."session_id" = s."id" and m."response_ms" is not null
   order by m."id" limit 1)
 where s."first_response_at" is not null;`);
    this.addSql(`create index "chat_sessions_tenant_id_started_at_index" on "chat_sessions" ("tenant_id", "started_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "chat_sessions_tenant_id_started_at_index";`);
    this.addSql(`alter table "chat_sessions" drop column "first_response_ms";`);
    this.addSql(`drop table if exists "session_ratings";`);
  }
}
