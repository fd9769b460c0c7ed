import type { SessionAction } from '../shared/enums.js';

/**
 * An agent stopped holding a session, so their capacity freed: the session was closed while
 * assigned to them, unassigned from them, or transferred away from them. Reported once per
 * step, after the step committed (the outbox already has its `session.updated`).
 */
export interface AgentReleased {
  tenantId: string;
  agentId: string;
  sessionId: string;
  action: SessionAction.CLOSED | SessionAction.UNASSIGNED | SessionAction.TRANSFERRED;
}

/**
 * The one place other code hooks into capacity freeing (auto-assignment: offer the agent the next
 * waiting session). Called after commit, outside the step's transaction; a failure is logged and
 * never undoes or fails the step.
 */
export type AgentReleasedHook = (released: AgentReleased) => void | Promise<void>;
