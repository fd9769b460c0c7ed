import type { UserViewer, Viewer } from '../shared/viewer.js';
import { forbidden, unauthenticated } from '../shared/errors.js';
import { UserRole } from '../shared/enums.js';

/** The viewer must be a signed-in user, optionally of one of `roles`. */
export function requireUser(viewer: Viewer, roles?: readonly UserRole[], reason = 'ROLE_NOT_ALLOWED'): UserViewer {
  if (viewer.kind === 'anonymous') throw unauthenticated();
  if (viewer.kind === 'guest') throw forbidden('GUEST_NOT_ALLOWED');
  if (roles && !roles.includes(viewer.role)) throw forbidden(reason);
  return viewer;
}

/** The support side (staff, or an admin acting on every session): seed 000's staff routes. */
export const requireSupportStaff = (viewer: Viewer): UserViewer => requireUser(viewer, [UserRole.STAFF, UserRole.ADMIN], 'STAFF_ONLY');
