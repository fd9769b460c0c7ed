import type { Request } from 'express';
import { DomainError, type ErrorReason } from '../shared/errors.js';

/**
 * Request-body rules shared by every HTTP surface: what counts as a body that is not declared
 * JSON, and what the body parser's failures mean (`entity.parse.failed` is Express's word, not a
 * reason a client can act on). Each surface writes the failure in its own dialect.
 */

/**
 * Whether the request carries a body that is not declared JSON. A request without a body (no
 * Content-Length and no Transfer-Encoding, or Content-Length 0) needs no type: PUT …/close has none.
 */
export function isUndeclaredBody(req: Request): boolean {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length.trim() !== '0');
  return hasBody && !req.is('application/json');
}

export interface BodyRefusal {
  status: 400 | 413 | 415;
  error: DomainError;
}

/** body-parser's error types → the status and reason a client is told. */
const BODY_ERRORS: Record<string, { status: BodyRefusal['status']; reason: ErrorReason }> = {
  'entity.parse.failed': { status: 400, reason: 'INVALID_JSON' },
  'entity.too.large': { status: 413, reason: 'BODY_TOO_LARGE' },
  'encoding.unsupported': { status: 415, reason: 'UNSUPPORTED_ENCODING' },
  'charset.unsupported': { status: 415, reason: 'UNSUPPORTED_ENCODING' },
  'request.aborted': { status: 400, reason: 'BODY_INCOMPLETE' },
  'request.size.invalid': { status: 400, reason: 'BODY_INCOMPLETE' },
};

/** A body-parser failure as a refusal; undefined for errors that are not the parser's. */
export function bodyParserRefusal(error: { type?: string }): BodyRefusal | undefined {
  const known = error.type !== undefined ? BODY_ERRORS[error.type] : undefined;
  return known && { status: known.status, error: new DomainError(known.reason) };
}
