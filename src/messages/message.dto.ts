import { attachmentDto } from '../attachments/attachment.dto.js';
import { participantName } from '../sessions/participants.js';
import type { ChatMessage } from './message.entity.js';

/** The message as it travels in event payloads; `sender.user` must be loaded, and `attachments` to include them. */
export function messageDto(message: ChatMessage): Record<string, unknown> {
  return {
    id: message.id,
    uuid: message.uuid,
    sessionId: message.session.id,
    senderType: message.senderType,
    senderId: message.sender?.id ?? null,
    senderUserId: message.sender?.user?.id ?? null,
    senderName: participantName(message.sender),
    senderUsername: message.sender?.user?.username ?? null,
    content: message.deletedAt ? '' : message.content,
    metadata: message.metadata,
    clientMessageId: message.clientMessageId,
    createdAt: message.createdAt.toISOString(),
    editedAt: message.editedAt?.toISOString() ?? null,
    deletedAt: message.deletedAt?.toISOString() ?? null,
    ...(message.attachments.isInitialized() ? { attachments: message.deletedAt ? [] : message.attachments.getItems().map(attachmentDto) } : {}),
  };
}
