import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Scope } from '../db/scope.js';
import { appendEvent, type EventBus, type PublishedEvent, placeOf } from '../events/event-bus.js';
import type { RatingDto } from '../model/event-contract.js';
import type { ChatSession } from '../model/session.entity.js';
import { SessionRating } from '../model/session-rating.entity.js';
import { ensureParticipant } from '../sessions/participants.js';
import { sessionDto } from '../sessions/session.dto.js';
import { loadAccessibleSession, sessionIdFrom } from '../sessions/session-access.js';
import { SessionKind, SessionStatus, UserRole } from '../shared/enums.js';
import { badInput, conflict, forbidden } from '../shared/errors.js';
import { MAX_RATING_COMMENT_LENGTH } from '../shared/limits.js';
import { optionalText } from '../shared/validate.js';
import type { Viewer } from '../shared/viewer.js';

export const MIN_SCORE = 1;
export const MAX_SCORE = 5;

export interface RateInput {
  score: number;
  comment?: string | null;
}

export const ratingDto = (rating: SessionRating): RatingDto => ({
  id: rating.id,
  sessionId: rating.session.id,
  score: rating.score,
  comment: rating.comment,
  agentId: rating.agent?.id ?? null,
  createdAt: rating.createdAt.toISOString(),
});

/** The customer of a support session: the user who started it, or its guest (whose token names only it). */
function isCustomer(viewer: Viewer, session: ChatSession): boolean {
  if (viewer.kind === 'guest') return viewer.sessionId === session.id;
  return viewer.kind === 'user' && session.customer?.id === viewer.userId;
}

/**
 * CSAT: once a support session is closed, its customer may rate it once (score 1–5, optional
 * comment). The rating is recorded as `session.updated` (changes: ['rating']) in the same
 * transaction, so staff watching the session or the inbox see it live, and stats streams refresh.
 */
export class RatingService {
  constructor(
    private readonly scope: Scope,
    private readonly deps: { events: EventBus },
  ) {}

  async rate(sessionIdArg: string, input: RateInput): Promise<RatingDto> {
    const { em, viewer } = this.scope;
    const sessionId = await sessionIdFrom(em, sessionIdArg, 'sessionId');
    const score = input.score;
    if (!Number.isInteger(score) || score < MIN_SCORE || score > MAX_SCORE) {
      throw badInput('score', `score must be an integer from ${MIN_SCORE} to ${MAX_SCORE}`);
    }
    const comment = optionalText(input.comment, 'comment', MAX_RATING_COMMENT_LENGTH);
    let outcome: { rating: SessionRating; event: PublishedEvent };
    try {
      outcome = await em.transactional(async (tx) => {
        // Another tenant's session, or one the viewer may not read, fails here as it does everywhere.
        // The row lock orders the rating with a concurrent close (and keeps the event sequence gap-free).
        const session = await loadAccessibleSession(tx, viewer, sessionId, true);
        if (session.kind !== SessionKind.SUPPORT) throw badInput('sessionId', 'Only support sessions can be rated', 'NOT_RATABLE');
        if (!isCustomer(viewer, session)) throw forbidden('NOT_THE_CUSTOMER', 'Only the customer who started the session may rate it');
        if (session.status !== SessionStatus.CLOSED) throw conflict('SESSION_NOT_CLOSED', 'The session can be rated once it is closed');
        if ((await tx.count(SessionRating, { session })) > 0) throw conflict('ALREADY_RATED', 'The session has already been rated');
        const participant = await ensureParticipant(tx, session, viewer);
        const rating = tx.create(SessionRating, { tenant: session.tenant, session, participant, agent: session.agent, score, comment });
        session.updatedAt = rating.createdAt;
        await tx.flush();
        const event = await appendEvent(tx, placeOf(session), { type: 'session.updated', payload: { session: sessionDto(session), changes: ['rating'], rating: ratingDto(rating) } });
        return { rating, event };
      });
    } catch (error) {
      // Two first ratings at once: the unique index on session_id decides.
      if (error instanceof UniqueConstraintViolationException) throw conflict('ALREADY_RATED', 'The session has already been rated');
      throw error;
    }
    this.deps.events.publish([outcome.event]);
    return ratingDto(outcome.rating);
  }

  /**
   * The session's rating for those who may see it: the customer who gave it and the session's
   * staff and admins (who already passed the session's access rule to hold `session`); null for
   * anyone else, and when there is none.
   */
  async forSession(session: { id: string; customerId: string | null; agentId: string | null }): Promise<RatingDto | null> {
    const { em, viewer } = this.scope;
    const mayRead =
      (viewer.kind === 'guest' && viewer.sessionId === session.id) ||
      (viewer.kind === 'user' && (viewer.role === UserRole.ADMIN || (viewer.role === UserRole.STAFF && session.agentId === viewer.userId) || session.customerId === viewer.userId));
    if (!mayRead) return null;
    const rating = await em.findOne(SessionRating, { session: session.id });
    return rating ? ratingDto(rating) : null;
  }
}
