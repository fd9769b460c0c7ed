import type { NextFunction, Request, Response } from 'express';
import { answerWithoutBody, declaresMoreThan } from '../http/unread-body.js';
import { badInput, type DomainError } from '../shared/errors.js';

/** A GraphQL-over-HTTP error body for a refusal that happens before any operation runs. */
export function graphqlErrorBody(error: DomainError) {
  return { errors: [{ message: error.message, extensions: { code: error.code, reason: error.reason } }] };
}

/** The one refusal of a GraphQL request body over the limit, JSON or multipart (413). */
export const requestTooLarge = (maxBytes: number) => badInput('body', `A request may be at most ${maxBytes} bytes`, 'REQUEST_TOO_LARGE');

/**
 * Refuses a JSON request to /graphql whose declared Content-Length is over `maxBytes` (413),
 * before the JSON parser reads a byte of it (it would read, and wait for, the whole body).
 */
export function refuseLargeGraphQLJson(maxBytes: number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!req.is('application/json') || !declaresMoreThan(req, maxBytes)) return next();
    answerWithoutBody(req, res, () => res.status(413).json(graphqlErrorBody(requestTooLarge(maxBytes))));
  };
}
