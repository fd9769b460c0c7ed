import type { Db } from '../db/orm.js';

/**
 * Durable timers: work due at a time, stored in `timers`, one row per (reaction, key). Any node
 * fires a due timer (reaction-runner.ts); it fires once across nodes, late rather than never after
 * downtime, and again only if its run failed or its node died mid-run.
 *
 * `db` may be the caller's transaction: the timer then exists exactly when the change that set it
 * committed.
 */
export interface TimerRequest {
  /** The reaction whose `fire` runs. */
  reaction: string;
  /** Names the timer within its reaction (`sla:first-response:42`): scheduling it again moves it. */
  key: string;
  at: Date;
  tenantId?: string | null;
  payload?: Record<string, unknown>;
}

export const MAX_TIMER_KEY_LENGTH = 200;

/** Schedules a timer, or moves it (time and payload) when its key is already scheduled. */
export async function schedule(db: Db, timer: TimerRequest): Promise<void> {
  if (timer.key.length === 0 || timer.key.length > MAX_TIMER_KEY_LENGTH) throw new RangeError(`timer keys are 1 to ${MAX_TIMER_KEY_LENGTH} characters`);
  if (Number.isNaN(timer.at.getTime())) throw new RangeError('a timer needs a valid time');
  await db.execute(
    `insert into timers (reaction, key, tenant_id, due_at, payload) values (?, ?, ?, ?, ?::jsonb)
     on conflict (reaction, key) do update
       set due_at = excluded.due_at, payload = excluded.payload, tenant_id = excluded.tenant_id,
           version = timers.version + 1, attempts = 0, last_error = null, lease_owner = null, lease_until = null`,
    [timer.reaction, timer.key, timer.tenantId ?? null, timer.at, JSON.stringify(timer.payload ?? {})],
  );
}

/** Cancels a timer; true when one was scheduled. A run already under way finishes, but is not repeated. */
export async function cancel(db: Db, reaction: string, key: string): Promise<boolean> {
  const rows = await db.execute<{ id: string }[]>('delete from timers where reaction = ? and key = ? returning id::text as id', [reaction, key]);
  return rows.length > 0;
}

/** When a timer is due, or null when none is scheduled under that key. */
export async function scheduledAt(db: Db, reaction: string, key: string): Promise<Date | null> {
  const rows = await db.execute<{ due_at: Date | string }[]>('select due_at from timers where reaction = ? and key = ?', [reaction, key]);
  const due = rows[0]?.due_at;
  return due === undefined ? null : new Date(due);
}
