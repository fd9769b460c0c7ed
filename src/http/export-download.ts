import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Request, type Response, Router } from 'express';
import type { Logger } from 'pino';
import type { ContextFactory } from '../app/context.js';
import type { ExportDownload } from '../exports/export.service.js';
import { type RateLimiter, rateLimitHeaders } from '../ratelimit/rate-limiter.js';
import { DomainError, type ErrorCode } from '../shared/errors.js';
import { clientAddress } from '../shared/request-origin.js';

/** The route name exports are counted under (one bucket per admin, or per address for bad links). */
export const EXPORT_DOWNLOAD_OPERATION = 'exports GET /exports/:id';

const STATUS: Partial<Record<ErrorCode, number>> = { UNAUTHENTICATED: 403, FORBIDDEN: 403, NOT_FOUND: 404, BAD_USER_INPUT: 400, RATE_LIMITED: 429, SERVICE_UNAVAILABLE: 503 };

function refuse(res: Response, error: DomainError): void {
  res.setHeader('Cache-Control', 'no-store');
  res.status(STATUS[error.code] ?? 500).json({ error: { code: error.code, reason: error.reason, message: error.message } });
}

/**
 * `GET /exports/{signed token}.csv`: the CSV report an admin asked for with `exportReport`. The
 * link is the credential (HS256 with the server's JWT key, typed `export+jwt`, minutes long);
 * its admin is re-checked against the database now. Counted by the rate limiter per admin. The
 * body is streamed batch by batch with backpressure and stops when the client goes away, so a
 * million rows keep the server's memory flat.
 */
export function exportDownloadRoute(contexts: ContextFactory, rateLimiter: RateLimiter, logger: Logger): Router {
  const router = Router();
  router.get('/exports/:file', async (req: Request<{ file: string }>, res: Response) => {
    const client = clientAddress(req.ip, req.headers['user-agent']);
    const token = /^([\w-]+\.[\w-]+\.[\w-]+)\.csv$/.exec(req.params.file)?.[1];
    let download: ExportDownload | undefined;
    try {
      if (token === undefined) throw new DomainError('INVALID_EXPORT_LINK');
      const opened = await contexts.forExportLink(token, client).catch(async (error: unknown) => {
        // A link that does not verify is counted against its client's address.
        await count(res, rateLimiter, `ip:${client.ip}`);
        throw error;
      });
      if (!(await count(res, rateLimiter, opened.ctx.rateLimitIdentity))) throw new DomainError('RATE_LIMIT_EXCEEDED');
      download = await opened.ctx.exports.download(opened.claims);
      // The first batch is read before answering, so a database that is away is a 503, not a cut file.
      const first = await download.chunks.next();
      res.status(200);
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="${download.fileName}"`);
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
      const chunks = download.chunks;
      async function* all(): AsyncGenerator<string> {
        if (!first.done) yield first.value;
        yield* chunks;
      }
      await pipeline(Readable.from(all(), { objectMode: false }), res);
    } catch (error) {
      await download?.chunks.return(undefined);
      if (res.headersSent) {
        // Mid-stream: the client went away (routine), or a batch failed (the download is cut, never completed silently).
        if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') logger.error({ err: error }, 'export download failed');
        res.destroy();
        return;
      }
      if (error instanceof DomainError) return refuse(res, error);
      logger.error({ err: error }, 'export download failed');
      refuse(res, new DomainError('INTERNAL'));
    }
  });
  return router;
}

/** Counts the download for `identity`; sets the RateLimit headers and says whether it may proceed. */
async function count(res: Response, rateLimiter: RateLimiter, identity: string): Promise<boolean> {
  const decision = await rateLimiter.check(identity, EXPORT_DOWNLOAD_OPERATION, 'exports');
  res.set(rateLimitHeaders(decision));
  return decision.allowed;
}
