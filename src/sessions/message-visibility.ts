import { UserRole } from '../shared/enums.js';
import type { Viewer } from '../shared/viewer.js';
import type { SqlCondition } from './session-access.js';

/**
 * Who sees which messages of a session they may read: the one rule for private notes, used by
 * every read path (pages, since-polls, read marks, search, streams, downloads, webhooks).
 * Support staff, admins and bots see notes, marked; customers, guests, widget visitors and room
 * members never see a note or a trace of one. What of the outbox the others see (a note's
 * events, read and delivery marks on notes) is model/event-visibility.ts.
 */
export const seesPrivateNotes = (viewer: Viewer): boolean => viewer.kind === 'user' && (viewer.role === UserRole.STAFF || viewer.role === UserRole.ADMIN || viewer.role === UserRole.BOT);

/** Whether a message (an entity or an event's payload) is hidden from `viewer`. */
export const hiddenFrom = (viewer: Viewer, message: { isPrivate?: boolean; private?: boolean }): boolean => (message.isPrivate === true || message.private === true) && !seesPrivateNotes(viewer);

/** Whether one read shows notes: the viewer may see them and the read did not leave them out (`includeNotes` false). */
export const readShowsNotes = (viewer: Viewer, includeNotes = true): boolean => includeNotes && seesPrivateNotes(viewer);

/** The ORM condition on ChatMessage for what `viewer` may read (spread into a `where`); `includeNotes` false leaves notes out for everyone. */
export const visibleMessages = (viewer: Viewer, includeNotes = true): { isPrivate?: false } => (readShowsNotes(viewer, includeNotes) ? {} : { isPrivate: false });

/** The same rule as SQL on chat_messages, to append to a plain statement's `where` (empty when notes show). */
export const visibleMessagesSql = (viewer: Viewer, includeNotes = true): string => (readShowsNotes(viewer, includeNotes) ? '' : ' and private = false');

/**
 * Which messages of a readable session a viewer may find by their content, as a SQL condition on
 * the message alias `m`: never a deleted one (its content reads ''), and notes only for staff.
 */
export function searchableMessagesCondition(viewer: Viewer): SqlCondition {
  return { sql: seesPrivateNotes(viewer) ? 'm.deleted_at is null' : 'm.deleted_at is null and not m.private', params: [] };
}
