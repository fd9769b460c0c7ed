import type { FilterQuery } from '@mikro-orm/core';
import type { Db } from '../db/orm.js';
import { Participant } from '../model/participant.entity.js';
import type { ChatSession } from '../model/session.entity.js';
import { User } from '../model/user.entity.js';
import { ParticipantRole, SessionKind, UserRole } from '../shared/enums.js';
import { forbidden, unauthenticated } from '../shared/errors.js';
import type { UserViewer, Viewer } from '../shared/viewer.js';

/** The role a user takes on joining a session of `kind` (on first use, see findOrCreateParticipant). */
export function roleFor(viewer: UserViewer, kind: SessionKind): ParticipantRole {
  if (kind === SessionKind.ROOM) return ParticipantRole.MEMBER;
  if (viewer.role === UserRole.BOT) return ParticipantRole.BOT;
  if (viewer.role === UserRole.USER) return ParticipantRole.CUSTOMER;
  return ParticipantRole.AGENT;
}

/** How the viewer's participant row is recognised in a session: a guest's token names the row, a user's the account. */
export type ParticipantKey = { readonly participantId: string } | { readonly userId: string };

/** The viewer's participant key; null for the anonymous, who have no row anywhere. */
export function participantKeyOf(viewer: Exclude<Viewer, { kind: 'anonymous' }>): ParticipantKey;
export function participantKeyOf(viewer: Viewer): ParticipantKey | null;
export function participantKeyOf(viewer: Viewer): ParticipantKey | null {
  if (viewer.kind === 'guest') return { participantId: viewer.participantId };
  if (viewer.kind === 'user') return { userId: viewer.userId };
  return null;
}

/** Whether a participant row (its id and user id) is the one `key` recognises. */
export function isKeyOf(key: ParticipantKey, participant: { readonly id: string; readonly userId: string | null }): boolean {
  return 'participantId' in key ? participant.id === key.participantId : participant.userId === key.userId;
}

/** `key` as an ORM filter on the session's participants. */
export function participantFilter(key: ParticipantKey, session: ChatSession | string): FilterQuery<Participant> {
  return 'participantId' in key ? { id: key.participantId, session } : { session, user: key.userId };
}

/** Where participant rows are found and written: through the ORM or with plain SQL (messages/send-statements.ts). */
export interface ParticipantStore<P> {
  find(key: ParticipantKey): P | null | Promise<P | null>;
  create(viewer: UserViewer, role: ParticipantRole): Promise<P>;
}

/**
 * The viewer's participant row in a session of `kind` the caller already checked access to.
 * Admins (and a customer or agent whose row predates them) get one on first use, so every
 * message has a sender and every reader a watermark; a guest's row always exists.
 */
export async function findOrCreateParticipant<P>(viewer: Viewer, kind: SessionKind, store: ParticipantStore<P>): Promise<P> {
  if (viewer.kind === 'anonymous') throw unauthenticated();
  const existing = await store.find(participantKeyOf(viewer));
  if (existing) return existing;
  if (viewer.kind === 'guest') throw forbidden('NOT_YOUR_SESSION');
  return store.create(viewer, roleFor(viewer, kind));
}

/**
 * findOrCreateParticipant through the ORM. `known`: the session's participants, when the caller
 * already loaded all of them, so no query is needed to find the viewer's.
 */
export async function ensureParticipant(em: Db, session: ChatSession, viewer: Viewer, known?: readonly Participant[]): Promise<Participant> {
  return findOrCreateParticipant(viewer, session.kind, {
    find: (key) => (known ? (known.find((p) => isKeyOf(key, { id: p.id, userId: p.user?.id ?? null })) ?? null) : em.findOne(Participant, participantFilter(key, session))),
    create: async (user, role) => {
      const participant = em.create(Participant, { tenant: session.tenant, session, user: em.getReference(User, user.userId), role });
      await em.flush();
      return participant;
    },
  });
}

/** A participant's name as others see it: the user's display name, else the guest's name. */
export function displayNameOf(userDisplayName: string | null | undefined, guestName: string | null): string {
  return userDisplayName ?? guestName ?? 'Guest';
}

/** Who a message or signal is from; null (no participant) is the system. */
export function participantName(participant: Participant | null): string {
  if (!participant) return 'System';
  return displayNameOf(participant.user?.displayName, participant.guestName);
}
