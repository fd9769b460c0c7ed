import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { auditContextOf, audited, created } from '../audit/audit-log.js';
import type { Db } from '../db/orm.js';
import type { Scope } from '../db/scope.js';
import { Tenant } from '../model/tenant.entity.js';
import { User } from '../model/user.entity.js';
import { UserRole } from '../shared/enums.js';
import { badInput, conflict } from '../shared/errors.js';
import { requireUser } from '../shared/guards.js';
import { MAX_DISPLAY_NAME_LENGTH, MAX_EMAIL_LENGTH, MAX_USERNAME_LENGTH } from '../shared/limits.js';
import { optionalName, optionalText, requireName } from '../shared/validate.js';
import { hashPassword } from './password.js';

export interface NewUser {
  role: UserRole;
  username: string;
  displayName?: string | null;
  email?: string | null;
  password?: string | null;
}

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

/** The one password policy (GraphQL, invitations and the admin CLI all apply it): 8 to 256 characters. */
export function checkPassword(password: unknown, field = 'password'): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw badInput(field, `${field} must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
  }
  return password;
}

/**
 * Sets a user's password (policy checked) and revokes every token they hold: a new password
 * signs the user out everywhere. Flushes.
 */
export async function setPassword(em: Db, user: User, password: unknown, field = 'password'): Promise<void> {
  user.passwordHash = await hashPassword(checkPassword(password, field));
  user.tokenVersion += 1;
  await em.flush();
}

/** Creates accounts; callers decide who may (admin mutation, CLI, first-start bootstrap). */
export async function createUser(em: Db, tenantId: string, input: NewUser): Promise<User> {
  const username = requireName(input.username, 'username', MAX_USERNAME_LENGTH).toLowerCase();
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(username)) throw badInput('username', 'username may contain only letters, digits, ".", "_" and "-"');
  if (!Object.values(UserRole).includes(input.role)) throw badInput('role', 'role is not valid');
  const email = optionalText(input.email, 'email', MAX_EMAIL_LENGTH);
  if (email !== null && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw badInput('email', 'email must be an email address');
  const password = input.password == null ? null : checkPassword(input.password);
  const user = em.create(User, {
    tenant: em.getReference(Tenant, tenantId),
    role: input.role,
    username,
    displayName: optionalName(input.displayName, 'displayName', MAX_DISPLAY_NAME_LENGTH) ?? username,
    email,
    passwordHash: password === null ? null : await hashPassword(password),
  });
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw conflict('USERNAME_TAKEN', `username ${username} is taken`);
    throw error;
  }
  return user;
}

/** What an audit entry shows of a new account (never its password). */
export const userFields = (user: User) => created({ username: user.username, role: user.role, displayName: user.displayName, email: user.email });

/** Account operations on behalf of the viewer. */
export class UserService {
  constructor(private readonly scope: Scope) {}

  /** The signed-in user; null for guests and anonymous callers. */
  async me(): Promise<User | null> {
    const { viewer, em } = this.scope;
    return viewer.kind === 'user' ? em.findOne(User, { id: viewer.userId }) : null;
  }

  /**
   * Admins add users to their own tenant. Everyone but a bot needs a password here (an account
   * without one could never sign in); to let the user choose it, invite them instead
   * (AuthService.invite). Bots sign in with tokens (`npm run admin -- token`).
   */
  async create(input: NewUser): Promise<User> {
    const admin = requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    if ((input.password ?? null) === null && input.role !== UserRole.BOT) {
      throw badInput('password', 'password is required (or use inviteUser to let the user choose one)', 'PASSWORD_REQUIRED');
    }
    return audited(
      this.scope.em,
      auditContextOf(this.scope),
      () => createUser(this.scope.em, admin.tenantId, input),
      (user) => ({ action: 'user.created', target: { type: 'user', id: user.id }, diff: userFields(user) }),
    );
  }
}
