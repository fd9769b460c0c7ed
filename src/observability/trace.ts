import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { loggablePath, traceContext } from './logger.js';

const TRACE_ID = /^[A-Za-z0-9-]{8,64}$/;

/** Gives each request a trace id (honouring a sane incoming `x-trace-id`), echoes it, and logs one line per request. */
export function traceRequests(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.header('x-trace-id');
    const traceId = incoming && TRACE_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-trace-id', traceId);
    res.locals.traceId = traceId;
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      traceContext.run({ traceId }, () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        // Never the query string (?token=) nor a guest session key in the path.
        logger.info({ method: req.method, path: loggablePath(req.originalUrl), status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
      });
    });
    traceContext.run({ traceId }, () => next());
  };
}
