import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { answerWithoutBody, declaresMoreThan } from './unread-body.js';

/**
 * Request-body rules shared by every HTTP surface: what counts as a body that is not declared
 * JSON, and how the body parser's failures are reported without naming its internals
 * (`entity.parse.failed` is Express's word, not a reason a client can act on).
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

export const graphqlError = (message: string, code: string, reason?: string) => ({ errors: [{ message, extensions: reason ? { code, reason } : { code } }] });

/**
 * POST /graphql takes JSON (or multipart, which the upload middleware has consumed by now). Any
 * other body would reach Apollo's CSRF refusal, a paragraph about preflight headers, when the
 * real mistake is a missing `Content-Type: application/json` (`curl -d` sends form encoding).
 */
export function graphqlJsonOnly(): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'POST' && isUndeclaredBody(req) && !req.is('multipart/form-data')) {
      res.status(415).json(graphqlError('Send GraphQL requests as JSON with Content-Type: application/json (or multipart/form-data for uploads)', 'UNSUPPORTED_MEDIA_TYPE'));
      return;
    }
    next();
  };
}

/**
 * A JSON request to /graphql whose declared Content-Length is over `maxBytes` gets the answer the
 * JSON parser gives an oversized body (413 BODY_TOO_LARGE), but before a byte is read: the parser
 * would read, and wait for, the whole declared body first.
 */
export function refuseLargeGraphQLJson(maxBytes: number): RequestHandler {
  return (req, res, next) => {
    if (!req.is('application/json') || !declaresMoreThan(req, maxBytes)) return next();
    const { status, message, reason } = BODY_ERRORS['entity.too.large']!;
    answerWithoutBody(req, res, () => res.status(status).json(graphqlError(message, 'BAD_REQUEST', reason)));
  };
}

/** body-parser's error types → what the client is told. */
const BODY_ERRORS: Record<string, { status: number; message: string; reason: string }> = {
  'entity.parse.failed': { status: 400, message: 'The request body is not valid JSON', reason: 'INVALID_JSON' },
  'entity.too.large': { status: 413, message: 'The request body is too large', reason: 'BODY_TOO_LARGE' },
  'encoding.unsupported': { status: 415, message: 'The request body must be UTF-8 JSON', reason: 'UNSUPPORTED_ENCODING' },
  'charset.unsupported': { status: 415, message: 'The request body must be UTF-8 JSON', reason: 'UNSUPPORTED_ENCODING' },
  'request.aborted': { status: 400, message: 'The request body was cut off', reason: 'BODY_INCOMPLETE' },
  'request.size.invalid': { status: 400, message: 'The request body does not match its Content-Length', reason: 'BODY_INCOMPLETE' },
};

/**
 * The server's last error handler (body-parser and other middleware failures): always JSON in
 * the GraphQL error shape, never an HTML page, a stack or a framework's error type.
 */
export function httpErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: Error & { status?: number; type?: string }, _req, res, _next) => {
    const known = error.type !== undefined ? BODY_ERRORS[error.type] : undefined;
    if (known) {
      res.status(known.status).json(graphqlError(known.message, known.status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST', known.reason));
      return;
    }
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) {
      logger.error({ err: error }, 'unhandled HTTP error');
      res.status(500).json(graphqlError('Internal server error', 'INTERNAL_SERVER_ERROR'));
      return;
    }
    res.status(status).json(graphqlError('The request could not be read', 'BAD_REQUEST', 'BAD_REQUEST'));
  };
}
