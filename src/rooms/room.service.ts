import type { Scope } from '../db/scope.js';
import { appendEvent, type EventBus, type PublishedEvent, placeOf } from '../events/event-bus.js';
import type { ConnectionArgs, MessageConnectionResult, MessageService, SendMessageInput, SendResult } from '../messages/message.service.js';
import { Participant } from '../model/participant.entity.js';
import { ChatSession } from '../model/session.entity.js';
import { Tenant } from '../model/tenant.entity.js';
import { User } from '../model/user.entity.js';
import { sessionDto } from '../sessions/session.dto.js';
import { loadAccessibleSession, sessionIdFrom } from '../sessions/session-access.js';
import { deskDate } from '../shared/desk-clock.js';
import { ParticipantRole, SessionKind, UserRole } from '../shared/enums.js';
import { badInput, conflict, forbidden, notFound } from '../shared/errors.js';
import { requireUser } from '../shared/guards.js';
import { parseId, requireName } from '../shared/validate.js';

export const MAX_ROOM_NAME_LENGTH = 200;
export const MAX_INITIAL_MEMBERS = 100;

const POPULATE = ['customer', 'agent'] as const;

/**
 * Group rooms (seed 004): a session of kind ROOM whose members are participants with role
 * MEMBER. The user who creates a room owns it (recorded as the session's `customer`); the
 * owner and tenant admins manage membership, and any member may leave. Members read every
 * message of the room and change only their own (MessageService.edit/delete).
 */
export class RoomService {
  constructor(
    private readonly scope: Scope,
    private readonly deps: { events: EventBus },
    private readonly messageService: MessageService,
  ) {}

  async create(nameArg: string, memberIdsArg: readonly string[] | null | undefined): Promise<ChatSession> {
    const { em, viewer } = this.scope;
    const owner = requireUser(viewer, undefined, 'CANNOT_CREATE_ROOM');
    const name = requireName(nameArg, 'name', MAX_ROOM_NAME_LENGTH);
    const memberIds = [...new Set((memberIdsArg ?? []).map((id) => parseId(id, 'memberIds')))].filter((id) => id !== owner.userId);
    if (memberIds.length > MAX_INITIAL_MEMBERS) throw badInput('memberIds', `at most ${MAX_INITIAL_MEMBERS} memberIds`);
    const found = memberIds.length ? await em.count(User, { id: { $in: memberIds } }) : 0;
    if (found !== memberIds.length) throw notFound('USER_NOT_FOUND', 'every member must be a user of this tenant');
    const tenant = em.getReference(Tenant, owner.tenantId);
    const { session, events } = await em.transactional(async (tx) => {
      const session = tx.create(ChatSession, { tenant, kind: SessionKind.ROOM, subject: name, customer: tx.getReference(User, owner.userId) });
      for (const userId of [owner.userId, ...memberIds]) {
        tx.create(Participant, { tenant, session, user: tx.getReference(User, userId), role: ParticipantRole.MEMBER });
      }
      await tx.flush();
      return { session, events: [await appendEvent(tx, placeOf(session), { type: 'session.created', payload: { session: sessionDto(session), memberIds: [owner.userId, ...memberIds] } })] };
    });
    this.publish(events);
    await em.populate(session, POPULATE);
    return session;
  }

  /** A room the viewer may read. Anything else (a support session, another tenant's room) is not a room here. */
  async get(roomIdArg: string): Promise<ChatSession> {
    const room = await this.readable(roomIdArg);
    await this.scope.em.populate(room, POPULATE);
    return room;
  }

  async addMember(roomIdArg: string, userIdArg: string): Promise<ChatSession> {
    const userId = parseId(userIdArg, 'userId');
    return this.changeMembership(roomIdArg, userId, 'member.added', async (tx, room, existing) => {
      this.requireManager(room);
      const user = await tx.findOne(User, { id: userId });
      if (!user) throw notFound('USER_NOT_FOUND', `User ${userId} not found`);
      if (existing && existing.leftAt === null) return false;
      if (existing) existing.leftAt = null;
      else tx.create(Participant, { tenant: room.tenant, session: room, user, role: ParticipantRole.MEMBER });
      return true;
    });
  }

  /** The owner or an admin removes a member; a member may remove themself. The owner stays. */
  async removeMember(roomIdArg: string, userIdArg: string): Promise<ChatSession> {
    const userId = parseId(userIdArg, 'userId');
    const viewer = this.scope.viewer;
    return this.changeMembership(roomIdArg, userId, 'member.removed', async (_tx, room, existing) => {
      if (!(viewer.kind === 'user' && viewer.userId === userId)) this.requireManager(room);
      if (room.customer?.id === userId) throw conflict('OWNER_CANNOT_LEAVE', 'The owner of a room cannot be removed from it');
      if (!existing || existing.leftAt !== null) throw notFound('MEMBER_NOT_FOUND', `User ${userId} is not a member of this room`);
      existing.leftAt = deskDate();
      return true;
    });
  }

  async messages(roomIdArg: string, args: ConnectionArgs): Promise<MessageConnectionResult> {
    const room = await this.readable(roomIdArg);
    return this.messageService.connection(room.id, args);
  }

  /**
   * Sends as the caller. `senderId` (seed 004's write-only `sender_id`) is only checked: it must
   * name an existing user of the tenant, and the sender is the caller whatever it names, so it
   * can never be used to write as someone else.
   */
  async send(roomIdArg: string, input: SendMessageInput & { senderId?: string | null }): Promise<SendResult> {
    const room = await this.readable(roomIdArg);
    if (input.senderId != null) {
      const senderId = parseId(input.senderId, 'senderId');
      if ((await this.scope.em.count(User, { id: senderId })) === 0) throw badInput('senderId', `senderId ${senderId} names no user`, 'SENDER_NOT_FOUND');
    }
    return this.messageService.send(room.id, { content: input.content, clientMessageId: input.clientMessageId });
  }

  private async readable(roomIdArg: string, lock = false, em = this.scope.em): Promise<ChatSession> {
    const room = await loadAccessibleSession(em, this.scope.viewer, await sessionIdFrom(em, roomIdArg, 'roomId'), lock);
    if (room.kind !== SessionKind.ROOM) throw notFound('ROOM_NOT_FOUND', `Room ${room.id} not found`);
    return room;
  }

  private requireManager(room: ChatSession): void {
    const user = requireUser(this.scope.viewer);
    if (user.role !== UserRole.ADMIN && room.customer?.id !== user.userId) throw forbidden('NOT_ROOM_OWNER', 'Only the room owner or an admin may change its members');
  }

  /** One transaction under the room's row lock; `apply` returns false when nothing changed (no event). */
  private async changeMembership(
    roomIdArg: string,
    userId: string,
    change: 'member.added' | 'member.removed',
    apply: (tx: Scope['em'], room: ChatSession, existing: Participant | null) => Promise<boolean>,
  ): Promise<ChatSession> {
    const { em } = this.scope;
    const { room, events } = await em.transactional(async (tx) => {
      const room = await this.readable(roomIdArg, true, tx);
      const existing = await tx.findOne(Participant, { session: room, user: userId });
      if (!(await apply(tx, room, existing))) return { room, events: [] };
      room.updatedAt = deskDate();
      await tx.flush();
      const event = await appendEvent(tx, placeOf(room), { type: 'session.updated', payload: { session: sessionDto(room), changes: ['members'], change, userId } });
      return { room, events: [event] };
    });
    this.publish(events);
    await em.populate(room, POPULATE);
    return room;
  }

  private publish(events: PublishedEvent[]): void {
    if (events.length) this.deps.events.publish(events);
  }
}
