import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { loggablePath, traceContext, type RequestTrace } from './logger.js';

const TRACE_ID = /^[A-Za-z0-9-]{8,64}$/;

/** Probes poll every few seconds; at info they would drown the lines worth reading. */
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Gives each request a trace id (honouring a sane incoming `x-trace-id`), echoes it, and logs one
 * access line per request: with the GraphQL root fields and error codes when it ran an operation
 * (recorded on the request's trace by the GraphQL access plugin).
 */
export function traceRequests(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.header('x-trace-id');
    const traceId = incoming && TRACE_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-trace-id', traceId);
    res.locals.traceId = traceId;
    const trace: RequestTrace = { traceId };
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      traceContext.run(trace, () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        // Never the query string (?token=) nor a guest session key in the path.
        const path = loggablePath(req.originalUrl);
        const line = { method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10, ...trace.graphql };
        if (PROBE_PATHS.has(path)) logger.debug(line, 'request');
        else logger.info(line, 'request');
      });
    });
    traceContext.run(trace, () => next());
  };
}
