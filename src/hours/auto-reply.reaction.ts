import type { Orm } from '../db/orm.js';
import type { EventBus } from '../events/event-bus.js';
import { sendAutomaticMessage } from '../messages/automatic-message.js';
import type { Reaction } from '../reactions/reaction.js';
import { deskNow } from '../shared/desk-clock.js';
import { SenderType } from '../shared/enums.js';
import { loadSchedule } from './business-hours.service.js';
import { isOpenAt, openingAtOrAfter } from './schedule.js';

/**
 * The out-of-hours auto-reply: a customer who writes into a support session while the team is
 * closed (by the tenant's business hours, at the moment the message was written) gets one
 * automatic message per closed period per session. The period is named by the opening that ends
 * it, and `sendAutomaticMessage` keys the reply on it, so a re-run (at least once) or a second
 * message in the same night sends nothing more. A reply that would arrive after the team opened
 * again is not sent: it would announce a closure that is over.
 */
export function autoReplyReaction(orm: Orm, events: EventBus, now: () => number = deskNow): Reaction {
  return {
    name: 'auto-reply',
    events: ['message.created'],
    async handle(event) {
      if (event.type !== 'message.created') return;
      const message = event.payload.message;
      if (message.senderType !== SenderType.USER || message.private === true || message.automatic === true) return;
      const em = orm.em.fork();
      const [setting] = await em.execute<{ enabled: boolean; text: string | null }[]>('select auto_reply_enabled as enabled, auto_reply_out_of_hours as text from tenants where id = ?', [
        event.tenantId,
      ]);
      if (!setting?.enabled || !setting.text) return;
      const schedule = await loadSchedule(em, event.tenantId);
      if (!schedule) return;
      const writtenAt = Date.parse(message.createdAt);
      if (isOpenAt(schedule, writtenAt)) return;
      const reopening = openingAtOrAfter(schedule, writtenAt);
      if (reopening && reopening.opensAt <= now()) return;
      const period = reopening ? new Date(reopening.opensAt).toISOString() : 'never';
      await sendAutomaticMessage(em, events, { tenantId: event.tenantId, sessionId: event.sessionId, content: setting.text, key: `out-of-hours:${period}` });
    },
  };
}
