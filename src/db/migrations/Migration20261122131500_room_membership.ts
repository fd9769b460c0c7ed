import { Migration } from '@mikro-orm/migrations';

/**
 * Room membership can end (removeRoomMember). The participant row stays, so the member's
 * messages keep their sender; `left_at` marks it as no longer granting access.
 */
export class Migration20261122131500_room_membership extends Migration {
  override name = 'Migration20261122131500_room_membership';

  override up(): void | Promise<void> {
    this.addSql(`alter table "participants" add column "left_at" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "participants" drop column "left_at";`);
  }
}
