import { Migration } from '@mikro-orm/migrations';

/**
 * `chat_sessions.last_message_id`: the session's newest message id, written by each send under
 * the session's row lock together with its outbox event. With `last_event_seq` it makes one
 * session row a consistent cut of history: a page reads messages up to `last_message_id`, and
 * `lastEventId` names the event at `last_event_seq`, so subscribing `since` it continues exactly
 * where the page ends (no gap, no repeat).
 */
export class Migration20261129233000_history_cut extends Migration {
  override up(): void | Promise<void> {
    this.addSql(`alter table "chat_sessions" add column "last_message_id" bigint not null default 0;`);
    this.addSql(`update "chat_sessions" s set "last_message_id" = m.last from (select "session_id", max("id") as last from "chat_messages" group by "session_id") m where s."id" = m."session_id";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "chat_sessions" drop column "last_message_id";`);
  }
}
