/**
 * The outbox as a viewer who does not see private notes sees it (who that is:
 * sessions/message-visibility.ts). A note's own events are not theirs; a read or delivery mark
 * that lands on a note stands, for them, at the last message at or below it that they can see,
 * and when it moved over notes only they never see the event at all. Streams (live and
 * replayed), the `lastEventId` they read and webhooks without `includePrivate` all apply this,
 * and nothing else decides it. SLA alerts (`sla.*`) are internal to the desk like notes: the
 * same viewers never see them.
 */
import type { EventBody } from './event-contract.js';

/**
 * `event` as a note-blind viewer sees it: the same object when it is theirs as it is, a copy with
 * the mark moved down to a message they can see, or null when it is not theirs to see.
 */
export function withoutNotes(event: EventBody): EventBody | null {
  switch (event.type) {
    case 'message.created':
    case 'message.updated':
    case 'message.deleted':
      return event.payload.message.private === true ? null : event;
    case 'read.updated': {
      const { visibleMessageId, ...payload } = event.payload;
      if (visibleMessageId === undefined) return event;
      return visibleMessageId === null ? null : { type: event.type, payload: { ...payload, lastReadMessageId: visibleMessageId } };
    }
    case 'delivery.updated': {
      const { visibleMessageId, ...payload } = event.payload;
      if (visibleMessageId === undefined) return event;
      return visibleMessageId === null ? null : { type: event.type, payload: { ...payload, lastDeliveredMessageId: visibleMessageId } };
    }
    case 'sla.warning':
    case 'sla.breached':
      return null;
    default:
      return event;
  }
}

/**
 * The same rule as a SQL condition on `session_events` (its `payload` column): true for the events
 * a note-blind viewer sees.
 */
export const SEEN_WITHOUT_NOTES_SQL = `coalesce((payload->'message'->>'private')::boolean, false) = false
  and coalesce(jsonb_typeof(payload->'visibleMessageId'), '') <> 'null'
  and type not like 'sla.%'`;
