import type { Response } from 'express';
import type { OperationError } from '../common/operation-runner.js';

/**
 * The v1 dialect's envelope (seeds 000 and 003), on every response including errors:
 * `{success, message, data, meta, trace_id, timestamp}`, plus `error: {code}` on failures
 * (`fields` holds per-field messages for VALIDATION_FAILED).
 */
export type V1ErrorCode = 'VALIDATION_FAILED' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE' | 'RATE_LIMIT_EXCEEDED' | 'INTERNAL_ERROR';

const STATUS: Record<V1ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
};

/** The one error model's codes in v1 terms. CONFLICT (a closed session) is this dialect's one addition to the seed's list. */
const BY_DOMAIN_CODE: Record<string, V1ErrorCode> = {
  BAD_USER_INPUT: 'VALIDATION_FAILED',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMIT_EXCEEDED',
};

/** "2025-10-31T12:34:56Z": UTC, whole seconds, as in the seed's example. */
export function v1Timestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function v1Success(res: Response, status: number, message: string, data: unknown, meta: Record<string, unknown> | null = null): void {
  res.status(status).json({ success: true, message, data, meta, trace_id: String(res.locals.traceId ?? ''), timestamp: v1Timestamp() });
}

export function v1Failure(res: Response, code: V1ErrorCode, message: string, fields?: Record<string, string[]>): void {
  res.status(STATUS[code]).json({
    success: false,
    message,
    data: null,
    meta: null,
    trace_id: String(res.locals.traceId ?? ''),
    timestamp: v1Timestamp(),
    error: { code, ...(fields ? { fields } : {}) },
  });
}

/** The dialect's one 429 writer (the rate limiter calls it): the same envelope, RATE_LIMIT_EXCEEDED. */
export function v1RateLimited(res: Response): void {
  v1Failure(res, 'RATE_LIMIT_EXCEEDED', 'Too many requests');
}

/**
 * An operation's error in v1 terms. `names` maps GraphQL argument names to this dialect's field
 * names (sessionKey → session_id), so per-field messages name what the caller sent.
 */
export function v1OperationFailure(res: Response, error: OperationError, names: Record<string, string> = {}): void {
  const code = BY_DOMAIN_CODE[error.code] ?? 'INTERNAL_ERROR';
  if (code === 'INTERNAL_ERROR') return v1Failure(res, code, 'Internal server error');
  if (code !== 'VALIDATION_FAILED') return v1Failure(res, code, error.message);
  const fields: Record<string, string[]> = {};
  for (const [name, message] of Object.entries(error.fields ?? {})) {
    const field = names[name] ?? name;
    fields[field] = [message.replace(name, field)];
  }
  v1Failure(res, code, 'The given data was invalid.', Object.keys(fields).length ? fields : undefined);
}
