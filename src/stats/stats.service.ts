import { requireUser } from '../shared/guards.js';
import { SessionKind, SessionStatus, UserRole } from '../shared/enums.js';
import type { Scope } from '../db/scope.js';

export interface Stats {
  totalSessions: number;
  activeSessions: number;
  /** Mean wait, in minutes, from the customer message that starts a wait to the support reply that ends it. */
  averageResponseTime: number;
  messagesExchanged: number;
}

/**
 * Support-desk numbers for the viewer's tenant. They come from counters the message service
 * maintains on every send, so this is one aggregate over the tenant's sessions (index on
 * tenant_id) and never a scan of messages.
 */
export class StatsService {
  constructor(private readonly scope: Scope) {}

  async stats(): Promise<Stats> {
    const viewer = requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const rows = await this.scope.em.execute<Record<string, string | null>[]>(
      `select count(*) as total,
              count(*) filter (where status = ?) as active,
              coalesce(sum(message_count), 0) as messages,
              coalesce(sum(response_count), 0) as responses,
              coalesce(sum(response_ms_total), 0) as response_ms
         from chat_sessions
        where tenant_id = ? and kind = ?`,
      [SessionStatus.ACTIVE, viewer.tenantId, SessionKind.SUPPORT],
    );
    const row = rows[0]!;
    const responses = Number(row.responses);
    return {
      totalSessions: Number(row.total),
      activeSessions: Number(row.active),
      averageResponseTime: responses === 0 ? 0 : Number(row.response_ms) / responses / 60_000,
      messagesExchanged: Number(row.messages),
    };
  }
}
