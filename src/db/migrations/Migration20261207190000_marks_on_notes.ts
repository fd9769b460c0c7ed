import { Migration } from '@mikro-orm/migrations';

/** A watermark event's mark, as SQL on `session_events e`. */
const MARK = `(case when e.type = 'read.updated' then e.payload->>'lastReadMessageId' else e.payload->>'lastDeliveredMessageId' end)`;

/**
 * Read and delivery marks on private notes (model/event-visibility.ts): `read.updated` and
 * `delivery.updated` events whose mark is on a note get `visibleMessageId`, as the services now
 * record it, so viewers who do not see notes neither see them (replay, `lastEventId`) nor a
 * webhook without `includePrivate` receives them as they were. "Before" is the participant's
 * previous event of the same type (0 for the first one kept); a mark that also moved silently in
 * between (a send, markRead's delivered mark) may then show a message they already had, never a note.
 * Pending webhook deliveries of those events take the same payload.
 */
export const BACKFILL_MARKS_ON_NOTES = [
  `with marks as (
     select e.id, e.tenant_id, e.session_id, ${MARK}::bigint as mark,
            coalesce(lag(${MARK}) over (partition by e.session_id, e.type, e.payload->>'participantId' order by e.seq), '0')::bigint as before
       from session_events e
      where e.type in ('read.updated', 'delivery.updated')
   )
   update session_events e
      set payload = e.payload || jsonb_build_object('visibleMessageId',
            (select max(v.id)::text from chat_messages v
              where v.tenant_id = marks.tenant_id and v.session_id = marks.session_id and not v.private and v.id <= marks.mark and v.id > marks.before))
     from marks join chat_messages n on n.tenant_id = marks.tenant_id and n.id = marks.mark and n.private
    where e.id = marks.id and (e.payload->'visibleMessageId') is null;`,
  `update webhook_deliveries d set payload = e.payload
     from session_events e
    where d.status = 'pending' and d.event_id = e.id and d.type in ('read.updated', 'delivery.updated')
      and (d.payload->'visibleMessageId') is null and (e.payload->'visibleMessageId') is not null;`,
];

export class Migration20261207190000_marks_on_notes extends Migration {
  override name = 'Migration20261207190000_marks_on_notes';

  override up(): void | Promise<void> {
    for (const sql of BACKFILL_MARKS_ON_NOTES) this.addSql(sql);
  }

  override down(): void | Promise<void> {
    this.addSql(`update session_events set payload = payload - 'visibleMessageId' where type in ('read.updated', 'delivery.updated');`);
  }
}
