import type { Db } from '../db/orm.js';
import type { ChatSession } from '../model/session.entity.js';
import { deskDate } from '../shared/desk-clock.js';
import { SessionKind, SessionStatus } from '../shared/enums.js';

/**
 * What the session and message services need of auto-assignment (assignment/ implements it; it
 * sits above this folder, so the services get it injected). Call `drain` after the transaction
 * that queued a session or freed an agent's capacity has committed: it assigns waiting sessions
 * to free agents, and never throws (a session it could not place stays queued).
 */
export interface AssignmentTrigger {
  drain(tenantId: string): Promise<void>;
}

/**
 * Inside the transaction that opened a support session, or took a customer message on an
 * unassigned one: with the tenant's auto-assignment on, the session joins the tenant's queue
 * (unless it already waits there). Returns whether it did; then call `drain` after commit.
 */
export async function queueIfAutoAssigned(tx: Db, session: ChatSession, now = deskDate()): Promise<boolean> {
  const facts = { tenantId: session.tenant.id, kind: session.kind, status: session.status, agentId: session.agent?.id ?? null, queuedAt: session.queuedAt };
  if (!(await joinsAutoAssignQueue(tx, facts))) return false;
  session.queuedAt = now;
  return true;
}

/** What the queue rule reads of a session: from an entity, or from a row read with plain SQL. */
export interface QueueFacts {
  tenantId: string;
  kind: SessionKind;
  status: SessionStatus;
  agentId: string | null;
  queuedAt: Date | null;
}

/** queueIfAutoAssigned's rule alone: whether the session joins the queue now (the caller sets `queued_at`). */
export async function joinsAutoAssignQueue(tx: Db, session: QueueFacts): Promise<boolean> {
  if (session.kind !== SessionKind.SUPPORT || session.status !== SessionStatus.ACTIVE || session.agentId !== null || session.queuedAt !== null) return false;
  // A plain read: no (partial) tenant entity enters the caller's identity map.
  const [tenant] = await tx.execute<{ auto_assign: boolean }[]>('select auto_assign from tenants where id = ?', [session.tenantId]);
  return tenant?.auto_assign === true;
}
