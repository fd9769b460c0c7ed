import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { isUndeclaredBody } from '../../http/body.js';
import { answerWithoutBody, declaresMoreThan } from '../../http/unread-body.js';

export { isUndeclaredBody };

/**
 * Small HTTP helpers shared by the REST dialects. They know nothing of any dialect's body
 * shapes: each dialect passes its own writer for parse failures.
 */

/** The single value of a query parameter (the first one when repeated); undefined when absent. */
export function queryParam(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

/** Non-negative decimal integer text, bounded so it stays a safe number. */
export function parseCount(text: string): number | null {
  return /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : null;
}

/** The request body when it is a JSON object; null for anything else (arrays, scalars, no JSON body). */
export function jsonObject(req: Request): Record<string, unknown> | null {
  const body: unknown = req.body;
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

export interface BodyFailure {
  status: 400 | 413 | 415;
  kind: 'malformed' | 'too_large' | 'unsupported_type';
  /** The request's Content-Type header ('' when absent), for the 415 message. */
  contentType: string;
}

/** `16kb`, `1mb`: the body limits as the dialects state them, in bytes. */
export function limitBytes(limit: string): number {
  const match = /^(\d+)(kb|mb)$/.exec(limit);
  if (!match) throw new Error(`Unsupported body limit ${limit}`);
  return Number(match[1]) * (match[2] === 'kb' ? 1024 : 1024 * 1024);
}

/**
 * express.json with a size limit, whose parse and size errors are answered by the dialect's
 * own writer instead of falling through to the server's generic error handler. A body sent
 * without `Content-Type: application/json` is refused (415) rather than silently ignored, which
 * would run the route on defaults. A JSON body whose declared length is over the limit is
 * refused (413) before a byte of it is read.
 */
export function jsonBody(
  limit: string,
  onFailure: (res: Response, failure: BodyFailure) => void,
  { checkType = true }: { /** false: the route checks the type itself, later (rooms: permissions first, as DRF). */ checkType?: boolean } = {},
): [RequestHandler, RequestHandler, ErrorRequestHandler] {
  const maxBytes = limitBytes(limit);
  return [
    (req, res, next) => {
      const contentType = req.headers['content-type'] ?? '';
      if (checkType && isUndeclaredBody(req)) return onFailure(res, { status: 415, kind: 'unsupported_type', contentType });
      if (!req.is('application/json') || !declaresMoreThan(req, maxBytes)) return next();
      answerWithoutBody(req, res, () => onFailure(res, { status: 413, kind: 'too_large', contentType }));
    },
    express.json({ limit }),
    (error: Error & { type?: string; status?: number }, req, res, next) => {
      const contentType = req.headers['content-type'] ?? '';
      if (error.type === 'entity.too.large') return onFailure(res, { status: 413, kind: 'too_large', contentType });
      if (error.status !== undefined && error.status >= 400 && error.status < 500) return onFailure(res, { status: 400, kind: 'malformed', contentType });
      next(error);
    },
  ];
}

/** Runs an async route and hands unexpected failures to `onError` (the dialect's 500 body), never to Express's HTML page. */
export function route(handler: (req: Request, res: Response) => Promise<void>, onError: (res: Response, error: unknown) => void): RequestHandler {
  return (req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (res.headersSent) return;
      onError(res, error);
    });
  };
}
