/**
 * The chat API dialect's error body (seed 001): `APIResponse { success: false, message, error: { code, message } }`.
 * Input is the one error model's code (DomainError.code or a GraphQL `extensions.code`), so every
 * route of the dialect answers the same way for the same failure.
 */

export interface ChatApiErrorBody {
  success: false;
  message: string;
  error: { code: string; message: string };
}

export interface ChatApiFailure {
  status: number;
  body: ChatApiErrorBody;
}

const BY_CODE: Record<string, { status: number; code: string }> = {
  BAD_USER_INPUT: { status: 400, code: 'BAD_REQUEST' },
  BAD_REQUEST: { status: 400, code: 'BAD_REQUEST' },
  UNAUTHENTICATED: { status: 401, code: 'UNAUTHORIZED' },
  FORBIDDEN: { status: 403, code: 'FORBIDDEN' },
  NOT_FOUND: { status: 404, code: 'NOT_FOUND' },
  CONFLICT: { status: 409, code: 'CONFLICT' },
  RESYNC_REQUIRED: { status: 409, code: 'RESYNC_REQUIRED' },
  PAYLOAD_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  RANGE_NOT_SATISFIABLE: { status: 416, code: 'RANGE_NOT_SATISFIABLE' },
  RATE_LIMITED: { status: 429, code: 'RATE_LIMIT_EXCEEDED' },
  SERVICE_UNAVAILABLE: { status: 503, code: 'SERVICE_UNAVAILABLE' },
};

/** Unknown codes are internal errors, reported without detail. */
export function chatApiFailure(code: string | undefined, message: string): ChatApiFailure {
  const known = code !== undefined ? BY_CODE[code] : undefined;
  if (!known) {
    const text = 'Internal server error';
    return { status: 500, body: { success: false, message: text, error: { code: 'INTERNAL_ERROR', message: text } } };
  }
  return { status: known.status, body: { success: false, message, error: { code: known.code, message } } };
}
