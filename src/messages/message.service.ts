import { randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import { type AttachmentDeps, AttachmentService, type ReceivedFiles, type UploadInput } from '../attachments/attachment.service.js';
import type { Db } from '../db/orm.js';
import type { Scope } from '../db/scope.js';
import { appendEvent, type EventBus, placeOf } from '../events/event-bus.js';
import { lastEventIdOf } from '../events/event-position.js';
import type { PublishedEvent } from '../model/event-contract.js';
import { ChatMessage } from '../model/message.entity.js';
import { Participant } from '../model/participant.entity.js';
import { ChatSession } from '../model/session.entity.js';
import { type AssignmentTrigger, joinsAutoAssignQueue } from '../sessions/assignment-queue.js';
import { messageRecordFromRow, messageRecordOf } from '../sessions/message-record.js';
import { readShowsNotes, seesPrivateNotes, visibleMessages, visibleMessagesSql } from '../sessions/message-visibility.js';
import { ensureParticipant, findOrCreateParticipant, isKeyOf, participantKeyOf } from '../sessions/participants.js';
import { denialOf, loadAccessibleSession, sessionIdFrom } from '../sessions/session-access.js';
import { wakeInTransaction } from '../sessions/snooze.js';
import { type MessageView, WatermarkView } from '../sessions/watermarks.js';
import type { Connection } from '../shared/connection.js';
import { deskDate } from '../shared/desk-clock.js';
import { ParticipantRole, SenderType, SessionKind, SessionStatus } from '../shared/enums.js';
import { accessDenied, badInput, conflict, forbidden, notFound, unauthenticated } from '../shared/errors.js';
import { MAX_CLIENT_MESSAGE_ID_LENGTH, MAX_CONTENT_LENGTH } from '../shared/limits.js';
import { intInRange, maxId, parseId, parseWatermark, requireJsonObject, requireText } from '../shared/validate.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { messageDto } from './message.dto.js';
import {
  anyMessage,
  deliveredWatermark,
  isMember,
  type MessageRowWithAttachments,
  messageRecords,
  noteBlindMark,
  type ParticipantRecord,
  type SessionRow,
  selectMessageRows,
  selectParticipants,
  selectSession,
} from './message-reads.js';
import { insertAttachments, insertMessage, insertParticipant, moveSenderWatermarks, type SessionCounters, updateSessionAfterSend } from './send-statements.js';

export const MAX_METADATA_BYTES = 16_384;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_MARK_READ_IDS = 100;

export interface SendMessageInput {
  /** May be blank when the message carries attachments. */
  content: string;
  clientMessageId?: string | null;
  metadata?: Record<string, unknown> | null;
  /** Files, in order; any transport's parsed uploads (see IncomingUpload). */
  attachments?: readonly UploadInput[] | null;
  /** A private note: support staff, admins and bots only, in support sessions (sessions/message-visibility.ts). */
  private?: boolean | null;
}

export interface SendResult {
  message: MessageView;
  /** False when clientMessageId matched an earlier message, which is returned unchanged. */
  created: boolean;
}

export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  /** False: no private notes even for staff (REST dialects). */
  includeNotes?: boolean | null;
}

export interface MessageConnectionResult extends Connection<MessageView> {
  totalCount: number;
  /** The outbox position this page stands at (see events/event-position.ts); read only when asked for. */
  position: () => Promise<string>;
}

export interface MessagePageResult {
  items: MessageView[];
  totalCount: number;
  hasMore: boolean;
  position: () => Promise<string>;
}

function senderTypeFor(role: ParticipantRole, kind: SessionKind): SenderType {
  if (kind === SessionKind.ROOM) return SenderType.USER;
  switch (role) {
    case ParticipantRole.AGENT:
      return SenderType.SUPPORT;
    case ParticipantRole.BOT:
      return SenderType.ASSISTANT;
    default:
      return SenderType.USER;
  }
}

/**
 * Stats bookkeeping: a customer message opens a wait, the first support reply closes it (and
 * counts as a response). Returns the session's changes; none outside support sessions.
 */
function responseTime(session: SessionRow, senderType: SenderType, at: Date): Pick<SessionCounters, 'waitingSince' | 'response'> {
  if (session.kind !== SessionKind.SUPPORT) return {};
  if (senderType === SenderType.USER && session.waitingSince === null) return { waitingSince: at };
  if (senderType === SenderType.SUPPORT && session.waitingSince !== null) return { waitingSince: null, response: { ms: at.getTime() - session.waitingSince.getTime() } };
  return {};
}

