import { UserRole } from './enums.js';
import type { Viewer } from './viewer.js';

/**
 * Who may read personal data, written once for every transport (GraphQL types, REST shapes).
 * A guest's contact details (email, phone): the guest itself, and the support side (staff,
 * admins) who answer it. A user's email: the user and the tenant's admins.
 */
export const mayReadGuestContact = (viewer: Viewer): boolean => viewer.kind === 'guest' || (viewer.kind === 'user' && (viewer.role === UserRole.ADMIN || viewer.role === UserRole.STAFF));

export const mayReadUserEmail = (viewer: Viewer, userId: string): boolean => viewer.kind === 'user' && (viewer.role === UserRole.ADMIN || viewer.userId === userId);
