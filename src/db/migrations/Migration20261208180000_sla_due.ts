import { Migration } from '@mikro-orm/migrations';

/**
 * The inbox's SLA order (docs/desk.md, "SLA policies"): `sla_due_at` is the nearest due time of a
 * session's running SLA clocks, written by the SLA reaction in the pass that sets its timers
 * (null: no clock runs). Clocks are computed from history, so SQL cannot order by them; this
 * stored copy can, keyset-paged on (sla_due_at, id) like the activity order. Existing sessions
 * get theirs from one re-evaluation per tenant with policies, scheduled here as the SLA
 * reaction's own policy-change timer would be.
 */
export class Migration20261208180000_sla_due extends Migration {
  override name = 'Migration20261208180000_sla_due';

  override up(): void | Promise<void> {
    this.addSql(`alter table "chat_sessions" add column "sla_due_at" timestamptz null;`);
    this.addSql(`create index "chat_sessions_inbox_sla_due_index" on "chat_sessions" ("tenant_id", "sla_due_at", "id") where "kind" = 'SUPPORT';`);
    this.addSql(`create index "chat_sessions_inbox_agent_sla_due_index" on "chat_sessions" ("tenant_id", "agent_id", "sla_due_at", "id") where "kind" = 'SUPPORT';`);
    this.addSql(`insert into "timers" ("reaction", "key", "tenant_id", "due_at", "payload")
      select 'sla', 'tenant:' || "tenant_id", "tenant_id", now(), '{}' from "sla_policies" group by "tenant_id"
      on conflict ("reaction", "key") do update set "due_at" = now(), "payload" = '{}', "attempts" = 0;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "chat_sessions_inbox_agent_sla_due_index";`);
    this.addSql(`drop index if exists "chat_sessions_inbox_sla_due_index";`);
    this.addSql(`alter table "chat_sessions" drop column "sla_due_at";`);
  }
}
