import type { PublishedEvent } from '../model/event-contract.js';
import type { Reaction } from '../reactions/reaction.js';
import { SenderType, SessionAction, SessionKind } from '../shared/enums.js';
import type { AssignmentEngine } from './assignment.service.js';

/**
 * Auto-assignment as a reaction: after every committed event that can leave a session waiting or
 * free an agent (a support session opened without an agent, a customer message, a close, unassign,
 * transfer or reopen), the tenant's queue is drained. The request that caused the event drains at
 * once too, so its answer already shows the agent; this reaction is what makes the drain happen
 * even when that node died right after its commit. A drain places only what still waits, so
 * running it again is harmless.
 */
export function autoAssignmentReaction(engine: AssignmentEngine): Reaction {
  return {
    name: 'auto-assignment',
    events: ['session.created', 'session.updated', 'message.created'],
    async handle(event) {
      if (mayChangeTheQueue(event)) await engine.drainOrThrow(event.tenantId);
    },
  };
}

// WOKE: a session queued before its snooze (no agent free then) is placeable again once it wakes.
const FREEING_OR_QUEUEING: ReadonlySet<SessionAction> = new Set([SessionAction.CLOSED, SessionAction.UNASSIGNED, SessionAction.TRANSFERRED, SessionAction.REOPENED, SessionAction.WOKE]);

function mayChangeTheQueue(event: PublishedEvent): boolean {
  switch (event.type) {
    case 'session.created':
      return event.payload.session.kind === SessionKind.SUPPORT && event.payload.session.agentId === null;
    case 'session.updated':
      return event.payload.action !== undefined && FREEING_OR_QUEUEING.has(event.payload.action);
    case 'message.created':
      return event.payload.message.senderType === SenderType.USER && event.payload.message.private !== true;
    default:
      return false;
  }
}
