import { Migration } from '@mikro-orm/migrations';

/**
 * Exact unread counts and the agent inbox (docs/desk.md, "Unread counts and the inbox").
 *
 * Counters are maintained by triggers in the transaction of the write that changes them, so no
 * code path (send, note, delete, read mark, a new participant) can forget one, and reading a
 * count never scans messages:
 * - `participants.unread_count`: messages after the participant's read watermark that they did
 *   not send and may see (notes only for AGENT/BOT participants), not deleted;
 * - `chat_sessions.visible_count` / `staff_visible_count`: the session's messages that are not
 *   deleted, without and with private notes: what a reader with watermark 0 has unread, so a new
 *   participant's counter starts exact without counting rows;
 * - `chat_sessions.last_activity_at`: the newest `message.created` or `session.*` outbox row, the
 *   inbox's order, with indexes for (tenant, activity, id) keyset pages.
 *
 * Concurrency: every write that moves a counter holds the session's row lock (sends, notes,
 * deletes and read marks take it in the application; a participant insert takes it here), so
 * a watermark move and a concurrent send are serialised and neither misses the other.
 */
/**
 * The counters recomputed from the messages: the backfill of existing rows, and what the unread
 * test holds the triggers to (after a random run, recomputing must change nothing).
 */
export const COUNTER_BACKFILL: readonly string[] = [
  `update "chat_sessions" s set
  "visible_count" = (select count(*) from "chat_messages" m where m."session_id" = s."id" and m."deleted_at" is null and not m."private"),
  "staff_visible_count" = (select count(*) from "chat_messages" m where m."session_id" = s."id" and m."deleted_at" is null);`,
  `update "participants" p set "unread_count" = (
  select count(*) from "chat_messages" m
  where m."session_id" = p."session_id" and m."id" > p."last_read_message_id" and m."deleted_at" is null
    and m."sender_id" is distinct from p."id" and (not m."private" or p."role" in ('AGENT', 'BOT')));`,
];

export class Migration20261130010000_unread_inbox extends Migration {
  override name = 'Migration20261130010000_unread_inbox';

