import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import type { Logger } from 'pino';
import type { ContextFactory, RequestContext } from '../../app/context.js';
import type { ByteRange } from '../../attachments/storage.js';
import type { Attachment } from '../../model/attachment.entity.js';
import { DomainError } from '../../shared/errors.js';
import { clientAddress } from '../../shared/request-origin.js';
import { chatApiFailure } from './chat-api.errors.js';

/**
 * `GET /api/chat/attachments/{id}` (seed 001): the stored bytes under the same authorization as
 * reading the message. Always a download (`Content-Disposition: attachment`, `nosniff`, a
 * sandboxing CSP), so an uploaded file never runs as a page of this origin. Strong ETag from
 * the SHA-256, conditional GET, and one byte range (RFC 9110 §14).
 */
export function chatApiDownloadRoute(contexts: ContextFactory, logger: Logger, downloadRateLimit: RequestHandler): Router {
  const router = Router();
  // Counted like every other chat API route (mounted ahead of the dialects, so not by their limiter).
  router.get('/api/chat/attachments/:id', downloadRateLimit, async (req: Request<{ id: string }>, res: Response) => {
    let attachment: Attachment;
    let ctx: RequestContext;
    try {
      ctx = await contexts.forAuthorization(req.headers.authorization, clientAddress(req.ip, req.headers['user-agent']));
      attachment = await ctx.attachments.findReadable(req.params.id);
    } catch (error) {
      return fail(res, logger, error);
    }

    const size = Number(attachment.size);
    const etag = `"${attachment.sha256}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'private, no-cache');
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    if (matchesAny(req.headers['if-none-match'], etag)) {
      res.status(304).end();
      return;
    }

    const ifRange = req.headers['if-range'];
    const range = ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, size) : null;
    if (range === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${size}`);
      const { body } = chatApiFailure('RANGE_NOT_SATISFIABLE', `The requested range is outside the ${size} bytes of this attachment`);
      res.status(416).json(body);
      return;
    }

    let body: Readable;
    try {
      body = await ctx.attachments.open(attachment, range ?? undefined);
    } catch (error) {
      // A row whose file is gone is our fault, not the client's.
      return fail(res, logger, error);
    }
    res.setHeader('Content-Type', attachment.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : attachment.contentType);
    res.setHeader('Content-Disposition', contentDisposition(attachment.name));
    if (range) {
      res.status(206);
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
      res.setHeader('Content-Length', String(range.end - range.start + 1));
    } else {
      res.status(200);
      res.setHeader('Content-Length', String(size));
    }
    if (req.method === 'HEAD') {
      body.destroy();
      res.end();
      return;
    }
    try {
      await pipeline(body, res);
    } catch (error) {
      // The client going away mid-download is routine.
      if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') logger.error({ err: error }, 'attachment download failed');
    }
  });
  return router;
}

function fail(res: Response, logger: Logger, error: unknown): void {
  if (error instanceof DomainError) {
    const { status, body } = chatApiFailure(error.code, error.message);
    res.status(status).json(body);
    return;
  }
  logger.error({ err: error }, 'attachment download failed');
  const { status, body } = chatApiFailure(undefined, '');
  res.status(status).json(body);
}

/** If-None-Match uses the weak comparison: `W/` prefixes are ignored, `*` matches anything. */
function matchesAny(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}

/**
 * One `bytes=` range, inclusive and clipped to the file. Malformed headers, several ranges and
 * ranges with last < first are ignored (the whole file is sent), as RFC 9110 allows;
 * a range starting past the end is unsatisfiable.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/**
 * RFC 6266: an ASCII fallback for old clients and the exact name as UTF-8 (RFC 8187). The name
 * was cleaned on upload; quotes and backslashes are still replaced in the quoted fallback.
 */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
