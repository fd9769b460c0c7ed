import type { Db } from '../db/orm.js';
import { schedule } from './timers.js';

/**
 * What reactions gave up on (reaction_parked), for operators: seen with `npm run admin --
 * reactions` and in `parley_reaction_parked`, and sent back with `--retry`. A parked event goes
 * back as a timer due now whose key names it (the runner hands the event to `handle` again); a
 * parked timer is scheduled again with its payload. Each then gets a fresh set of attempts.
 */

const RETRY_EVENT_PREFIX = 'retry-event:';

/** The event a retry timer sends back, or null for a reaction's own timer. */
export function retriedEventId(timerKey: string): string | null {
  return timerKey.startsWith(RETRY_EVENT_PREFIX) ? timerKey.slice(RETRY_EVENT_PREFIX.length) : null;
}

export interface ReactionState {
  name: string;
  position: string;
  leaseOwner: string | null;
  attempts: number;
  lastError: string | null;
  parked: number;
  updatedAt: string;
}

/** Every reaction's checkpoint and how much it parked. */
export async function reactionStates(db: Db): Promise<ReactionState[]> {
  const rows = await db.execute<{ name: string; tx: string; event_id: string; lease_owner: string | null; attempts: number; last_error: string | null; parked: string; updated_at: Date | string }[]>(
    `select c.name, c.tx::text as tx, c.event_id::text as event_id, c.lease_owner, c.attempts, c.last_error, c.updated_at,
            (select count(*) from reaction_parked p where p.reaction = c.name)::text as parked
       from reaction_checkpoints c order by c.name`,
  );
  return rows.map((row) => ({
    name: row.name,
    position: `${row.tx}/${row.event_id}`,
    leaseOwner: row.lease_owner,
    attempts: row.attempts,
    lastError: row.last_error,
    parked: Number(row.parked),
    updatedAt: new Date(row.updated_at).toISOString(),
  }));
}

/** Sends a reaction's parked events and timers back to it, due now; returns how many. */
export async function retryParked(db: Db, reaction: string): Promise<number> {
  return db.transactional(async (tx) => {
    const parked = await tx.execute<{ id: string; event_id: string | null; timer_key: string | null; tenant_id: string | null; payload: Record<string, unknown> | null }[]>(
      'delete from reaction_parked where reaction = ? returning id::text as id, event_id::text as event_id, timer_key, tenant_id::text as tenant_id, payload',
      [reaction],
    );
    const now = new Date();
    for (const row of parked) {
      const key = row.event_id !== null ? `${RETRY_EVENT_PREFIX}${row.event_id}` : (row.timer_key ?? `${RETRY_EVENT_PREFIX}?`);
      await schedule(tx, { reaction, key, at: now, tenantId: row.tenant_id, payload: row.payload ?? {} });
    }
    return parked.length;
  });
}
