import { Migration } from '@mikro-orm/migrations';

/**
 * Secrets at rest (docs/security.md): webhook signing secrets and TOTP secrets are stored sealed
 * (shared/secret-box.ts), a text of about 200 characters, longer than the plaintext columns took.
 * Values stored in the clear before are sealed at start-up (db/stored-secrets.ts), not here: a
 * migration has no key.
 */
export class Migration20261208200000_secrets_at_rest extends Migration {
  override name = 'Migration20261208200000_secrets_at_rest';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhook_endpoints" alter column "secret" type text, alter column "previous_secret" type text;`);
    this.addSql(`alter table "user_two_factor" alter column "secret" type text, alter column "pending_secret" type text;`);
  }

  override down(): void | Promise<void> {
    // Sealed values do not fit the old widths: going down needs the values opened first.
    this.addSql(`alter table "webhook_endpoints" alter column "secret" type varchar(1024), alter column "previous_secret" type varchar(1024);`);
    this.addSql(`alter table "user_two_factor" alter column "secret" type varchar(1024), alter column "pending_secret" type varchar(1024);`);
  }
}
