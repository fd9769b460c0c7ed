import type { Orm } from '../db/orm.js';
import type { EventBus } from '../events/event-bus.js';
import type { Reaction } from '../reactions/reaction.js';
import { deskNow } from '../shared/desk-clock.js';
import { SNOOZE_REACTION, wakeInTransaction } from './snooze.js';

/**
 * Wakes snoozed sessions when their time comes: the durable timer `snoozeSession` set in its own
 * transaction (moved by a second snooze, cancelled by any other end of the snooze). A timer fires
 * once across nodes, late rather than never after downtime; a run that finds the session awake
 * already (the customer wrote first, staff woke or closed it) changes nothing, so a timer run
 * twice, or racing a customer message, still makes one wake event.
 */
export function snoozeReaction(orm: Orm, events: EventBus, now: () => number = deskNow): Reaction {
  return {
    name: SNOOZE_REACTION,
    async fire(timer) {
      const sessionId = timer.payload.sessionId;
      if (timer.tenantId === null || typeof sessionId !== 'string') return;
      const tenantId = timer.tenantId;
      const event = await orm.em.fork().transactional((tx) => wakeInTransaction(tx, tenantId, sessionId, 'TIMER', new Date(now())));
      if (event) events.publish([event]);
    },
  };
}
