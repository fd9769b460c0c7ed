import type { Response } from 'express';
import type { OperationError } from '../common/operation-runner.js';

/** Django REST Framework's bodies (seed 004): `{"detail": ...}` or `{"field": ["message"]}`. */
export const DRF = {
  notAuthenticated: 'Authentication credentials were not provided.',
  authenticationFailed: 'Incorrect authentication credentials.',
  permissionDenied: 'You do not have permission to perform this action.',
  notFound: 'Not found.',
  invalidCursor: 'Invalid cursor',
  required: 'This field is required.',
  blank: 'This field may not be blank.',
  isNull: 'This field may not be null.',
  notAString: 'Not a valid string.',
  invalidBoolean: 'Must be a valid boolean.',
  throttled: 'Request was throttled.',
  serverError: 'A server error occurred.',
} as const;

export function drfDetail(res: Response, status: number, detail: string): void {
  // DRF answers 401 with the authentication scheme it expects.
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="api"');
  res.status(status).json({ detail });
}

export function drfFields(res: Response, fields: Record<string, string[]>): void {
  res.status(400).json(fields);
}

/** The dialect's one 429 writer (the rate limiter calls it). */
export function roomsRateLimited(res: Response): void {
  drfDetail(res, 429, DRF.throttled);
}

const TOO_LONG = /at most (\d+) characters/;

/**
 * An operation's error in DRF terms. A room the caller may not read and a room that does not
 * exist (or is another tenant's, or is not a room) answer the same 403, as the seed specifies.
 */
export function roomsOperationFailure(res: Response, error: OperationError): void {
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return drfDetail(res, 401, error.reason === 'AUTHENTICATION_REQUIRED' ? DRF.notAuthenticated : DRF.authenticationFailed);
    case 'FORBIDDEN':
    case 'NOT_FOUND':
      return drfDetail(res, 403, DRF.permissionDenied);
    case 'CONFLICT':
      return drfDetail(res, 409, error.message);
    case 'RATE_LIMITED':
      return roomsRateLimited(res);
    case 'BAD_USER_INPUT': {
      const fields = error.fields ?? {};
      if ('after' in fields || 'before' in fields) return drfDetail(res, 404, DRF.invalidCursor);
      if ('content' in fields) {
        const tooLong = TOO_LONG.exec(fields.content!);
        const message = error.reason === 'BLANK' ? DRF.blank : tooLong ? `Ensure this field has no more than ${tooLong[1]} characters.` : fields.content!;
        return drfFields(res, { content: [message] });
      }
      return drfFields(res, Object.fromEntries(Object.entries(fields).map(([name, message]) => [name, [message]])));
    }
    default:
      return drfDetail(res, 500, DRF.serverError);
  }
}
