import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { answerWithoutBody, declaresMoreThan } from './unread-body.js';

/**
 * The one intake for multipart bodies, shared by GraphQL multipart (`/graphql` uploads) and the
 * chat API's form send. Each surface parses and answers in its own dialect; both go through the
 * same three steps, so a limit means the same on both:
 *
 * 1. `refuseDeclaredOversize`: a body whose Content-Length is over the limit is refused before a
 *    byte of it is read.
 * 2. `countedBody`: a body without Content-Length (chunked) is counted as it arrives; past the
 *    limit the parser receives nothing more and the surface is told once.
 * 3. `refuseMidBody`: a refusal (a limit, a bad file name, a malformed part) is answered at once
 *    and the rest of the body is discarded, never parsed or stored; past a few MB the connection
 *    is cut (see unread-body.ts).
 */

/** Step 1. True when the request was refused (`answer` has been sent). */
export function refuseDeclaredOversize(req: IncomingMessage, res: ServerResponse, maxBytes: number, answer: () => void): boolean {
  if (!declaresMoreThan(req, maxBytes)) return false;
  answerWithoutBody(req, res, answer);
  return true;
}

/** Step 3: answers now; whatever of the body has not arrived is discarded. */
export function refuseMidBody(req: IncomingMessage, res: ServerResponse, answer: () => void): void {
  answerWithoutBody(req, res, answer);
}

export interface CountedBody extends Transform {
  /** Bytes seen so far. */
  readonly seen: number;
}

/**
 * Step 2. The request body piped through a counter: the returned stream carries the same bytes
 * until more than `maxBytes` have arrived, then `onOver` runs (once) and nothing more is passed
 * on. A client that goes away mid-body destroys it.
 */
export function countedBody(request: IncomingMessage, maxBytes: number, onOver: () => void): CountedBody {
  let seen = 0;
  let stopped = false;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      if (stopped) return callback();
      seen += chunk.length;
      if (seen > maxBytes) {
        stopped = true;
        onOver();
        return callback();
      }
      callback(null, chunk);
    },
  });
  counter.on('error', () => undefined);
  request.pipe(counter);
  request.once('close', () => {
    if (!request.readableEnded) counter.destroy();
  });
  return Object.defineProperty(counter, 'seen', { get: () => seen }) as CountedBody;
}