  override up(): void | Promise<void> {
    this.addSql(`alter table "participants" add column "unread_count" int not null default 0;`);
    this.addSql(
      `alter table "chat_sessions" add column "visible_count" int not null default 0, add column "staff_visible_count" int not null default 0, add column "last_activity_at" timestamptz not null default now();`,
    );

    // Existing rows.
    for (const sql of COUNTER_BACKFILL) this.addSql(sql);
    this.addSql(`
update "chat_sessions" s set "last_activity_at" = coalesce(
  (select max(e."created_at") from "session_events" e where e."session_id" = s."id" and (e."type" = 'message.created' or e."type" like 'session.%')),
  greatest(s."started_at", coalesce(s."last_message_at", s."started_at"), coalesce(s."ended_at", s."started_at")));`);

    // New messages: one more unread for every other participant who may see each. A statement
    // trigger over the inserted rows, so a bulk insert (COPY) updates each session and participant
    // once instead of once per message (one row updated a million times in one transaction would
    // walk an ever longer version chain).
    this.addSql(`
create or replace function "parley_unread_messages_inserted"() returns trigger language plpgsql as $$
begin
  update "chat_sessions" s set
    "visible_count" = s."visible_count" + c.visible,
    "staff_visible_count" = s."staff_visible_count" + c.staff
  from (select "session_id", count(*) filter (where not "private") as visible, count(*) as staff
          from "new_messages" where "deleted_at" is null group by "session_id") c
  where s."id" = c."session_id";
  update "participants" p set "unread_count" = p."unread_count" + c.n
  from (select r."id", count(*) as n
          from "new_messages" m join "participants" r on r."session_id" = m."session_id"
         where m."deleted_at" is null and m."sender_id" is distinct from r."id" and r."last_read_message_id" < m."id"
           and (not m."private" or r."role" in ('AGENT', 'BOT'))
         group by r."id") c
  where p."id" = c."id";
  return null;
end;
$$;`);
    this.addSql(
      `create trigger "chat_messages_unread_insert" after insert on "chat_messages" referencing new table as "new_messages" for each statement execute function "parley_unread_messages_inserted"();`,
    );

    // A deleted message no longer counts (nor would an undeleted one stop counting).
    this.addSql(`
create or replace function "parley_unread_message_deleted"() returns trigger language plpgsql as $$
declare
  delta int := case when new."deleted_at" is null then 1 else -1 end;
begin
  update "chat_sessions" set
    "visible_count" = "visible_count" + (case when new."private" then 0 else delta end),
    "staff_visible_count" = "staff_visible_count" + delta
  where "id" = new."session_id";
  update "participants" set "unread_count" = "unread_count" + delta
  where "session_id" = new."session_id" and "id" is distinct from new."sender_id" and "last_read_message_id" < new."id"
    and (not new."private" or "role" in ('AGENT', 'BOT'));
  return null;
end;
$$;`);
    this.addSql(
      `create trigger "chat_messages_unread_delete" after update of "deleted_at" on "chat_messages" for each row when ((old."deleted_at" is null) <> (new."deleted_at" is null)) execute function "parley_unread_message_deleted"();`,
    );

    // A new participant: everything after its watermark that it may see (watermark 0: the session's counters, no scan).
    this.addSql(`
create or replace function "parley_unread_participant_inserted"() returns trigger language plpgsql as $$
declare
  visible int;
  staff int;
begin
  select "visible_count", "staff_visible_count" into visible, staff from "chat_sessions" where "id" = new."session_id" for update;
  if new."last_read_message_id" = 0 then
    new."unread_count" := case when new."role" in ('AGENT', 'BOT') then coalesce(staff, 0) else coalesce(visible, 0) end;
  else
    new."unread_count" := (select count(*) from "chat_messages" m
      where m."session_id" = new."session_id" and m."id" > new."last_read_message_id" and m."deleted_at" is null
        and (not m."private" or new."role" in ('AGENT', 'BOT')));
  end if;
  return new;
end;
$$;`);
    this.addSql(`create trigger "participants_unread_insert" before insert on "participants" for each row execute function "parley_unread_participant_inserted"();`);

    // A moved watermark: reading to the end is O(1); a partial read counts only the range it acknowledges.
    this.addSql(`
create or replace function "parley_unread_watermark_moved"() returns trigger language plpgsql as $$
declare
  newest bigint;
begin
  select coalesce(max("id"), 0) into newest from "chat_messages" where "session_id" = new."session_id";
  if new."last_read_message_id" >= newest then
    new."unread_count" := 0;
  elsif new."last_read_message_id" > old."last_read_message_id" and new."role" = old."role" then
    new."unread_count" := old."unread_count" - (select count(*) from "chat_messages" m
      where m."session_id" = new."session_id" and m."id" > old."last_read_message_id" and m."id" <= new."last_read_message_id"
        and m."deleted_at" is null and m."sender_id" is distinct from new."id" and (not m."private" or new."role" in ('AGENT', 'BOT')));
  else
    new."unread_count" := (select count(*) from "chat_messages" m
      where m."session_id" = new."session_id" and m."id" > new."last_read_message_id" and m."deleted_at" is null
        and m."sender_id" is distinct from new."id" and (not m."private" or new."role" in ('AGENT', 'BOT')));
  end if;
  return new;
end;
$$;`);
    this.addSql(
      `create trigger "participants_unread_watermark" before update of "last_read_message_id", "role" on "participants" for each row when (old."last_read_message_id" <> new."last_read_message_id" or old."role" <> new."role") execute function "parley_unread_watermark_moved"();`,
    );

    // The inbox order: the newest message or lifecycle change.
    this.addSql(`
create or replace function "parley_session_activity"() returns trigger language plpgsql as $$
begin
  update "chat_sessions" set "last_activity_at" = greatest("last_activity_at", new."created_at") where "id" = new."session_id";
  return null;
end;
$$;`);
    this.addSql(
      `create trigger "session_events_activity" after insert on "session_events" for each row when (new."type" = 'message.created' or new."type" like 'session.%') execute function "parley_session_activity"();`,
    );

    this.addSql(`create index "chat_sessions_inbox_activity_index" on "chat_sessions" ("tenant_id", "last_activity_at" desc, "id" desc) where "kind" = 'SUPPORT';`);
    this.addSql(`create index "chat_sessions_inbox_agent_activity_index" on "chat_sessions" ("tenant_id", "agent_id", "last_activity_at" desc, "id" desc) where "kind" = 'SUPPORT';`);
    this.addSql(`create index "chat_sessions_inbox_status_activity_index" on "chat_sessions" ("tenant_id", "status", "last_activity_at" desc, "id" desc) where "kind" = 'SUPPORT';`);
    // me.unreadTotal reads only the viewer's participant rows that have something unread.
    this.addSql(`create index "participants_user_id_unread_index" on "participants" ("user_id", "session_id") include ("unread_count") where "unread_count" > 0;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "participants_user_id_unread_index";`);
    this.addSql(`drop index if exists "chat_sessions_inbox_status_activity_index";`);
    this.addSql(`drop index if exists "chat_sessions_inbox_agent_activity_index";`);
    this.addSql(`drop index if exists "chat_sessions_inbox_activity_index";`);
    this.addSql(`drop trigger if exists "session_events_activity" on "session_events";`);
    this.addSql(`drop function if exists "parley_session_activity"();`);
    this.addSql(`drop trigger if exists "participants_unread_watermark" on "participants";`);
    this.addSql(`drop function if exists "parley_unread_watermark_moved"();`);
    this.addSql(`drop trigger if exists "participants_unread_insert" on "participants";`);
    this.addSql(`drop function if exists "parley_unread_participant_inserted"();`);
    this.addSql(`drop trigger if exists "chat_messages_unread_delete" on "chat_messages";`);
    this.addSql(`drop function if exists "parley_unread_message_deleted"();`);
    this.addSql(`drop trigger if exists "chat_messages_unread_insert" on "chat_messages";`);
    this.addSql(`drop function if exists "parley_unread_messages_inserted"();`);
    this.addSql(`alter table "chat_sessions" drop column "visible_count", drop column "staff_visible_count", drop column "last_activity_at";`);
    this.addSql(`alter table "participants" drop column "unread_count";`);
  }
}
