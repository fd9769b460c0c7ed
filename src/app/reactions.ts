import { autoAssignmentReaction } from '../assignment/assignment.reaction.js';
import type { Orm } from '../db/orm.js';
import { autoCloseReaction } from '../hours/auto-close.reaction.js';
import { autoReplyReaction } from '../hours/auto-reply.reaction.js';
import type { Reaction } from '../reactions/reaction.js';
import { snoozeReaction } from '../sessions/snooze.reaction.js';
import { slaReaction } from '../sla/sla.reaction.js';
import type { AppDeps } from './context.js';

/**
 * Every reaction this server runs, one line each (reactions/reaction.ts says what a reaction is;
 * reactions/reaction-runner.ts runs them). A reaction's name keys its checkpoint and its timers:
 * keep it stable.
 */
export function registeredReactions(deps: AppDeps, orm: Orm): Reaction[] {
  return [autoAssignmentReaction(deps.assignment), autoReplyReaction(orm, deps.events), autoCloseReaction(orm, deps.events), slaReaction(orm, deps.events), snoozeReaction(orm, deps.events)];
}
