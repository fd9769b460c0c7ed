import type { Orm } from '../db/orm.js';
import type { EventBus } from '../events/event-bus.js';
import { sendAutomaticMessage } from '../messages/automatic-message.js';
import type { Reaction } from '../reactions/reaction.js';
import { cancel, schedule } from '../reactions/timers.js';
import { closeAsSystem } from '../sessions/session.service.js';
import { deskNow } from '../shared/desk-clock.js';
import { SenderType, SessionStatus } from '../shared/enums.js';
import { DEFAULT_AUTO_CLOSE_MESSAGE } from './auto-close.service.js';

const NAME = 'auto-close';
const keyOf = (sessionId: string) => `session:${sessionId}`;

/**
 * Auto-close: a support session whose customer has stayed silent for the tenant's
 * `autoCloseSeconds` after a support reply is closed, with an automatic message first. Each
 * support reply (re)sets the session's durable timer; a customer message cancels it (the desk
 * owes the next word then, so the session is not "silent"). When the timer fires, it checks again
 * with the setting as it is now: off does nothing, a longer silence sets the timer later, and a
 * session no longer active, or waiting for the desk, is left alone; a snoozed one is looked at
 * again once its snooze is over plus the silence. The message is keyed by the reply, so a re-run
 * posts it once.
 */
export function autoCloseReaction(orm: Orm, events: EventBus, now: () => number = deskNow): Reaction {
  const settingOf = async (tenantId: string) => {
    const [row] = await orm.em
      .fork()
      .execute<{ seconds: number | null; message: string | null }[]>('select auto_close_seconds as seconds, auto_close_message as message from tenants where id = ?', [tenantId]);
    return row?.seconds ? { seconds: Number(row.seconds), message: row.message ?? DEFAULT_AUTO_CLOSE_MESSAGE } : null;
  };
  return {
    name: NAME,
    events: ['message.created'],
    async handle(event) {
      if (event.type !== 'message.created') return;
      const message = event.payload.message;
      if (message.private === true || message.automatic === true) return;
      const em = orm.em.fork();
      if (message.senderType === SenderType.USER) {
        await cancel(em, NAME, keyOf(event.sessionId));
        return;
      }
      if (message.senderType !== SenderType.SUPPORT) return;
      const setting = await settingOf(event.tenantId);
      if (!setting) return;
      const at = new Date(Date.parse(message.createdAt) + setting.seconds * 1000);
      await schedule(em, { reaction: NAME, key: keyOf(event.sessionId), at, tenantId: event.tenantId, payload: { sessionId: event.sessionId, repliedAt: message.createdAt } });
    },
    async fire(timer) {
      const tenantId = timer.tenantId;
      const sessionId = timer.payload.sessionId;
      const repliedAt = timer.payload.repliedAt;
      // The silence counts from the reply, or from the end of a snooze it outlasted.
      const silentSince = typeof timer.payload.silentSince === 'string' ? timer.payload.silentSince : repliedAt;
      if (tenantId === null || typeof sessionId !== 'string' || typeof repliedAt !== 'string' || typeof silentSince !== 'string') return;
      const setting = await settingOf(tenantId);
      if (!setting) return;
      const em = orm.em.fork();
      const due = Date.parse(silentSince) + setting.seconds * 1000;
      if (due > now()) {
        await schedule(em, { reaction: NAME, key: timer.key, at: new Date(due), tenantId, payload: timer.payload });
        return;
      }
      const [session] = await em.execute<{ status: string; kind: string; waiting: boolean; snoozed_until: Date | string | null }[]>(
        'select status, kind, waiting_since is not null as waiting, snoozed_until from chat_sessions where id = ? and tenant_id = ?',
        [sessionId, tenantId],
      );
      // Snoozed: the desk chose to wait, so the session is not closed while it sleeps (closing it
      // would undo the snooze). Its silence counts again from the wake time; a customer message,
      // which wakes it, cancels the timer as usual.
      if (session?.status === SessionStatus.SNOOZED && session.snoozed_until !== null) {
        const wakesAt = new Date(session.snoozed_until);
        const at = new Date(wakesAt.getTime() + setting.seconds * 1000);
        await schedule(em, { reaction: NAME, key: timer.key, at, tenantId, payload: { ...timer.payload, silentSince: wakesAt.toISOString() } });
        return;
      }
      if (session?.status !== SessionStatus.ACTIVE || session.kind !== 'SUPPORT' || session.waiting) return;
      await sendAutomaticMessage(em, events, { tenantId, sessionId, content: setting.message, key: `auto-close:${repliedAt}` });
      await closeAsSystem(em, events, tenantId, sessionId);
    },
  };
}
