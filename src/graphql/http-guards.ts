import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { bodyParserRefusal, isUndeclaredBody } from '../http/body.js';
import { answerWithoutBody, declaresMoreThan } from '../http/unread-body.js';
import { DomainError } from '../shared/errors.js';
import { errorBody } from './errors.js';

/**
 * POST /graphql takes JSON (or multipart, which the upload middleware has consumed by now). Any
 * other body would reach Apollo's CSRF refusal, a paragraph about preflight headers, when the
 * real mistake is a missing `Content-Type: application/json` (`curl -d` sends form encoding).
 */
export function graphqlJsonOnly(): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'POST' && isUndeclaredBody(req) && !req.is('multipart/form-data')) {
      res.status(415).json(errorBody(new DomainError('NOT_JSON')));
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
    answerWithoutBody(req, res, () => res.status(413).json(errorBody(new DomainError('BODY_TOO_LARGE'))));
  };
}

/**
 * The server's last error handler (body-parser and other middleware failures): always JSON in
 * the GraphQL error shape, never an HTML page, a stack or a framework's error type.
 */
export function httpErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: Error & { status?: number; type?: string }, _req, res, _next) => {
    const refusal = bodyParserRefusal(error);
    if (refusal) {
      res.status(refusal.status).json(errorBody(refusal.error));
      return;
    }
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) {
      logger.error({ err: error }, 'unhandled HTTP error');
      res.status(500).json(errorBody(new DomainError('INTERNAL')));
      return;
    }
    res.status(status).json(errorBody(new DomainError('UNREADABLE_REQUEST')));
  };
}
