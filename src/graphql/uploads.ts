import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import graphqlUploadExpress from 'graphql-upload/graphqlUploadExpress.mjs';
import type { FileUpload } from 'graphql-upload/processRequest.mjs';
import type { IncomingUpload } from '../attachments/attachment.service.js';
import type { UploadConfig } from '../config/config.js';
import { countedBody, refuseDeclaredOversize, refuseMidBody } from '../http/multipart.js';
import { badInput, DomainError } from '../shared/errors.js';
import { errorBody } from './errors.js';
import { processUploadRequest } from './upload-request.js';

/** Apollo's CSRF prevention headers: a browser cannot send either without a CORS preflight. */
const PREFLIGHT_HEADERS = ['apollo-require-preflight', 'x-apollo-operation-name'];

/** A GraphQL multipart request over the request limit (413). */
const requestTooLarge = (maxBytes: number) => badInput('attachments', `A request may be at most ${maxBytes} bytes`, 'REQUEST_TOO_LARGE');

/** Fields besides files: the GraphQL `operations` JSON and the `map`. */
const MAX_FIELD_BYTES = 1024 * 1024;

type Rejection = DomainError & { status: number; expose: boolean };

/** A DomainError that graphql-upload's middleware also understands (it reads `status` and `expose`). */
function rejection(status: number, error: DomainError): Rejection {
  return Object.assign(error, { status, expose: true });
}

/**
 * GraphQL multipart requests (graphql-multipart-request-spec) on `/graphql`. Apollo checks its
 * CSRF header only when it runs the operation, which for multipart is after graphql-upload
 * has streamed the files; so the header, and the declared body size, are checked here first:
 * a refused request is never parsed, and nothing of it is stored (its body is discarded).
 */
export function graphqlUploads(config: UploadConfig) {
  const limits = {
    // One more byte than allowed, so the service's own check (a clear FILE_TOO_LARGE) fires first.
    maxFileSize: config.maxFileBytes + 1,
    maxFiles: config.maxFiles,
    maxFieldSize: MAX_FIELD_BYTES,
  };
  const parse = graphqlUploadExpress({
    // Files stream straight to the operation, never through a temporary copy (upload-request.ts).
    processRequest: (request, response) => processUploadRequest(limitBody(request, config.maxRequestBytes), response, limits),
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!req.is('multipart/form-data')) return next();
    // The body is discarded, never parsed, and the answer does not wait for it.
    const answer = (status: number, error: DomainError) => () => res.status(status).json(errorBody(error));
    if (!PREFLIGHT_HEADERS.some((name) => (req.headers[name] ?? '') !== '')) {
      return refuseMidBody(req, res, answer(400, badInput('headers', 'Multipart requests must carry an Apollo-Require-Preflight header (CSRF prevention)', 'CSRF_PREFLIGHT_REQUIRED')));
    }
    if (refuseDeclaredOversize(req, res, config.maxRequestBytes, answer(413, requestTooLarge(config.maxRequestBytes)))) return;
    // graphql-upload's own refusals (too many files, malformed multipart, body too large)
    // answered in the same shape; its middleware holds the answer until the body has ended.
    parse(req, res, (error?: unknown) => {
      if (!error) return next();
      const mapped = uploadError(error, config.maxFileBytes);
      if (!(mapped instanceof DomainError)) return next(error);
      const status = (error as { status?: number }).status;
      res.status(status && status >= 400 && status < 500 ? status : 400).json(errorBody(mapped));
    });
  };
}

/**
 * graphql-upload's FileUpload as the service's IncomingUpload, with its errors in the one error
 * model. The promise never goes unhandled: after a failure the service stops awaiting the rest.
 */
export function fromGraphQLUpload(upload: Promise<FileUpload>, maxFileBytes: number): Promise<IncomingUpload> {
  const adapted = upload.then(
    (file) => adapt(file, maxFileBytes),
    (error: unknown) => Promise.reject(uploadError(error, maxFileBytes)),
  );
  adapted.catch(() => undefined);
  return adapted;
}

function adapt(file: FileUpload & Pick<IncomingUpload, 'staged'>, maxFileBytes: number): IncomingUpload {
  return {
    filename: file.filename,
    mimetype: file.mimetype,
    // The chat API's form send stages files as they arrive (chat-api.multipart.ts).
    ...(file.staged ? { staged: file.staged } : {}),
    createReadStream: () => {
      let source: Readable;
      try {
        source = file.createReadStream();
      } catch (error) {
        throw uploadError(error, maxFileBytes);
      }
      const out = new PassThrough();
      source.once('error', (error) => out.destroy(uploadError(error, maxFileBytes) as Error));
      // Abandoning the copy must release the request's file stream too (it drains the rest).
      out.once('close', () => source.destroy());
      return source.pipe(out);
    },
  };
}

function uploadError(error: unknown, maxFileBytes: number): unknown {
  if (error instanceof DomainError) return error;
  const status = (error as { status?: number }).status;
  const message = error instanceof Error ? error.message : '';
  if (status === 413 && /max file uploads/.test(message)) return badInput('attachments', message, 'TOO_MANY_FILES');
  if (status === 413) return badInput('attachments', `an attachment is larger than ${maxFileBytes} bytes`, 'FILE_TOO_LARGE');
  if (status === 400) return badInput('attachments', message, 'INVALID_MULTIPART');
  // busboy's own parse errors carry no status ("Malformed part header", "Unexpected end of form").
  if (status === undefined && error instanceof Error) return badInput('attachments', `Malformed multipart request: ${message}`, 'INVALID_MULTIPART');
  return error;
}

/**
 * The request body as the parser reads it, through the shared multipart intake: a body without
 * Content-Length (chunked) that grows past the limit stops the parser with REQUEST_TOO_LARGE,
 * which fails the file being received and, when no operation has started yet, the request (413).
 */
function limitBody(request: IncomingMessage, maxBytes: number): IncomingMessage {
  let parser: Writable | null = null;
  const counted = countedBody(request, maxBytes, () => {
    counted.unpipe();
    parser?.destroy(rejection(413, requestTooLarge(maxBytes)));
  });
  // The parser is piped from the body; that parser is what a refusal stops.
  const pipe = counted.pipe.bind(counted);
  counted.pipe = (<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T => {
    parser = destination as unknown as Writable;
    return pipe(destination, options);
  }) as typeof counted.pipe;
  return Object.assign(counted, { headers: request.headers }) as unknown as IncomingMessage;
}
