import type { SessionDto } from '../model/event-contract.js';
import type { ChatSession } from '../model/session.entity.js';

/** The session as it travels in event payloads (model/event-contract.ts). */
export function sessionDto(session: ChatSession): SessionDto {
  return {
    id: session.id,
    uuid: session.uuid,
    kind: session.kind,
    status: session.status,
    priority: session.priority,
    subject: session.subject,
    tags: session.tags,
    customerId: session.customer?.id ?? null,
    agentId: session.agent?.id ?? null,
    guestName: session.guestName,
    startedAt: session.startedAt.toISOString(),
    endedAt: session.endedAt?.toISOString() ?? null,
    snoozedUntil: session.snoozedUntil?.toISOString() ?? null,
  };
}
