import type { Viewer } from '../shared/viewer.js';
import type { Db } from '../db/orm.js';
import { ParticipantRole, SessionKind, UserRole } from '../shared/enums.js';
import { forbidden, unauthenticated } from '../shared/errors.js';
import { User } from '../model/user.entity.js';
import { Participant } from '../model/participant.entity.js';
import type { ChatSession } from '../model/session.entity.js';

/** The role a user takes on joining a session of `kind` (on first use, as ensureParticipant). */
export function roleFor(viewer: Extract<Viewer, { kind: 'user' }>, kind: SessionKind): ParticipantRole {
  if (kind === SessionKind.ROOM) return ParticipantRole.MEMBER;
  if (viewer.role === UserRole.BOT) return ParticipantRole.BOT;
  if (viewer.role === UserRole.USER) return ParticipantRole.CUSTOMER;
  return ParticipantRole.AGENT;
}

/**
 * The viewer's participant row in a session the caller already checked access to. Admins
 * (and a customer or agent whose row predates them) get one on first use, so every message
 * has a sender and every reader a watermark. `known`: the session's participants, when the
 * caller already loaded all of them, so no query is needed to find the viewer's.
 */
export async function ensureParticipant(em: Db, session: ChatSession, viewer: Viewer, known?: readonly Participant[]): Promise<Participant> {
  if (viewer.kind === 'anonymous') throw unauthenticated();
  if (viewer.kind === 'guest') {
    const guest = known ? (known.find((p) => p.id === viewer.participantId) ?? null) : await em.findOne(Participant, { id: viewer.participantId, session });
    if (!guest) throw forbidden('NOT_YOUR_SESSION');
    return guest;
  }
  const existing = known ? (known.find((p) => p.user?.id === viewer.userId) ?? null) : await em.findOne(Participant, { session, user: viewer.userId });
  if (existing) return existing;
  const participant = em.create(Participant, {
    tenant: session.tenant,
    session,
    user: em.getReference(User, viewer.userId),
    role: roleFor(viewer, session.kind),
  });
  await em.flush();
  return participant;
}

export function participantName(participant: Participant | null): string {
  if (!participant) return 'System';
  return participant.user?.displayName ?? participant.guestName ?? 'Guest';
}
