import type { AttachmentDto } from '../model/event-contract.js';
import type { AttachmentRecord } from '../sessions/message-record.js';

/** The download path of an attachment (seed 001). */
export const attachmentUrl = (id: string): string => `/api/chat/attachments/${id}`;

/** The attachment as GraphQL returns it and event payloads carry it (plain JSON). */
export function attachmentDto(attachment: AttachmentRecord): AttachmentDto {
  const { width, height, duration } = attachment.metadata;
  return {
    id: attachment.id,
    url: attachmentUrl(attachment.id),
    type: attachment.contentType,
    name: attachment.name,
    size: Number(attachment.size),
    metadata: { width: width ?? null, height: height ?? null, duration: duration ?? null },
  };
}
