import { LockMode } from '@mikro-orm/core';
import type { Db } from '../db/orm.js';
import { Participant } from '../model/participant.entity.js';
import { ChatSession } from '../model/session.entity.js';
import { SessionKind, UserRole } from '../shared/enums.js';
import { type AccessDenial, accessDenied, notFound, unauthenticated } from '../shared/errors.js';
import { isUuid, parseId } from '../shared/validate.js';
import type { Viewer } from '../shared/viewer.js';

/**
 * DESIGN §4 in one place. Reading and writing a session follow the same rule: admins see the
 * whole tenant, staff their assigned sessions, users the sessions they started, bots and room
 * members the sessions they were added to, a guest its one session. Tenant isolation is the
 * ORM filter's job: another tenant's session is simply never found.
 */
export async function accessDenial(em: Db, viewer: Viewer, session: ChatSession): Promise<AccessDenial | null> {
  const facts = { id: session.id, kind: session.kind, agentId: session.agent?.id ?? null, customerId: session.customer?.id ?? null };
  return denialOf(viewer, facts, async (userId) => (await em.count(Participant, { session, user: userId, leftAt: null })) > 0);
}

/** What DESIGN §4 reads of a session: from an entity, or from a row read with plain SQL. */
export interface SessionAccessFacts {
  id: string;
  kind: SessionKind;
  agentId: string | null;
  customerId: string | null;
}

/**
 * accessDenial over plain facts (the send transaction reads the session row with plain SQL).
 * `isMember`: whether the user has a participant row in the session that they have not left;
 * asked only when membership decides.
 */
export async function denialOf(viewer: Viewer, session: SessionAccessFacts, isMember: (userId: string) => boolean | Promise<boolean>): Promise<AccessDenial | null> {
  if (viewer.kind === 'anonymous') return 'AUTHENTICATION_REQUIRED';
  if (viewer.kind === 'guest') return viewer.sessionId === session.id ? null : 'NOT_YOUR_SESSION';
  if (viewer.role === UserRole.ADMIN) return null;
  if (session.kind === SessionKind.SUPPORT) {
    if (viewer.role === UserRole.STAFF) return session.agentId === viewer.userId ? null : 'NOT_ASSIGNED';
    if (viewer.role === UserRole.USER) return session.customerId === viewer.userId ? null : 'NOT_YOUR_SESSION';
  }
  return (await isMember(viewer.userId)) ? null : 'NOT_A_PARTICIPANT';
}

/** A session reference as callers give it (numeric id or public UUID) resolved to the numeric id. */
export async function sessionIdFrom(em: Db, idOrUuid: string, field: string): Promise<string> {
  if (!isUuid(idOrUuid)) return parseId(idOrUuid, field);
  const found = await em.findOne(ChatSession, { uuid: idOrUuid }, { fields: ['id'] });
  if (!found) throw notFound('SESSION_NOT_FOUND', `Session ${idOrUuid} not found`);
  return found.id;
}

/** Loads a session the viewer may read, or throws NOT_FOUND / FORBIDDEN. `lock` takes a row lock (inside a transaction). */
export async function loadAccessibleSession(em: Db, viewer: Viewer, sessionId: string, lock = false): Promise<ChatSession> {
  if (viewer.kind === 'anonymous') throw unauthenticated();
  const session = await em.findOne(ChatSession, { id: sessionId }, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  if (!session) throw notFound('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
  const denial = await accessDenial(em, viewer, session);
  if (denial) throw accessDenied(denial);
  return session;
}

/** A SQL condition with its positional (`?`) parameters. */
export interface SqlCondition {
  sql: string;
  params: unknown[];
}

/** Conditions joined with `and`, their parameters in order. */
export function allOf(conditions: readonly SqlCondition[]): SqlCondition {
  return { sql: conditions.map((condition) => `(${condition.sql})`).join(' and '), params: conditions.flatMap((condition) => condition.params) };
}

/**
 * accessDenial as a SQL condition on the session alias `s`, for queries that read many sessions
 * at once (search). The two must agree; the permission-matrix tests hold both to it. Tenant scope
 * is not part of it: raw SQL bypasses the ORM filter, so every caller states `tenant_id = ?` itself.
 */
export function readableSessionsCondition(viewer: Viewer): SqlCondition {
  if (viewer.kind === 'anonymous') throw unauthenticated();
  if (viewer.kind === 'guest') return { sql: 's.id = ?', params: [viewer.sessionId] };
  if (viewer.role === UserRole.ADMIN) return { sql: 'true', params: [] };
  const member = 'exists (select 1 from participants p where p.session_id = s.id and p.user_id = ? and p.left_at is null)';
  const supportSide = viewer.role === UserRole.STAFF ? 's.agent_id' : viewer.role === UserRole.USER ? 's.customer_id' : null;
  if (supportSide === null) return { sql: member, params: [viewer.userId] };
  return {
    sql: `((s.kind = '${SessionKind.SUPPORT}' and ${supportSide} = ?) or (s.kind <> '${SessionKind.SUPPORT}' and ${member}))`,
    params: [viewer.userId, viewer.userId],
  };
}
