import type { Viewer } from '../shared/viewer.js';
import type { SqlCondition } from '../sessions/session-access.js';

/**
 * Which messages of a readable session a viewer may find by their content, as a SQL condition on
 * the message alias `m`: never a deleted one (its content reads ''). The one place to extend
 * when a message can be hidden from some viewers (private notes: staff and admins only).
 */
export function searchableMessagesCondition(_viewer: Viewer): SqlCondition {
  return { sql: 'm.deleted_at is null', params: [] };
}
