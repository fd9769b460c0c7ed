/**
 * The one error model. Services throw DomainError with a stable `code` (the GraphQL
 * `extensions.code`) and a `reason` (finer, also stable). Transports map codes to their
 * own statuses and bodies; nothing below the transports knows about HTTP.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'BAD_USER_INPUT'
  | 'RATE_LIMITED'
  | 'RESYNC_REQUIRED'
  /** A dependency (database, Redis) is out of reach for now: retry, nothing is wrong with the call. */
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly reason: string,
    message: string,
    /** Per-field messages for BAD_USER_INPUT, keyed by argument name. */
    readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const unauthenticated = (reason = 'AUTHENTICATION_REQUIRED', message = 'Authentication required') =>
  new DomainError('UNAUTHENTICATED', reason, message);

export const forbidden = (reason: string, message = 'You do not have permission to perform this action') =>
  new DomainError('FORBIDDEN', reason, message);

export const notFound = (reason: string, message: string) => new DomainError('NOT_FOUND', reason, message);

export const conflict = (reason: string, message: string) => new DomainError('CONFLICT', reason, message);

export const unavailable = (reason = 'DEPENDENCY_UNAVAILABLE', message = 'The service is briefly unavailable; retry shortly') =>
  new DomainError('SERVICE_UNAVAILABLE', reason, message);

export const badInput = (field: string, message: string, reason = 'INVALID_ARGUMENT') =>
  new DomainError('BAD_USER_INPUT', reason, message, { [field]: message });