function validateMetadata(metadata: Record<string, unknown> | null | undefined): Record<string, unknown> {
  return metadata === null || metadata === undefined ? {} : requireJsonObject(metadata, 'metadata', MAX_METADATA_BYTES);
}

/** Sending, reading and paging messages, and the read watermark. */
export class MessageService {
  private readonly attachments: AttachmentService;

  constructor(
    private readonly scope: Scope,
    private readonly deps: { events: EventBus; assignment?: AssignmentTrigger } & AttachmentDeps,
  ) {
    this.attachments = new AttachmentService(scope, deps);
  }

  /**
   * Writes a message, its attachment rows, its outbox event and the session's counters in one
   * transaction under a row lock on the session: sends within a session are serialised, so ids
   * and createdAt agree, a closed session never gains a message, and a retried clientMessageId
   * finds the original. Files are received before the transaction (a slow upload never holds
   * the lock) and removed again if it fails: all or nothing.
   */
  async send(sessionIdArg: string, input: SendMessageInput): Promise<SendResult> {
    const { em } = this.scope;
    const sessionId = await sessionIdFrom(em, sessionIdArg, 'sessionId');
    const uploads = input.attachments ?? [];
    const content = uploads.length > 0 && (input.content ?? '').trim() === '' ? '' : requireText(input.content, 'content', MAX_CONTENT_LENGTH);
    const clientMessageId = input.clientMessageId == null ? null : requireText(input.clientMessageId, 'clientMessageId', MAX_CLIENT_MESSAGE_ID_LENGTH);
    const metadata = validateMetadata(input.metadata);
    const isPrivate = input.private === true;
    if (isPrivate && !seesPrivateNotes(this.scope.viewer)) throw forbidden('NOTES_STAFF_ONLY', 'Only support staff, admins and bots may write private notes');
    if (uploads.length === 0) return this.write(sessionId, { content, clientMessageId, metadata, isPrivate }, null);

    this.attachments.checkCount(uploads);
    // Refuse before reading a byte when the viewer could not send anyway (on a fork: the
    // transaction must read the session afresh under its lock).
    const session = await loadAccessibleSession(this.scope.em.fork(), this.scope.viewer, sessionId);
    if (session.status === SessionStatus.CLOSED) throw conflict('SESSION_CLOSED', 'The session is closed and accepts no new messages');
    const received = await this.attachments.receive(session.tenant.id, uploads);
    let result: SendResult;
    try {
      result = await this.write(sessionId, { content, clientMessageId, metadata, isPrivate }, received);
    } catch (error) {
      await received.discard();
      throw error;
    }
    // A retried clientMessageId returned the original message: these copies are not needed.
    if (!result.created) await received.discard();
    return result;
  }

