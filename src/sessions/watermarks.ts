import type { Participant } from '../model/participant.entity.js';
import { DeliveryStatus, ParticipantRole } from '../shared/enums.js';
import type { ChatMessage } from '../model/message.entity.js';

export interface MessageView {
  message: ChatMessage;
  read: boolean;
  status: DeliveryStatus;
}

type Side = 'customer' | 'staff' | 'member';

function sideOf(role: ParticipantRole): Side {
  if (role === ParticipantRole.CUSTOMER) return 'customer';
  if (role === ParticipantRole.MEMBER) return 'member';
  return 'staff';
}

/**
 * A message is READ once someone on the other side has a read watermark at or past it, and
 * DELIVERED once someone there has a delivered watermark past it. In a support session the
 * sides are customer and staff (agents, admins, bots); in a room every other member counts.
 */
export class WatermarkView {
  constructor(private readonly participants: readonly Participant[]) {}

  view(message: ChatMessage): MessageView {
    const id = BigInt(message.id);
    const senderId = message.sender?.id ?? null;
    const senderSide = message.sender ? sideOf(message.sender.role) : null;
    let read = false;
    let delivered = false;
    for (const p of this.participants) {
      if (p.id === senderId) continue;
      const side = sideOf(p.role);
      if (senderSide !== null && side === senderSide && side !== 'member') continue;
      if (BigInt(p.lastReadMessageId) >= id) read = true;
      if (BigInt(p.lastDeliveredMessageId) >= id) delivered = true;
    }
    const status = read ? DeliveryStatus.READ : delivered ? DeliveryStatus.DELIVERED : DeliveryStatus.SENT;
    return { message, read, status };
  }
}
