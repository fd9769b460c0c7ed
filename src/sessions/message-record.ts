import type { AttachmentMetadata } from '../model/attachment.entity.js';
import type { ChatMessage } from '../model/message.entity.js';
import type { Participant } from '../model/participant.entity.js';
import type { ParticipantRole, SenderType } from '../shared/enums.js';
import { displayNameOf, participantName } from './participants.js';

/** An attachment as readers see it (attachments/attachment.dto.ts turns it into the payload). */
export interface AttachmentRecord {
  readonly id: string;
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  readonly metadata: Readonly<AttachmentMetadata>;
}

/**
 * A message as every reader gets it: plain data, never an entity, so hot paths can build it
 * straight from a SQL row (bench/NOTES.md: hydration was 40% of a page). `content` and
 * `attachments` are already what anyone may see: '' and [] once the message is deleted.
 */
export interface MessageRecord {
  readonly id: string;
  readonly uuid: string;
  readonly sessionId: string;
  readonly senderType: SenderType;
  /** The sender's participant id; null for SYSTEM messages. */
  readonly senderId: string | null;
  /** The sender's participant role: read state compares sides by it (watermarks.ts). */
  readonly senderRole: ParticipantRole | null;
  readonly senderUserId: string | null;
  readonly senderName: string;
  readonly senderUsername: string | null;
  readonly content: string;
  readonly metadata: Record<string, unknown>;
  readonly clientMessageId: string | null;
  readonly createdAt: Date;
  readonly editedAt: Date | null;
  readonly deletedAt: Date | null;
  readonly version: number;
  readonly private: boolean;
  /** Sent by the desk itself (an out-of-hours auto-reply), never by a person. */
  readonly automatic: boolean;
  /** Null when they were not loaded (event payloads then leave them out). */
  readonly attachments: readonly AttachmentRecord[] | null;
}

/** A session participant as a message names its sender: who, and under which name. */
export interface SenderRecord {
  readonly id: string;
  readonly role: ParticipantRole;
  readonly userId: string | null;
  readonly name: string;
  readonly username: string | null;
}

/** A chat_messages row as plain SQL reads or returns it (messages/message-reads.ts), and the shape entities map through. */
export interface MessageRow {
  id: string;
  uuid: string;
  session_id: string;
  sender_id: string | null;
  sender_type: SenderType;
  content: string;
  metadata: Record<string, unknown>;
  client_message_id: string | null;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
  version: number;
  private: boolean;
  automatic: boolean;
}

const NO_ATTACHMENTS: readonly AttachmentRecord[] = Object.freeze([]);

/** An attachment row as stored (a plain read's JSON or an entity): `size` may come as a bigint string. */
export interface AttachmentRow {
  readonly id: string;
  readonly name: string;
  readonly contentType: string;
  readonly size: number | string;
  readonly metadata: Readonly<AttachmentMetadata> | null;
}

export const attachmentRecord = ({ id, name, contentType, size, metadata }: AttachmentRow): AttachmentRecord => ({ id, name, contentType, size: Number(size), metadata: metadata ?? {} });

/** A participant as a message names its sender. */
export function senderRecordOf(participant: Participant): SenderRecord {
  return {
    id: participant.id,
    role: participant.role,
    userId: participant.user?.id ?? null,
    name: participantName(participant),
    username: participant.user?.username ?? null,
  };
}

/**
 * The one mapping from a stored message to its record, for plain reads, the send path and
 * entities alike. `sender`: the row's sender_id among the session's participants (undefined for
 * SYSTEM messages); `attachments`: the row's, in position order, or null when not loaded.
 */
export function messageRecordFromRow(row: MessageRow, sender: SenderRecord | undefined, attachments: readonly AttachmentRecord[] | null): MessageRecord {
  const deletedAt = row.deleted_at === null ? null : new Date(row.deleted_at);
  return {
    id: String(row.id),
    uuid: row.uuid,
    sessionId: String(row.session_id),
    senderType: row.sender_type,
    senderId: row.sender_id === null ? null : String(row.sender_id),
    senderRole: sender?.role ?? null,
    senderUserId: sender?.userId ?? null,
    senderName: row.sender_id === null ? 'System' : (sender?.name ?? displayNameOf(null, null)),
    senderUsername: sender?.username ?? null,
    content: deletedAt ? '' : row.content,
    metadata: row.metadata,
    clientMessageId: row.client_message_id,
    createdAt: new Date(row.created_at),
    editedAt: row.edited_at === null ? null : new Date(row.edited_at),
    deletedAt,
    version: Number(row.version),
    private: row.private === true,
    automatic: row.automatic === true,
    attachments: attachments === null ? null : deletedAt ? NO_ATTACHMENTS : attachments,
  };
}

/** The record of a loaded message entity, through the row mapping; `sender.user` must be loaded, and `attachments` to include them. */
export function messageRecordOf(message: ChatMessage): MessageRecord {
  const row: MessageRow = {
    id: message.id,
    uuid: message.uuid,
    session_id: message.session.id,
    sender_id: message.sender?.id ?? null,
    sender_type: message.senderType,
    content: message.content,
    metadata: message.metadata,
    client_message_id: message.clientMessageId,
    created_at: message.createdAt,
    edited_at: message.editedAt,
    deleted_at: message.deletedAt,
    version: message.version,
    private: message.isPrivate,
    automatic: message.automatic,
  };
  const attachments = message.attachments.isInitialized() ? message.attachments.getItems().map(attachmentRecord) : null;
  return messageRecordFromRow(row, message.sender ? senderRecordOf(message.sender) : undefined, attachments);
}
