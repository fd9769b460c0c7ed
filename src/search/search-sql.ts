import type { SqlCondition } from '../sessions/session-access.js';
import { SearchOrder, type SearchPosition } from './search-cursor.js';

/**
 * Builds one SQL text with positional `?` parameters, in the order they appear: every value goes
 * through `value()`, and every condition that carries its own parameters through `condition()`,
 * at the point where it is written into the text.
 */
export class SqlText {
  readonly params: unknown[] = [];

  value(value: unknown): string {
    this.params.push(value);
    return '?';
  }

  condition(condition: SqlCondition): string {
    this.params.push(...condition.params);
    return condition.sql;
  }
}

/**
 * The keyset of a search page over `rank` and `id` expressions: its ORDER BY, and the condition
 * that resumes after `position` (true on the first page). NEWEST is highest id first (ids are
 * drawn in send order); RANK is best rank first, ties newest first.
 */
export function keyset(order: SearchOrder, rank: string, id: string) {
  return {
    orderBy: order === SearchOrder.RANK ? `${rank} desc, ${id} desc` : `${id} desc`,
    after(sql: SqlText, position: SearchPosition | null): string {
      if (position === null) return 'true';
      if (position.order === SearchOrder.RANK) return `(${rank}, ${id}) < (${sql.value(position.rank)}::real, ${sql.value(position.id)}::bigint)`;
      return `${id} < ${sql.value(position.id)}::bigint`;
    },
  };
}
