import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Refusing a request without reading its body. The answer goes out at once: waiting for the
 * body first let a client that declared 1 GB and sent 1 KB hold the request (and get no
 * answer) until the request timeout.
 */

/** After the answer, at most this much more of a refused body is read (and thrown away) before the connection is cut. */
const DISCARD_LIMIT_BYTES = 4 * 1024 * 1024;

/** The declared Content-Length; null when absent or not a plain decimal number (chunked bodies are counted as they arrive). */
export function declaredLength(req: IncomingMessage): number | null {
  const header = req.headers['content-length'];
  return header !== undefined && /^\d{1,15}$/.test(header) ? Number(header) : null;
}

/** Whether the declared body is over `maxBytes`: refuse it before reading a byte. */
export function declaresMoreThan(req: IncomingMessage, maxBytes: number): boolean {
  const length = declaredLength(req);
  return length !== null && length > maxBytes;
}

/**
 * Sends `answer` now, whatever of the body has not arrived yet. The rest of the body is
 * discarded as it comes, so a client still uploading (fetch among them) reads the answer instead
 * of a broken pipe; past DISCARD_LIMIT_BYTES the connection is cut, and the server's request
 * timeout bounds a client that trickles. (`Connection: close` would make Node destroy the socket
 * as soon as the answer is written, which a client still sending sees as a reset.)
 */
export function answerWithoutBody(req: IncomingMessage, res: ServerResponse, answer: () => void): void {
  if (!req.readableEnded) {
    let discarded = 0;
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > DISCARD_LIMIT_BYTES) req.socket.destroy();
    });
    req.on('error', () => undefined);
    req.resume();
  }
  if (!res.headersSent) answer();
}
