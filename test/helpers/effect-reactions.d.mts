import type { Orm } from '../../src/db/orm.js';
import type { Reaction } from '../../src/reactions/reaction.js';

export function createEffectTables(connection: { execute(sql: string, params?: unknown[]): Promise<unknown> }): Promise<void>;
export function effectReaction(orm: Orm, name: string, mode: 'effect' | 'hang', node?: string): Required<Reaction>;
