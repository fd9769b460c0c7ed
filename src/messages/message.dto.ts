import { attachmentDto } from '../attachments/attachment.dto.js';
import type { MessageDto } from '../model/event-contract.js';
import type { MessageRecord } from '../sessions/message-record.js';

/** The message as it travels in event payloads; attachments only when the record has them loaded. */
export function messageDto(message: MessageRecord): MessageDto {
  return {
    id: message.id,
    uuid: message.uuid,
    sessionId: message.sessionId,
    senderType: message.senderType,
    senderId: message.senderId,
    senderUserId: message.senderUserId,
    senderName: message.senderName,
    senderUsername: message.senderUsername,
    content: message.content,
    metadata: message.metadata,
    clientMessageId: message.clientMessageId,
    createdAt: message.createdAt.toISOString(),
    editedAt: message.editedAt?.toISOString() ?? null,
    deletedAt: message.deletedAt?.toISOString() ?? null,
    version: message.version,
    private: message.private,
    automatic: message.automatic,
    ...(message.attachments !== null ? { attachments: message.attachments.map(attachmentDto) } : {}),
  };
}
