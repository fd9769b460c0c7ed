import type { Logger } from 'pino';
import type { Orm } from '../db/orm.js';

/** How often the outbox is pruned (and once at start). */
export const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Deletes outbox events older than the retention window, across tenants (a maintenance job, not a
 * request: it runs on the raw connection, outside the tenant filter), except those a reaction has
 * still to finish, and records the highest id it deleted: resuming from an id below that fails with RESYNC_REQUIRED (realtime.service.ts).
 */
export async function pruneEvents(orm: Orm, retentionDays: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * 24 * 60 * 60 * 1000);
  // One statement: the rows go and the watermark moves together, so a resume never sees one without the other.
  const rows = await orm.em
    .fork()
    .getConnection()
    .execute<{ deleted: string }[]>(
      `with gone as (
         delete from session_events e where e.created_at < ?
            -- An event a reaction has still to finish stays (a checkpoint untouched for the whole
            -- window belongs to a reaction no longer registered, and holds nothing back).
            and (e.tx is null or not exists (
              select 1 from reaction_checkpoints c where c.updated_at >= ? and (c.tx, c.event_id) < (e.tx, e.id)))
         returning id)
       update outbox_retention set pruned_through = greatest(pruned_through, coalesce((select max(id) from gone), 0))
       returning (select count(*) from gone)::text as deleted`,
      [cutoff, cutoff],
    );
  return Number(rows[0]?.deleted ?? 0);
}

/** Prunes at start and then periodically; every node may run it (the delete is idempotent). */
export function startPruning(orm: Orm, retentionDays: number, logger: Logger): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const prune = () => {
    running = pruneEvents(orm, retentionDays).then(
      (deleted) => deleted > 0 && logger.info({ deleted, retentionDays }, 'pruned session events'),
      (error: unknown) => logger.error({ err: error }, 'pruning session events failed'),
    );
  };
  prune();
  const timer = setInterval(prune, PRUNE_INTERVAL_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
