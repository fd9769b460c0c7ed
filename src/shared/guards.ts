import { UserRole } from './enums.js';
import { forbidden, type ReasonOf, unauthenticated } from './errors.js';
import type { UserViewer, Viewer } from './viewer.js';

/** The viewer must be a signed-in user, optionally of one of `roles`. */
export function requireUser(viewer: Viewer, roles?: readonly UserRole[], reason: ReasonOf<'FORBIDDEN'> = 'ROLE_NOT_ALLOWED'): UserViewer {
  if (viewer.kind === 'anonymous') throw unauthenticated();
  if (viewer.kind === 'guest') throw forbidden('GUEST_NOT_ALLOWED');
  if (roles && !roles.includes(viewer.role)) throw forbidden(reason);
  return viewer;
}

/** The support side (staff, or an admin acting on every session): seed 000's staff routes. */
export const requireSupportStaff = (viewer: Viewer): UserViewer => requireUser(viewer, [UserRole.STAFF, UserRole.ADMIN], 'STAFF_ONLY');
