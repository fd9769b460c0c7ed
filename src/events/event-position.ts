import type { Db } from '../db/orm.js';
import { SEEN_WITHOUT_NOTES_SQL } from '../model/event-visibility.js';

/** What the position reads of a session row: an entity's fields, or a plain read's. */
export interface SessionPosition {
  id: string;
  tenantId: string;
  lastEventSeq: string;
}

/**
 * The outbox position a history read stands at: the id of the session's last event as of the
 * session row the read was cut at (its `lastEventSeq`, committed together with that event).
 * Subscribing `since` it continues exactly where the history ends. When that event is already
 * past retention its id is gone; `pruned_through` then stands in: it is at least that id, every
 * later event's id is larger, and resuming from it is allowed. `seesNotes` false: the last event
 * a viewer who does not see private notes sees (model/event-visibility.ts).
 */
export async function lastEventIdOf(em: Db, session: SessionPosition, seesNotes = true): Promise<string> {
  if (session.lastEventSeq === '0') return '0';
  const connection = em.getConnection();
  // Raw SQL leaves the tenant filter behind: the tenant is stated here (the session was access-checked).
  // A viewer who may not see private notes stands at the last event they can see, so a note, or a
  // mark that passed notes only, moves nothing of theirs (their stream skips that event as well).
  const rows = await connection.execute<{ id: string }[]>(
    seesNotes
      ? 'select id::text as id from session_events where tenant_id = ? and session_id = ? and seq = ?'
      : `select id::text as id from session_events where tenant_id = ? and session_id = ? and seq <= ?
           and ${SEEN_WITHOUT_NOTES_SQL} order by seq desc limit 1`,
    [session.tenantId, session.id, session.lastEventSeq],
  );
  if (rows[0]) return rows[0].id;
  const retention = await connection.execute<{ pruned: string }[]>('select pruned_through::text as pruned from outbox_retention');
  return retention[0]?.pruned ?? '0';
}
