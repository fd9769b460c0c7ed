import { attachmentDto } from '../attachments/attachment.dto.js';
import { participantName } from '../sessions/participants.js';
import type { MessageDto } from '../model/event-contract.js';
import type { ChatMessage } from '../model/message.entity.js';

/** What anyone reads of a message: a deleted one keeps its id and place, never its text. */
export const visibleContent = (message: ChatMessage): string => (message.deletedAt ? '' : message.content);

/** The attachments anyone sees of a message: none once it is deleted (and none unless loaded). */
export const visibleAttachments = (message: ChatMessage) =>
  message.deletedAt || !message.attachments.isInitialized() ? [] : message.attachments.getItems();

/** The message as it travels in event payloads; `sender.user` must be loaded, and `attachments` to include them. */
export function messageDto(message: ChatMessage): MessageDto {
  return {
    id: message.id,
    uuid: message.uuid,
    sessionId: message.session.id,
    senderType: message.senderType,
    senderId: message.sender?.id ?? null,
    senderUserId: message.sender?.user?.id ?? null,
    senderName: participantName(message.sender),
    senderUsername: message.sender?.user?.username ?? null,
    content: visibleContent(message),
    metadata: message.metadata,
    clientMessageId: message.clientMessageId,
    createdAt: message.createdAt.toISOString(),
    editedAt: message.editedAt?.toISOString() ?? null,
    deletedAt: message.deletedAt?.toISOString() ?? null,
    version: message.version,
    private: message.isPrivate,
    ...(message.attachments.isInitialized() ? { attachments: visibleAttachments(message).map(attachmentDto) } : {}),
  };
}
