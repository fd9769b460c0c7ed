import { Migration } from '@mikro-orm/migrations';

/**
 * SLA reports (sla/sla-report.ts) find the sessions with a clock decided in a range among other
 * things by their close: this partial index serves "closed in [from, to)" as one range scan.
 */
export class Migration20261208170000_sla_reports extends Migration {
  override name = 'Migration20261208170000_sla_reports';

  override up(): void | Promise<void> {
    this.addSql(`create index "chat_sessions_tenant_id_ended_at_index" on "chat_sessions" ("tenant_id", "ended_at") where "ended_at" is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "chat_sessions_tenant_id_ended_at_index";`);
  }
}
