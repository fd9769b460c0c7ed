import { Migration } from '@mikro-orm/migrations';

/**
 * The auto-assignment queue drains by priority, then by the oldest wait (docs/desk.md,
 * "Availability and auto-assignment"): its index leads with the priority, highest first
 * (`session_priority` sorts LOW < MEDIUM < HIGH, its declaration order).
 */
export class Migration20261208120000_priority_queue extends Migration {
  override name = 'Migration20261208120000_priority_queue';

  override up(): void | Promise<void> {
    this.addSql(`drop index if exists "chat_sessions_queue_index";`);
    this.addSql(`create index "chat_sessions_queue_index" on "chat_sessions" ("tenant_id", "priority" desc, "queued_at", "id") where "queued_at" is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "chat_sessions_queue_index";`);
    this.addSql(`create index "chat_sessions_queue_index" on "chat_sessions" ("tenant_id", "queued_at", "id") where "queued_at" is not null;`);
  }
}
