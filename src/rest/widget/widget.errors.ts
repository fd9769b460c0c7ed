import type { Response } from 'express';
import type { OperationError } from '../common/operation-runner.js';

/**
 * The widget dialect's errors (seed 002, FastAPI style): `{"detail": "<code>"}` for 401/403 with
 * the seed's codes, and 422 `{"detail": [{loc, msg, type}]}` for invalid parameters and bodies.
 */
export type WidgetDetail =
  | 'missing_authorization'
  | 'invalid_authorization'
  | 'invalid_token'
  | 'token_expired'
  | 'invalid_claims'
  | 'conversation_not_found'
  | 'tenant_mismatch'
  | 'conversation_mismatch'
  | 'invalid_widget_key'
  | 'origin_not_allowed'
  | 'conversation_closed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal_error';

export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
  ctx?: Record<string, unknown>;
}

const STATUS: Record<WidgetDetail, number> = {
  missing_authorization: 401,
  invalid_authorization: 401,
  invalid_token: 401,
  token_expired: 401,
  invalid_claims: 401,
  invalid_widget_key: 401,
  conversation_not_found: 403,
  tenant_mismatch: 403,
  conversation_mismatch: 403,
  origin_not_allowed: 403,
  conversation_closed: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
};

/** Token failures (AuthService reasons) → the seed's codes. */
const BY_AUTH_REASON: Record<string, WidgetDetail> = {
  INVALID_AUTHORIZATION: 'invalid_authorization',
  INVALID_TOKEN: 'invalid_token',
  TOKEN_EXPIRED: 'token_expired',
  INVALID_CLAIMS: 'invalid_claims',
  CONVERSATION_NOT_FOUND: 'conversation_not_found',
  TENANT_MISMATCH: 'tenant_mismatch',
  INVALID_WIDGET_KEY: 'invalid_widget_key',
};

export function widgetDetail(res: Response, detail: WidgetDetail): void {
  res.status(STATUS[detail]).json({ detail });
}

/** The dialect's one 429 writer (the rate limiter calls it). */
export function widgetRateLimited(res: Response): void {
  widgetDetail(res, 'rate_limited');
}

export function widgetInvalid(res: Response, issues: ValidationIssue[]): void {
  res.status(422).json({ detail: issues });
}

/**
 * An operation's error in widget terms. Access failures on a conversation (not readable by
 * this token, or unknown in its tenant) are all `conversation_mismatch`: the URL does not name
 * the token's conversation. `location` places per-field input errors (["body"] or ["query"]).
 */
export function widgetOperationFailure(res: Response, error: OperationError, location: string, names: Record<string, string> = {}): void {
  if (error.code === 'UNAUTHENTICATED') return widgetDetail(res, BY_AUTH_REASON[error.reason] ?? 'invalid_token');
  if (error.code === 'FORBIDDEN') return widgetDetail(res, error.reason === 'ORIGIN_NOT_ALLOWED' ? 'origin_not_allowed' : 'conversation_mismatch');
  if (error.code === 'NOT_FOUND') return widgetDetail(res, 'conversation_mismatch');
  if (error.code === 'CONFLICT') return widgetDetail(res, 'conversation_closed');
  if (error.code === 'RATE_LIMITED') return widgetRateLimited(res);
  if (error.code === 'BAD_USER_INPUT') {
    const entries = Object.entries(error.fields ?? { [location]: error.message });
    return widgetInvalid(
      res,
      entries.map(([name, msg]) => ({ loc: [location, names[name] ?? name], msg, type: 'value_error' })),
    );
  }
  widgetDetail(res, 'internal_error');
}