  private async write(
    sessionId: string,
    { content, clientMessageId, metadata, isPrivate }: { content: string; clientMessageId: string | null; metadata: Record<string, unknown>; isPrivate: boolean },
    received: ReceivedFiles | null,
  ): Promise<SendResult> {
    const { em, viewer } = this.scope;
    if (viewer.kind === 'anonymous') throw unauthenticated();
    const tenantId = viewer.tenantId;
    let queued = false;
    const noEvents: PublishedEvent[] = [];
    // Plain statements, no unit of work (send-statements.ts; bench/NOTES.md): the rules of the ORM
    // paths, at about the HTTP floor's statement count.
    const outcome = await em.transactional(async (tx) => {
      queued = false;
      let session = await selectSession(tx, tenantId, sessionId, true);
      if (!session) throw notFound('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
      // Every participant with their user's names in one statement: access, the sender, and the
      // reply's read state all come from it, so nothing is read again after commit.
      const known = await selectParticipants(tx, tenantId, sessionId);
      const denial = await denialOf(viewer, session, (userId) => known.some((p) => p.userId === userId && !p.left));
      if (denial) throw accessDenied(denial);
      const sender = await this.senderAmong(tx, session, known);
      const participants = known.includes(sender) ? known : [...known, sender];
      if (clientMessageId !== null) {
        const [original] = await selectMessageRows(tx, {
          tenantId,
          sessionId,
          where: ' and sender_id = ? and client_message_id = ?',
          params: [sender.id, clientMessageId],
          order: 'id asc',
          limit: 1,
        });
        if (original) return { participants, message: messageRecords([original], participants)[0]!, created: false, events: noEvents };
      }
      if (session.status === SessionStatus.CLOSED) throw conflict('SESSION_CLOSED', 'The session is closed and accepts no new messages');
      if (isPrivate && session.kind !== SessionKind.SUPPORT) throw badInput('private', 'Private notes belong to support sessions', 'NOTES_SUPPORT_ONLY');

      const createdAt = deskDate();
      const senderType = senderTypeFor(sender.role, session.kind);
      const counters: SessionCounters = { note: isPrivate, createdAt };
      // The customer writing wakes a snoozed session, in this transaction under its row lock, so
      // the wake comes before the message and happens once (sessions/snooze.ts). Staff replies,
      // notes and bots leave it snoozed.
      const woke = senderType === SenderType.USER && !isPrivate && session.status === SessionStatus.SNOOZED ? await wakeInTransaction(tx, tenantId, sessionId, 'CUSTOMER', createdAt) : null;
      if (woke) session = { ...session, status: SessionStatus.ACTIVE };
      // A note is no reply (the customer's wait goes on) and no activity the customer sees.
      if (!isPrivate) {
        Object.assign(counters, responseTime(session, senderType, createdAt));
        // A customer writing into an unassigned session is waiting for someone: queue it for a free agent.
        if (senderType === SenderType.USER && (await joinsAutoAssignQueue(tx, session))) {
          queued = true;
          counters.queuedAt = createdAt;
        }
      }
      const row = await insertMessage(tx, {
        uuid: randomUUID(),
        tenantId,
        sessionId,
        senderId: sender.id,
        senderType,
        content,
        metadata,
        clientMessageId,
        createdAt,
        isPrivate,
        responseMs: counters.response?.ms ?? null,
      });
      const id = row.id;
      const attachments = await insertAttachments(tx, tenantId, id, received?.files ?? [], createdAt);
      const message = messageRecordFromRow(row, sender, attachments);
      const event = await appendEvent(tx, { tenantId, sessionId }, { type: 'message.created', payload: { message: messageDto(message) } });
      const events = woke ? [woke, event] : [event];
      await updateSessionAfterSend(tx, tenantId, sessionId, id, counters);
      // The sender has read everything up to their own message.
      await moveSenderWatermarks(tx, tenantId, sender.id, id);
      const moved = { ...sender, lastReadMessageId: id, lastDeliveredMessageId: id };
      return { participants: participants.map((p) => (p === sender ? moved : p)), message, created: true, events };
    });
    if (outcome.events.length) this.deps.events.publish(outcome.events);
    if (queued) await this.deps.assignment?.drain(viewer.tenantId);
    const view = new WatermarkView(outcome.participants).view(outcome.message);
    return { message: view, created: outcome.created };
  }

  /** The viewer's participant row among the session's (findOrCreateParticipant), written with plain SQL when new. */
  private async senderAmong(tx: Db, session: SessionRow, known: readonly ParticipantRecord[]): Promise<ParticipantRecord> {
    return findOrCreateParticipant(this.scope.viewer, session.kind, {
      find: (key) => known.find((p) => isKeyOf(key, p)) ?? null,
      create: async (user, role) => {
        const id = await insertParticipant(tx, session.tenantId, session.id, user.userId, role, deskDate());
        return { id, role, userId: user.userId, name: user.displayName, username: user.username, left: false, lastReadMessageId: '0', lastDeliveredMessageId: '0' };
      },
    });
  }

  /** Relay cursor paging keyed on id; both directions are a single index range scan. */
  async connection(sessionIdArg: string, args: ConnectionArgs): Promise<MessageConnectionResult> {
    const session = await this.readable(sessionIdArg);
    if (args.first != null && args.last != null) throw badInput('first', 'pass either first or last, not both');
    const backward = args.last != null;
    const size = backward ? intInRange(args.last, 'last', 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE) : intInRange(args.first, 'first', 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE);
    const afterId = args.after != null ? decodeCursor(args.after, 'after') : null;
    const beforeId = args.before != null ? decodeCursor(args.before, 'before') : null;

    // The page is cut where the session row was read: a message sent since then arrives as an
    // event after lastEventId instead of appearing in both.
    let where = ' and id <= ?';
    const params: string[] = [session.lastMessageId];
    if (afterId !== null) {
      where += ' and id > ?';
      params.push(afterId);
    }
    if (beforeId !== null) {
      where += ' and id < ?';
      params.push(beforeId);
    }
    const includeNotes = args.includeNotes !== false;
    const rows = await selectMessageRows(this.scope.em, {
      tenantId: session.tenantId,
      sessionId: session.id,
      where: where + visibleMessagesSql(this.scope.viewer, includeNotes),
      params,
      order: backward ? 'id desc' : 'id asc',
      limit: size + 1,
    });
    const more = rows.length > size;
    const page = rows.slice(0, size);
    if (backward) page.reverse();

    const first = page[0];
    const last = page[page.length - 1];
    const [hasPreviousPage, hasNextPage] = backward
      ? [more, beforeId !== null && (await this.exists(session, ' and id >= ?', beforeId, includeNotes))]
      : [afterId !== null && (await this.exists(session, ' and id <= ?', afterId, includeNotes)), more];
    const { views, participants } = await this.views(session, page);
    await this.deliver(session.id, this.ownWatermarks(participants), last?.id);
    return {
      edges: views.map((node) => ({ cursor: encodeCursor(node.message.id), node })),
      pageInfo: {
        hasNextPage,
        hasPreviousPage,
        startCursor: first ? encodeCursor(first.id) : null,
        endCursor: last ? encodeCursor(last.id) : null,
      },
      totalCount: this.totalOf(session, includeNotes),
      position: () => lastEventIdOf(this.scope.em, session, readShowsNotes(this.scope.viewer, includeNotes)),
    };
  }

  /** Offset paging in (createdAt, id) order; hasMore from fetching one extra row. */
  async page(sessionIdArg: string, offsetArg?: number | null, limitArg?: number | null, includeNotes = true): Promise<MessagePageResult> {
    const offset = intInRange(offsetArg, 'offset', 0, 10_000_000, 0);
    const limit = intInRange(limitArg, 'limit', 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE);
    const session = await this.readable(sessionIdArg);
    const rows = await selectMessageRows(this.scope.em, {
      tenantId: session.tenantId,
      sessionId: session.id,
      // Cut where the session row was read, as in connection().
      where: ` and id <= ?${visibleMessagesSql(this.scope.viewer, includeNotes)}`,
      params: [session.lastMessageId],
      order: 'created_at asc, id asc',
      limit: limit + 1,
      offset,
    });
    const { views: items, participants } = await this.views(session, rows.slice(0, limit));
    await this.deliver(session.id, this.ownWatermarks(participants), maxId(items.map((view) => view.message.id)));
    return {
      items,
      totalCount: this.totalOf(session, includeNotes),
      hasMore: rows.length > limit,
      position: () => lastEventIdOf(this.scope.em, session, readShowsNotes(this.scope.viewer, includeNotes)),
    };
  }

  /** Messages with id > afterId, oldest first: the polling primitive (seed 000). */
  async since(sessionIdArg: string, afterIdArg: string, limitArg?: number | null, includeNotes = true): Promise<MessageView[]> {
    const afterId = parseWatermark(afterIdArg, 'afterId');
    const limit = intInRange(limitArg, 'limit', 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE);
    const session = await this.readable(sessionIdArg);
    const rows = await selectMessageRows(this.scope.em, {
      tenantId: session.tenantId,
      sessionId: session.id,
      where: ` and id > ?${visibleMessagesSql(this.scope.viewer, includeNotes)}`,
      params: [afterId],
      order: 'id asc',
      limit,
    });
    const { views, participants } = await this.views(session, rows);
    await this.deliver(session.id, this.ownWatermarks(participants), rows[rows.length - 1]?.id);
    return views;
  }

  /**
   * Moves the viewer's read watermark to the highest of `messageIds` (all must belong to the
   * session). A watermark never moves backwards; an unchanged one records no event.
   */
  async markRead(sessionIdArg: string, messageIdsArg: readonly string[]): Promise<{ sessionId: string; participantId: string; lastReadMessageId: string }> {
    const { em, viewer } = this.scope;
    const sessionId = await sessionIdFrom(em, sessionIdArg, 'sessionId');
    if (!Array.isArray(messageIdsArg) || messageIdsArg.length === 0) throw badInput('messageIds', 'messageIds may not be empty');
    if (messageIdsArg.length > MAX_MARK_READ_IDS) throw badInput('messageIds', `at most ${MAX_MARK_READ_IDS} messageIds`);
    const messageIds = [...new Set(messageIdsArg.map((id) => parseId(id, 'messageIds')))];

    const outcome = await em.transactional(async (tx) => {
      // The session row lock keeps this session's outbox ids in commit order (gap-free resume).
      const session = await loadAccessibleSession(tx, viewer, sessionId, true);
      const found = await tx.count(ChatMessage, { session, id: { $in: messageIds }, ...visibleMessages(viewer) });
      if (found !== messageIds.length) throw badInput('messageIds', 'every message id must belong to this session', 'UNKNOWN_MESSAGE');
      const participant = await ensureParticipant(tx, session, viewer);
      const target = maxId(messageIds);
      const noteBlind = await noteBlindMark(tx, { tenantId: session.tenant.id, sessionId: session.id, participantId: participant.id, watermark: 'read', target });
      // Conditional update: concurrent calls can only move the watermark forward.
      const moved = await tx.nativeUpdate(Participant, { id: participant.id, lastReadMessageId: { $lt: target } }, { lastReadMessageId: target });
      await tx.nativeUpdate(Participant, { id: participant.id, lastDeliveredMessageId: { $lt: target } }, { lastDeliveredMessageId: target });
      const events: PublishedEvent[] = [];
      if (moved > 0) {
        events.push(
          await appendEvent(tx, placeOf(session), {
            type: 'read.updated',
            payload: { participantId: participant.id, userId: participant.user?.id ?? null, lastReadMessageId: target, ...noteBlind },
          }),
        );
      }
      await tx.refresh(participant);
      return { events, lastRead: participant.lastReadMessageId, participantId: participant.id };
    });
    this.publish(outcome.events);
    return { sessionId, participantId: outcome.participantId, lastReadMessageId: outcome.lastRead };
  }

  /**
   * Changes the content of one of the viewer's own messages (members of a room and the other
   * side of a session may only read it). Recorded as `message.updated`.
   */
  async edit(messageIdArg: string, contentArg: string): Promise<MessageView> {
    const content = requireText(contentArg, 'content', MAX_CONTENT_LENGTH);
    return this.changeOwn(messageIdArg, 'message.updated', (message, now) => {
      message.content = content;
      message.editedAt = now;
      message.version += 1;
    });
  }

  /** Soft-deletes one of the viewer's own messages: it keeps its place and id, its content reads ''. */
  async delete(messageIdArg: string): Promise<MessageView> {
    return this.changeOwn(messageIdArg, 'message.deleted', (message, now) => {
      message.deletedAt = now;
      message.version += 1;
    });
  }

  private async changeOwn(messageIdArg: string, type: 'message.updated' | 'message.deleted', change: (message: ChatMessage, now: Date) => void): Promise<MessageView> {
    const { em, viewer } = this.scope;
    const messageId = parseId(messageIdArg, 'messageId');
    const outcome = await em.transactional(async (tx) => {
      const found = await tx.findOne(ChatMessage, { id: messageId }, { fields: ['id', 'session'] });
      if (!found) throw notFound('MESSAGE_NOT_FOUND', `Message ${messageId} not found`);
      // Same lock as send: edits and deletes are ordered with the session's other writes.
      const session = await loadAccessibleSession(tx, viewer, found.session.id, true);
      const message = await tx.findOneOrFail(ChatMessage, { id: messageId }, { populate: ['sender.user'], refresh: true });
      const own = (viewer.kind === 'user' && message.sender?.user?.id === viewer.userId) || (viewer.kind === 'guest' && message.sender?.id === viewer.participantId);
      if (!own) throw forbidden('NOT_MESSAGE_SENDER', 'Only the sender may change a message');
      if (message.deletedAt) throw conflict('MESSAGE_DELETED', 'The message was deleted');
      if (session.status === SessionStatus.CLOSED) throw conflict('SESSION_CLOSED', 'The session is closed');
      const now = deskDate();
      change(message, now);
      session.updatedAt = now;
      await tx.flush();
      const event = await appendEvent(tx, placeOf(session), { type, payload: { message: messageDto(messageRecordOf(message)) } });
      return { session, message, events: [event] };
    });
    this.publish(outcome.events);
    await this.scope.em.populate(outcome.message, ['attachments']);
    const participants = await selectParticipants(this.scope.em, outcome.session.tenant.id, outcome.session.id);
    return new WatermarkView(participants).view(messageRecordOf(outcome.message));
  }

  /**
   * DELIVERED: the viewer has received the session's messages up to `messageId`, because a
   * subscription pushed it or a fetch returned it. Moves the viewer's delivered watermark forward
   * only, and records `delivery.updated` when it moved. Only participants have watermarks: an
   * admin watching a session they never joined changes nothing. Cheap when nothing moves (one read).
   */
  async markDelivered(sessionId: string, messageId: string | undefined): Promise<void> {
    const { em, viewer } = this.scope;
    if (messageId === undefined || messageId === '0') return;
    const by = participantKeyOf(viewer);
    if (by === null) return;
    await this.deliver(sessionId, await deliveredWatermark(em, viewer.tenantId, sessionId, by), messageId);
  }

  /** The viewer's own row among a page's participants (none for an admin who never joined, or the anonymous). */
  private ownWatermarks(participants: readonly ParticipantRecord[]): ParticipantRecord | null {
    const key = participantKeyOf(this.scope.viewer);
    return key === null ? null : (participants.find((p) => isKeyOf(key, p)) ?? null);
  }

  /** markDelivered once the viewer's watermark is known: nothing is written unless it moves forward. */
  private async deliver(sessionId: string, current: { id: string; lastDeliveredMessageId: string } | null, messageId: string | undefined): Promise<void> {
    const { em, viewer } = this.scope;
    if (messageId === undefined || messageId === '0') return;
    if (!current || BigInt(current.lastDeliveredMessageId) >= BigInt(messageId)) return;
    const events = await em.fork().transactional(async (tx) => {
      // Same lock as send/markRead: this session's outbox ids stay in commit order.
      const session = await tx.findOneOrFail(ChatSession, { id: sessionId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const noteBlind = await noteBlindMark(tx, { tenantId: viewer.tenantId, sessionId, participantId: current.id, watermark: 'delivered', target: messageId });
      const moved = await tx.nativeUpdate(Participant, { id: current.id, lastDeliveredMessageId: { $lt: messageId } }, { lastDeliveredMessageId: messageId });
      if (moved === 0) return [];
      return [
        await appendEvent(tx, placeOf(session), {
          type: 'delivery.updated',
          payload: { participantId: current.id, userId: viewer.kind === 'user' ? viewer.userId : null, lastDeliveredMessageId: messageId, ...noteBlind },
        }),
      ];
    });
    this.publish(events);
  }

  /** Messages in the session as the viewer counts them: notes only for those who see them. */
  private totalOf(session: SessionRow, includeNotes: boolean): number {
    return session.messageCount + (readShowsNotes(this.scope.viewer, includeNotes) ? session.noteCount : 0);
  }

  /** loadAccessibleSession as two plain reads at most (the session row; membership when it decides): no entity hydrated. */
  private async readable(sessionIdArg: string): Promise<SessionRow> {
    const { em, viewer } = this.scope;
    const sessionId = await sessionIdFrom(em, sessionIdArg, 'sessionId');
    if (viewer.kind === 'anonymous') throw unauthenticated();
    const session = await selectSession(em, viewer.tenantId, sessionId);
    if (!session) throw notFound('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
    const denial = await denialOf(viewer, session, (userId) => isMember(em, viewer.tenantId, sessionId, userId));
    if (denial) throw accessDenied(denial);
    return session;
  }

  /** The has-previous/next probe: any message of the session beyond the cursor that the reader may see. */
  private async exists(session: SessionRow, idCondition: string, id: string, includeNotes: boolean): Promise<boolean> {
    return anyMessage(this.scope.em, session.tenantId, session.id, idCondition + visibleMessagesSql(this.scope.viewer, includeNotes), [id]);
  }

  /**
   * Read/delivery state derives from the session's participants' watermarks, loaded once per page
   * with their users' names (one statement), which also name every message's sender.
   */
  private async views(session: SessionRow, rows: readonly MessageRowWithAttachments[]): Promise<{ views: MessageView[]; participants: ParticipantRecord[] }> {
    if (rows.length === 0) return { views: [], participants: [] };
    const participants = await selectParticipants(this.scope.em, session.tenantId, session.id);
    const watermarks = new WatermarkView(participants);
    return { views: messageRecords(rows, participants).map((record) => watermarks.view(record)), participants };
  }

  private publish(events: PublishedEvent[]): void {
    if (events.length) this.deps.events.publish(events);
  }
}
