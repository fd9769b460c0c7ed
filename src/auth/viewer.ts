import type { UserRole } from '../shared/enums.js';

/** Who is asking. Built once per request or operation from the bearer token. */
export type Viewer =
  | { kind: 'anonymous'; tenantId: string }
  | { kind: 'user'; tenantId: string; userId: string; role: UserRole; username: string; displayName: string }
  /** A guest holds a token scoped to exactly one session. */
  | { kind: 'guest'; tenantId: string; participantId: string; sessionId: string };

export type UserViewer = Extract<Viewer, { kind: 'user' }>;
