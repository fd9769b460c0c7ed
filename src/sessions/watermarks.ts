import { DeliveryStatus, ParticipantRole } from '../shared/enums.js';
import type { MessageRecord } from './message-record.js';

export interface MessageView {
  message: MessageRecord;
  read: boolean;
  status: DeliveryStatus;
}

/** A participant's watermarks as read state needs them (a Participant entity has this shape too). */
export interface ParticipantWatermarks {
  readonly id: string;
  readonly role: ParticipantRole;
  readonly lastReadMessageId: string;
  readonly lastDeliveredMessageId: string;
}

type Side = 'customer' | 'staff' | 'member';

function sideOf(role: ParticipantRole): Side {
  if (role === ParticipantRole.CUSTOMER) return 'customer';
  if (role === ParticipantRole.MEMBER) return 'member';
  return 'staff';
}

interface Marks {
  id: string;
  side: Side;
  read: bigint;
  delivered: bigint;
}

/**
 * A message is READ once someone on the other side has a read watermark at or past it, and
 * DELIVERED once someone there has a delivered watermark past it. In a support session the
 * sides are customer and staff (agents, admins, bots); in a room every other member counts.
 */
export class WatermarkView {
  private readonly marks: readonly Marks[];

  constructor(participants: readonly ParticipantWatermarks[]) {
    // Parsed once per page, not once per message and participant.
    this.marks = participants.map((p) => ({ id: p.id, side: sideOf(p.role), read: BigInt(p.lastReadMessageId), delivered: BigInt(p.lastDeliveredMessageId) }));
  }

  view(message: MessageRecord): MessageView {
    const id = BigInt(message.id);
    const senderId = message.senderId;
    const senderSide = message.senderRole === null ? null : sideOf(message.senderRole);
    let read = false;
    let delivered = false;
    for (const p of this.marks) {
      if (p.id === senderId) continue;
      if (senderSide !== null && p.side === senderSide && p.side !== 'member') continue;
      if (p.read >= id) read = true;
      if (p.delivered >= id) delivered = true;
    }
    const status = read ? DeliveryStatus.READ : delivered ? DeliveryStatus.DELIVERED : DeliveryStatus.SENT;
    return { message, read, status };
  }
}
